//! Building Arrow columns from plain Rust values, for the tables' record batches.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, Date32Array, Decimal128Array, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow::datatypes::Date32Type;
use arrow::error::ArrowError;
use chrono::{NaiveDate, NaiveDateTime};

use crate::error::DemoError;

/// The scale of every money column: cents.
pub(crate) const MONEY_SCALE: i8 = 2;
/// The precision of money columns (up to ten billion, enough for rupee totals).
pub(crate) const MONEY_PRECISION: u8 = 12;

pub(crate) fn strings<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(values))
}

pub(crate) fn int64s(values: impl IntoIterator<Item = i64>) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(values))
}

pub(crate) fn int32s(values: impl IntoIterator<Item = i32>) -> ArrayRef {
    Arc::new(Int32Array::from_iter_values(values))
}

pub(crate) fn dates(values: impl IntoIterator<Item = NaiveDate>) -> ArrayRef {
    Arc::new(Date32Array::from_iter_values(
        values.into_iter().map(Date32Type::from_naive_date),
    ))
}

/// Timestamps in UTC, as Spark writes a `timestamp` column.
pub(crate) fn utc_timestamps(values: impl IntoIterator<Item = NaiveDateTime>) -> ArrayRef {
    Arc::new(
        TimestampMicrosecondArray::from_iter_values(
            values.into_iter().map(|t| t.and_utc().timestamp_micros()),
        )
        .with_timezone("UTC"),
    )
}

/// Decimals from their unscaled values (`1234` at scale 2 is 12.34).
pub(crate) fn decimals(
    values: impl IntoIterator<Item = i64>,
    precision: u8,
    scale: i8,
) -> Result<ArrayRef, ArrowError> {
    let array = Decimal128Array::from_iter_values(values.into_iter().map(i128::from))
        .with_precision_and_scale(precision, scale)?;
    Ok(Arc::new(array))
}

/// Money in cents as DECIMAL(12, 2).
pub(crate) fn money(cents: impl IntoIterator<Item = i64>) -> Result<ArrayRef, ArrowError> {
    decimals(cents, MONEY_PRECISION, MONEY_SCALE)
}

/// A record batch of the named columns, for the table `table` (named in errors).
pub(crate) fn batch(
    table: &str,
    columns: Vec<(&str, Result<ArrayRef, ArrowError>)>,
) -> Result<RecordBatch, DemoError> {
    let rows = || -> Result<RecordBatch, ArrowError> {
        let mut named = Vec::with_capacity(columns.len());
        for (name, column) in columns {
            named.push((name, column?));
        }
        RecordBatch::try_from_iter(named)
    };
    rows().map_err(|source| DemoError::Rows {
        table: table.to_string(),
        source,
    })
}

/// Money in cents as text, the way the landing files carry prices: `1234.56`.
pub(crate) fn money_text(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

#[cfg(test)]
mod tests {
    use super::money_text;

    #[test]
    fn money_text_keeps_two_digits() {
        assert_eq!(money_text(123_405), "1234.05");
        assert_eq!(money_text(7), "0.07");
    }
}
