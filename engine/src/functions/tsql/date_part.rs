//! T-SQL date parts (`year`, `qq`, `dw`, ...) and what each means for DATEPART, DATEADD and
//! DATEDIFF.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, FieldRef};
use chrono::{Datelike, Months, NaiveDateTime, TimeDelta, Timelike};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{ColumnarValue, ReturnFieldArgs, ScalarUDFImpl};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum DatePart {
    Year,
    Quarter,
    Month,
    DayOfYear,
    Day,
    Week,
    IsoWeek,
    Weekday,
    Hour,
    Minute,
    Second,
    Millisecond,
    Microsecond,
    Nanosecond,
}

use DatePart::*;

/// The names T-SQL accepts, abbreviations included, lower case.
const NAMES: &[(&str, DatePart)] = &[
    ("year", Year),
    ("yy", Year),
    ("yyyy", Year),
    ("quarter", Quarter),
    ("qq", Quarter),
    ("q", Quarter),
    ("month", Month),
    ("mm", Month),
    ("m", Month),
    ("dayofyear", DayOfYear),
    ("dy", DayOfYear),
    ("y", DayOfYear),
    ("day", Day),
    ("dd", Day),
    ("d", Day),
    ("week", Week),
    ("wk", Week),
    ("ww", Week),
    ("iso_week", IsoWeek),
    ("isowk", IsoWeek),
    ("isoww", IsoWeek),
    ("weekday", Weekday),
    ("dw", Weekday),
    ("w", Weekday),
    ("hour", Hour),
    ("hh", Hour),
    ("minute", Minute),
    ("mi", Minute),
    ("n", Minute),
    ("second", Second),
    ("ss", Second),
    ("s", Second),
    ("millisecond", Millisecond),
    ("ms", Millisecond),
    ("microsecond", Microsecond),
    ("mcs", Microsecond),
    ("nanosecond", Nanosecond),
    ("ns", Nanosecond),
];

