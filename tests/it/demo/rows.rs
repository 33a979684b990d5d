//! Reading a query's result column by column, as plain Rust values.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Date32Type, Decimal128Type, Float64Type, Int64Type};
use chrono::NaiveDate;

/// A query's result, read column by column.
pub(super) struct Rows(pub(super) Vec<RecordBatch>);

impl Rows {
    pub(super) fn column(&self, name: &str) -> Vec<arrow::array::ArrayRef> {
        self.0
            .iter()
            .map(|batch| {
                batch
                    .column_by_name(name)
                    .unwrap_or_else(|| panic!("no column {name}"))
                    .clone()
            })
            .collect()
    }

    pub(super) fn strings(&self, name: &str) -> Vec<String> {
        self.column(name)
            .iter()
            .flat_map(|array| {
                let text = cast(array, &DataType::Utf8).unwrap();
                let text = text.as_string::<i32>();
                (0..text.len())
                    .map(|i| text.value(i).to_string())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    pub(super) fn ints(&self, name: &str) -> Vec<i64> {
        self.column(name)
            .iter()
            .flat_map(|array| {
                let ints = cast(array, &DataType::Int64).unwrap();
                ints.as_primitive::<Int64Type>().values().to_vec()
            })
            .collect()
    }

    /// A decimal column's unscaled values (cents for money).
    pub(super) fn unscaled(&self, name: &str) -> Vec<i128> {
        self.column(name)
            .iter()
            .flat_map(|array| array.as_primitive::<Decimal128Type>().values().to_vec())
            .collect()
    }

    pub(super) fn floats(&self, name: &str) -> Vec<f64> {
        self.column(name)
            .iter()
            .flat_map(|array| array.as_primitive::<Float64Type>().values().to_vec())
            .collect()
    }

    pub(super) fn dates(&self, name: &str) -> Vec<NaiveDate> {
        self.column(name)
            .iter()
            .flat_map(|array| {
                let dates = array.as_primitive::<Date32Type>();
                (0..dates.len())
                    .map(|i| dates.value_as_date(i).unwrap())
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}
