//! Date and time columns as chrono values and back, so the T-SQL functions compute with
//! calendar arithmetic whatever the column's Arrow type. Zoned timestamps are read as the
//! wall-clock time of their zone, as Arrow's cast gives them.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Date32Array, TimestampNanosecondArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Date32Type, TimeUnit, TimestampNanosecondType};
use chrono::NaiveDateTime;
use datafusion::common::{Result, exec_err, plan_err};

/// The type DATEADD returns for `input`, or an error when it holds no date.
pub(crate) fn datetime_type(function: &str, input: &DataType) -> Result<DataType> {
    match input {
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(_, _) => Ok(input.clone()),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null => {
            Ok(DataType::Timestamp(TimeUnit::Nanosecond, None))
        }
        other => plan_err!("{function}: expected a date, timestamp or string, got {other}"),
    }
}

/// The values of a date, timestamp or string column (nulls as `None`).
pub(crate) fn to_datetimes(array: &ArrayRef) -> Result<Vec<Option<NaiveDateTime>>> {
    if let DataType::Date32 = array.data_type() {
        let dates = array.as_primitive::<Date32Type>();
        return Ok((0..dates.len())
            .map(|i| {
                dates
                    .is_valid(i)
                    .then(|| dates.value_as_datetime(i))
                    .flatten()
            })
            .collect());
    }
    let nanos = cast(array, &DataType::Timestamp(TimeUnit::Nanosecond, None))?;
    let nanos = nanos.as_primitive::<TimestampNanosecondType>();
    Ok((0..nanos.len())
        .map(|i| {
            nanos
                .is_valid(i)
                .then(|| nanos.value_as_datetime(i))
                .flatten()
        })
        .collect())
}

/// A column of `target` type holding `values`.
pub(crate) fn from_datetimes(
    values: &[Option<NaiveDateTime>],
    target: &DataType,
) -> Result<ArrayRef> {
    if let DataType::Date32 = target {
        return Ok(Arc::new(Date32Array::from_iter(
            values
                .iter()
                .map(|v| v.map(|t| Date32Type::from_naive_date(t.date()))),
        )));
    }
    let nanos = values
        .iter()
        .map(|v| match v {
            None => Ok(None),
            Some(t) => match t.and_utc().timestamp_nanos_opt() {
                Some(n) => Ok(Some(n)),
                None => exec_err!("{t} is outside the range of timestamps (1677 to 2262)"),
            },
        })
        .collect::<Result<TimestampNanosecondArray>>()?;
    Ok(cast(&nanos, target)?)
}
