//! Column statistics for the planner, folded from the Delta log.
//!
//! delta-rs 1.1 hands DataFusion the min, max and null count of a column only when a filter of
//! the query names it. Without them DataFusion guesses a join's size from row counts alone:
//! the join of `supplier` (10,000 rows) with `lineitem` (6 million) comes out at 10,000 rows,
//! so the next join builds its hash table from that "small" side on one thread (`CollectLeft`)
//! where it holds millions of rows. The log keeps these statistics for every column of every
//! file; folded into one value per column they give DataFusion what a plain Parquet table
//! gives it from the footers.

use std::cmp::Ordering;
use std::collections::HashMap;

use arrow::array::{Array, ArrayRef, UInt64Array};
use arrow::datatypes::{Field, Schema};
use datafusion::common::stats::Precision;
use datafusion::common::{Column, ColumnStatistics, ScalarValue, Statistics};
use datafusion::physical_optimizer::pruning::PruningStatistics;
use deltalake::DeltaTable;
use parking_lot::Mutex;

/// The log's statistics of one snapshot, folded per column on first use.
#[derive(Debug)]
pub(crate) struct LogStatistics {
    table: DeltaTable,
    /// Folded columns by name; a column is folded once per snapshot.
    columns: Mutex<HashMap<String, ColumnStatistics>>,
}

impl LogStatistics {
    /// The statistics of the snapshot `table` holds; none when the files' column names are not
    /// the table's (column mapping), since the stats are kept by the table's names.
    pub(crate) fn of(table: &DeltaTable) -> Option<Self> {
        let mapped = table
            .snapshot()
            .ok()?
            .metadata()
            .configuration()
            .get("delta.columnMapping.mode")
            .is_some_and(|mode| !mode.eq_ignore_ascii_case("none"));
        (!mapped).then(|| Self {
            table: table.clone(),
            columns: Mutex::new(HashMap::new()),
        })
    }

    /// `statistics` of a Parquet scan whose files have `file_schema`, with the log's bounds
    /// for each file column they leave unknown. The bounds are the table's, so they hold for
    /// any subset of its files: inexact, as estimates.
    pub(crate) fn fill(&self, mut statistics: Statistics, file_schema: &Schema) -> Statistics {
        let mut columns = self.columns.lock();
        for (field, column) in file_schema
            .fields()
            .iter()
            .zip(statistics.column_statistics.iter_mut())
        {
            if column.min_value != Precision::Absent || column.max_value != Precision::Absent {
                continue;
            }
            let folded = columns
                .entry(field.name().clone())
                .or_insert_with(|| self.fold(field.name()));
            *column = cast_bounds(folded, field);
        }
        statistics
    }

    /// One column's statistics over every file of the snapshot.
    fn fold(&self, name: &str) -> ColumnStatistics {
        let unknown = ColumnStatistics::new_unknown();
        let Ok(state) = self.table.snapshot() else {
            return unknown;
        };
        let Ok(files) = state.snapshot().try_log_data() else {
            return unknown;
        };
        let column = Column::from_name(name);
        ColumnStatistics {
            min_value: bound(files.min_values(&column), Ordering::Less),
            max_value: bound(files.max_values(&column), Ordering::Greater),
            null_count: total(files.null_counts(&column)),
            ..unknown
        }
    }
}

/// The smallest (`Less`) or largest (`Greater`) of the files' bounds; unknown when a file has
/// none, since that file may hold any value.
fn bound(values: Option<ArrayRef>, wanted: Ordering) -> Precision<ScalarValue> {
    let Some(values) = values else {
        return Precision::Absent;
    };
    let mut best: Option<ScalarValue> = None;
    for row in 0..values.len() {
        if values.is_null(row) {
            return Precision::Absent;
        }
        let Ok(value) = ScalarValue::try_from_array(values.as_ref(), row) else {
            return Precision::Absent;
        };
        best = match best {
            Some(current) => match value.partial_cmp(&current) {
                Some(order) if order == wanted => Some(value),
                Some(_) => Some(current),
                None => return Precision::Absent,
            },
            None => Some(value),
        };
    }
    best.map_or(Precision::Absent, Precision::Inexact)
}

/// The files' null counts added up; unknown when a file has none.
fn total(counts: Option<ArrayRef>) -> Precision<usize> {
    let Some(counts) = counts else {
        return Precision::Absent;
    };
    let Some(counts) = counts.as_any().downcast_ref::<UInt64Array>() else {
        return Precision::Absent;
    };
    if counts.null_count() > 0 {
        return Precision::Absent;
    }
    let sum: u64 = counts.values().iter().sum();
    usize::try_from(sum).map_or(Precision::Absent, Precision::Inexact)
}

/// `folded` with its bounds in the scan's type of the column (the log keeps strings as `Utf8`,
/// the scan reads them as `Utf8View`); a bound that does not cast is left unknown.
fn cast_bounds(folded: &ColumnStatistics, field: &Field) -> ColumnStatistics {
    let cast = |bound: &Precision<ScalarValue>| match bound {
        Precision::Inexact(value) => value
            .cast_to(field.data_type())
            .map_or(Precision::Absent, Precision::Inexact),
        _ => Precision::Absent,
    };
    ColumnStatistics {
        min_value: cast(&folded.min_value),
        max_value: cast(&folded.max_value),
        ..folded.clone()
    }
}
