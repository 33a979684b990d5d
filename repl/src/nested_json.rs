//! Nested values (structs, lists, maps) in CSV and TSV. Arrow's CSV writer refuses them; a
//! result with one (`DESCRIBE HISTORY`, a table with a struct column) would fail to print at
//! all. Like DuckDB, each nested value is written as its JSON text, one cell.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, FieldRef, Schema};
use arrow::error::ArrowError;
use arrow::json::writer::{EncoderOptions, make_encoder};
use arrow::util::display::{ArrayFormatter, FormatOptions};

/// `batch` with every nested column replaced by a string column of its values' JSON text.
pub fn nested_as_json(batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    let schema = batch.schema();
    if !schema
        .fields()
        .iter()
        .any(|field| is_nested(field.data_type()))
    {
        return Ok(batch.clone());
    }
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        if is_nested(field.data_type()) {
            fields.push(Arc::new(Field::new(field.name(), DataType::Utf8, true)));
            columns.push(json_texts(field, column)?);
        } else {
            fields.push(field.clone());
            columns.push(column.clone());
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}

fn is_nested(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Struct(_)
            | DataType::List(_)
            | DataType::LargeList(_)
            | DataType::ListView(_)
            | DataType::LargeListView(_)
            | DataType::FixedSizeList(..)
            | DataType::Map(..)
    )
}

/// Each value of `column` as JSON text (null stays null). JSON has no map with keys other than
/// strings: such a map is written as the table format shows it.
fn json_texts(field: &FieldRef, column: &ArrayRef) -> Result<ArrayRef, ArrowError> {
    let mut texts = StringBuilder::with_capacity(column.len(), column.len() * 16);
    // A struct names every field, null or not, as `--format json` does.
    let options = EncoderOptions::default().with_explicit_nulls(true);
    match make_encoder(field, column.as_ref(), &options) {
        Ok(mut encoder) => {
            let mut text = Vec::new();
            for row in 0..column.len() {
                if column.is_null(row) {
                    texts.append_null();
                    continue;
                }
                text.clear();
                encoder.encode(row, &mut text);
                texts.append_value(String::from_utf8_lossy(&text));
            }
        }
        Err(_) => {
            let formatter = ArrayFormatter::try_new(column.as_ref(), &FormatOptions::default())?;
            for row in 0..column.len() {
                if column.is_null(row) {
                    texts.append_null();
                } else {
                    texts.append_value(formatter.value(row).to_string());
                }
            }
        }
    }
    Ok(Arc::new(texts.finish()))
}

#[cfg(test)]
mod tests {
    use arrow::array::{Int32Array, ListArray, StringArray, StructArray};
    use arrow::datatypes::Int32Type;

    use super::*;

    #[test]
    fn structs_and_lists_become_json_and_nulls_stay_null() {
        let list = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
            Some(vec![Some(1), None]),
            None,
        ]);
        let inner = StructArray::from(vec![(
            Arc::new(Field::new("a", DataType::Utf8, true)),
            Arc::new(StringArray::from(vec![Some("x\"y"), None])) as ArrayRef,
        )]);
        let ids = Int32Array::from(vec![1, 2]);
        let batch = RecordBatch::try_from_iter(vec![
            ("id", Arc::new(ids) as ArrayRef),
            ("l", Arc::new(list) as ArrayRef),
            ("s", Arc::new(inner) as ArrayRef),
        ])
        .unwrap();
        let flat = nested_as_json(&batch).unwrap();
        let text = |column: usize, row: usize| {
            let strings = flat
                .column(column)
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap();
            (!strings.is_null(row)).then(|| strings.value(row).to_string())
        };
        assert_eq!(flat.schema().field(0).data_type(), &DataType::Int32);
        assert_eq!(text(1, 0).as_deref(), Some("[1,null]"));
        assert_eq!(text(1, 1), None);
        assert_eq!(text(2, 0).as_deref(), Some(r#"{"a":"x\"y"}"#));
        assert_eq!(text(2, 1).as_deref(), Some(r#"{"a":null}"#));
    }
}