impl DatePart {
    /// The part a T-SQL name stands for, in any case.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        NAMES
            .iter()
            .find(|(known, _)| *known == lower)
            .map(|(_, part)| *part)
    }

    /// The part named by a function's first argument, which must be a constant string.
    pub(crate) fn from_argument(function: &str, argument: Option<&ScalarValue>) -> Result<Self> {
        let name = match argument {
            Some(
                ScalarValue::Utf8(Some(name))
                | ScalarValue::LargeUtf8(Some(name))
                | ScalarValue::Utf8View(Some(name)),
            ) => name,
            _ => {
                return plan_err!(
                    "{function}: the date part must be a constant such as year, quarter, month, day, week, hour"
                );
            }
        };
        match Self::parse(name) {
            Some(part) => Ok(part),
            None => plan_err!(
                "{function}: unknown date part '{name}'; use one of {}",
                NAMES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            ),
        }
    }

    /// The part named by the first argument of a call being run.
    pub(crate) fn from_call(function: &str, argument: &ColumnarValue) -> Result<Self> {
        match argument {
            ColumnarValue::Scalar(value) => Self::from_argument(function, Some(value)),
            ColumnarValue::Array(_) => Self::from_argument(function, None),
        }
    }

    /// Whether the part is finer than a day, so it needs a time of day.
    pub(crate) fn is_time(self) -> bool {
        matches!(
            self,
            Hour | Minute | Second | Millisecond | Microsecond | Nanosecond
        )
    }

    /// DATEPART: this part of `t`. Weeks start on Sunday and week 1 holds January 1st;
    /// weekdays count from Sunday = 1 (T-SQL's defaults, `SET DATEFIRST 7`).
    pub(crate) fn of(self, t: NaiveDateTime) -> i32 {
        let nanos = t.nanosecond() % 1_000_000_000;
        let value = match self {
            Year => return t.year(),
            Quarter => t.month0() / 3 + 1,
            Month => t.month(),
            DayOfYear => t.ordinal(),
            Day => t.day(),
            Week => {
                // January 1st's weekday (Sunday = 0): the days of week 1 before it.
                let january_first_weekday = (i64::from(t.weekday().num_days_from_sunday())
                    - i64::from(t.ordinal0()))
                .rem_euclid(7);
                ((i64::from(t.ordinal0()) + january_first_weekday) / 7 + 1) as u32
            }
            IsoWeek => t.iso_week().week(),
            Weekday => t.weekday().num_days_from_sunday() + 1,
            Hour => t.hour(),
            Minute => t.minute(),
            Second => t.second(),
            Millisecond => nanos / 1_000_000,
            Microsecond => nanos / 1_000,
            Nanosecond => nanos,
        };
        value as i32
    }

    /// DATEADD: `t` moved by `n` of this part. Adding months keeps the day, or takes the
    /// month's last day when it has fewer days (January 31st + 1 month is February 28th/29th).
    pub(crate) fn add(self, n: i64, t: NaiveDateTime) -> Result<NaiveDateTime> {
        let moved = match self {
            Year => add_months(t, n.checked_mul(12)),
            Quarter => add_months(t, n.checked_mul(3)),
            Month => add_months(t, Some(n)),
            DayOfYear | Day | Weekday => {
                TimeDelta::try_days(n).and_then(|d| t.checked_add_signed(d))
            }
            Week | IsoWeek => TimeDelta::try_weeks(n).and_then(|d| t.checked_add_signed(d)),
            Hour => TimeDelta::try_hours(n).and_then(|d| t.checked_add_signed(d)),
            Minute => TimeDelta::try_minutes(n).and_then(|d| t.checked_add_signed(d)),
            Second => TimeDelta::try_seconds(n).and_then(|d| t.checked_add_signed(d)),
            Millisecond => TimeDelta::try_milliseconds(n).and_then(|d| t.checked_add_signed(d)),
            Microsecond => t.checked_add_signed(TimeDelta::microseconds(n)),
            Nanosecond => t.checked_add_signed(TimeDelta::nanoseconds(n)),
        };
        match moved {
            Some(moved) => Ok(moved),
            None => exec_err!("DATEADD: adding {n} {self:?} to {t} is out of range"),
        }
    }

    /// DATEDIFF: how many boundaries of this part lie between `start` and `end` (negative when
    /// `end` is earlier). DATEDIFF(year, '2024-12-31', '2025-01-01') is 1; weeks turn on
    /// Sundays (Mondays for iso_week).
    pub(crate) fn boundaries_between(
        self,
        start: NaiveDateTime,
        end: NaiveDateTime,
    ) -> Result<i64> {
        let index = |t: NaiveDateTime| -> Option<i64> {
            let days = i64::from(t.num_days_from_ce());
            let utc = t.and_utc();
            Some(match self {
                Year => i64::from(t.year()),
                Quarter => i64::from(t.year()) * 4 + i64::from(t.month0() / 3),
                Month => i64::from(t.year()) * 12 + i64::from(t.month0()),
                DayOfYear | Day | Weekday => days,
                // Day 1 of the common era was a Monday, so day 7 is the first Sunday.
                Week => days.div_euclid(7),
                IsoWeek => (days - 1).div_euclid(7),
                Hour => utc.timestamp().div_euclid(3_600),
                Minute => utc.timestamp().div_euclid(60),
                Second => utc.timestamp(),
                Millisecond => utc.timestamp_millis(),
                Microsecond => utc.timestamp_micros(),
                Nanosecond => utc.timestamp_nanos_opt()?,
            })
        };
        match (index(start), index(end)) {
            (Some(start_index), Some(end_index)) => Ok(end_index - start_index),
            _ => exec_err!(
                "DATEDIFF: the {self:?} difference between {start} and {end} is out of range"
            ),
        }
    }
}

fn add_months(t: NaiveDateTime, months: Option<i64>) -> Option<NaiveDateTime> {
    let months = months?;
    let count = Months::new(u32::try_from(months.unsigned_abs()).ok()?);
    if months >= 0 {
        t.checked_add_months(count)
    } else {
        t.checked_sub_months(count)
    }
}

/// The result field of `function`, whose first argument names a date part: the part is
/// checked when the statement is planned, so a wrong one fails before any row is read.
pub(crate) fn field_of_part_function(
    function: &dyn ScalarUDFImpl,
    args: ReturnFieldArgs,
) -> Result<FieldRef> {
    DatePart::from_argument(
        function.name(),
        args.scalar_arguments.first().copied().flatten(),
    )?;
    let types: Vec<DataType> = args
        .arg_fields
        .iter()
        .map(|f| f.data_type().clone())
        .collect();
    let result = function.return_type(&types)?;
    Ok(Arc::new(Field::new(function.name(), result, true)))
}
