//! Comparing a query result with an expected one: as multisets of rows, columns by name.

use std::cmp::Ordering;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{Field, Schema, SchemaRef};

use crate::canonical_rows;

/// How many differing rows a failure shows from each side.
const ROWS_SHOWN: usize = 8;

/// Asserts that `ours` and `expected` have the same column names and the same rows, in any
/// order. Where a column's type differs (timestamp units, string views, dictionaries), ours is
/// cast to the expected type first, so only values are compared. `what` names the result.
pub fn assert_same_rows(
    what: &str,
    ours: (&SchemaRef, &[RecordBatch]),
    expected: (&SchemaRef, &[RecordBatch]),
) {
    let (our_schema, our_batches) = ours;
    let (expected_schema, expected_batches) = expected;

    let our_names = sorted_names(our_schema);
    let expected_names = sorted_names(expected_schema);
    assert_eq!(
        our_names, expected_names,
        "{what}: the columns differ (ours, then expected)"
    );

    let aligned: Vec<RecordBatch> = our_batches
        .iter()
        .map(|batch| cast_to(batch, expected_schema))
        .collect();
    let our_rows = canonical_rows(&aligned);
    let expected_rows = canonical_rows(expected_batches);
    if our_rows != expected_rows {
        panic!(
            "{what}: the rows differ\n{}",
            describe_difference(our_schema, expected_schema, &our_rows, &expected_rows)
        );
    }
}

fn sorted_names(schema: &Schema) -> Vec<String> {
    let mut names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    names.sort();
    names
}

/// `batch` with each column cast to the type of the `target` column of the same name, where
/// the two differ and arrow can cast; other columns stay as they are (a mismatch then shows in
/// the values and in the types listed by the failure).
fn cast_to(batch: &RecordBatch, target: &Schema) -> RecordBatch {
    let (fields, columns): (Vec<Field>, Vec<ArrayRef>) = batch
        .schema()
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(field, column)| {
            let column = match target.field_with_name(field.name()) {
                Ok(wanted) if wanted.data_type() != column.data_type() => {
                    cast(column, wanted.data_type()).unwrap_or_else(|_| column.clone())
                }
                _ => column.clone(),
            };
            (
                Field::new(field.name(), column.data_type().clone(), true),
                column,
            )
        })
        .unzip();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .unwrap_or_else(|error| panic!("cannot rebuild a batch after casting: {error}"))
}

/// The row counts, the columns whose types differ, and the first rows found on one side only.
fn describe_difference(
    our_schema: &Schema,
    expected_schema: &Schema,
    ours: &[String],
    expected: &[String],
) -> String {
    let (only_ours, only_expected) = multiset_difference(ours, expected);
    let mut text = format!(
        "{} rows ours, {} expected; {} only in ours, {} only in expected\n",
        ours.len(),
        expected.len(),
        only_ours.len(),
        only_expected.len()
    );
    for field in our_schema.fields() {
        if let Ok(wanted) = expected_schema.field_with_name(field.name())
            && wanted.data_type() != field.data_type()
        {
            text += &format!(
                "column {}: ours {} (cast for comparison), expected {}\n",
                field.name(),
                field.data_type(),
                wanted.data_type()
            );
        }
    }
    for (side, rows) in [
        ("only in ours", &only_ours),
        ("only in expected", &only_expected),
    ] {
        for row in rows.iter().take(ROWS_SHOWN) {
            text += &format!("  {side}: {row}\n");
        }
    }
    text
}

/// The rows of two sorted lists that the other lacks, counting repeats.
fn multiset_difference<'a>(
    ours: &'a [String],
    expected: &'a [String],
) -> (Vec<&'a str>, Vec<&'a str>) {
    let (mut only_ours, mut only_expected) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < ours.len() || j < expected.len() {
        let order = match (ours.get(i), expected.get(j)) {
            (Some(a), Some(b)) => a.cmp(b),
            (Some(_), None) => Ordering::Less,
            _ => Ordering::Greater,
        };
        match order {
            Ordering::Less => {
                only_ours.push(ours[i].as_str());
                i += 1;
            }
            Ordering::Greater => {
                only_expected.push(expected[j].as_str());
                j += 1;
            }
            Ordering::Equal => {
                i += 1;
                j += 1;
            }
        }
    }
    (only_ours, only_expected)
}
