//! Checking an answer: the rows an engine returned against the reference answer kept in the
//! repository (`sql/tpch/answers/sf<N>/qNN.csv`, DuckDB's answers over the same tables).
//!
//! Rows are compared in order (every query orders its result), values as text, except where
//! both sides read as numbers: those may differ by 1e-4, since engines round averages and
//! decimal ratios to different scales (TPC-H itself allows more). Sums of money are exact in
//! both, so a cent's difference there is a wrong answer.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use arrow::array::RecordBatch;
use arrow::csv::ReaderBuilder;
use arrow::datatypes::{DataType, Field, Schema};
use arrow::util::display::FormatOptions;
use lakeshore_engine::text::rows_as_text;

const TOLERANCE: f64 = 1e-4;

/// An answer as text: one string per value, nulls empty.
#[derive(Debug, PartialEq)]
pub struct Answer {
    pub columns: usize,
    pub rows: Vec<Vec<String>>,
}

impl Answer {
    pub fn of_batches(batches: &[RecordBatch]) -> Result<Self> {
        let columns = batches.first().map_or(0, RecordBatch::num_columns);
        let rows = rows_as_text(batches, &FormatOptions::default())?;
        Ok(Self { columns, rows })
    }

    /// Reads a CSV with a header line; every column as text.
    pub fn read_csv(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let columns = text.lines().next().unwrap_or_default().split(',').count();
        let schema = Arc::new(Schema::new(
            (0..columns)
                .map(|index| Field::new(format!("c{index}"), DataType::Utf8, true))
                .collect::<Vec<_>>(),
        ));
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let reader = ReaderBuilder::new(schema)
            .with_header(true)
            .build(file)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let batches = reader
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("{} is not the CSV it should be", path.display()))?;
        let mut answer = Self::of_batches(&batches)?;
        answer.columns = columns;
        // A one-column null is an empty line, which the CSV reader skips (Q17 at a small scale
        // averages no row): count those lines as the rows they are.
        let data_lines = text.lines().skip(1).count();
        if columns == 1 && answer.rows.is_empty() {
            answer.rows = vec![vec![String::new()]; data_lines];
        }
        Ok(answer)
    }
}

/// The reference answers of a scale factor, if the repository keeps them.
pub fn reference_dir(sf: f64) -> Option<PathBuf> {
    let dir = super::queries::sql_dir()
        .join("answers")
        .join(format!("sf{sf}"));
    dir.is_dir().then_some(dir)
}

/// `Ok` when `ours` matches `expected`; otherwise what differs first.
pub fn check(ours: &Answer, expected: &Answer) -> Result<()> {
    if ours.rows.is_empty() && expected.rows.is_empty() {
        return Ok(());
    }
    if ours.columns != expected.columns {
        bail!(
            "{} columns, the reference has {}",
            ours.columns,
            expected.columns
        );
    }
    if ours.rows.len() != expected.rows.len() {
        bail!(
            "{} rows, the reference has {}",
            ours.rows.len(),
            expected.rows.len()
        );
    }
    for (index, (row, reference)) in ours.rows.iter().zip(&expected.rows).enumerate() {
        for (column, (value, wanted)) in row.iter().zip(reference).enumerate() {
            if !same_value(value, wanted) {
                bail!(
                    "row {} column {} is {value:?}, the reference has {wanted:?} \
                     (row {row:?}, reference {reference:?})",
                    index + 1,
                    column + 1
                );
            }
        }
    }
    Ok(())
}

fn same_value(value: &str, wanted: &str) -> bool {
    let (value, wanted) = (value.trim(), wanted.trim());
    if value == wanted {
        return true;
    }
    match (value.parse::<f64>(), wanted.parse::<f64>()) {
        (Ok(a), Ok(b)) => (a - b).abs() <= TOLERANCE,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_within_the_tolerance_and_text_exactly() {
        assert!(same_value("25.522006", "25.52200585"));
        assert!(same_value("56586554400.73", "56586554400.73"));
        assert!(!same_value("56586554400.73", "56586554400.83"));
        assert!(same_value("Customer#000000001 ", "Customer#000000001"));
        assert!(!same_value("BRAZIL", "brazil"));
    }
}
