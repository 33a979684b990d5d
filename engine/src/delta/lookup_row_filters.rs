//! Row filters in the Parquet reader for the Delta scans whose filter keeps almost nothing: the
//! lookups by key that dashboards and drill-downs send.
//!
//! Row filters are off by default (see `parquet_scan.rs`): on scans that keep a few percent of
//! their rows or more, as TPC-H's do, decoding the filter's columns first and the others
//! through a row selection is slower than filtering whole batches. A lookup is the other case.
//! The page index narrows it to one page of each column, and filtering whole batches decodes
//! all of that page for every column (20,100 rows of `orders` to find one order), where a row
//! filter decodes the key's column and then one row of each other column.
//!
//! So a Parquet scan under a Delta scan whose filter the planner expects to keep at most one row
//! in [`ROWS_PER_KEPT_ROW`] filters rows in the reader, whatever the session's setting. The
//! reader filters by the predicate the scan already prunes row groups and pages with, and the
//! filter above it stays. A scan with deletion vectors is left as it is: delta-rs requires its
//! Parquet source unchanged.

use std::sync::Arc;

use datafusion::config::ConfigOptions;
use datafusion::datasource::physical_plan::{FileScanConfigBuilder, FileSource, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::Result;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::execution_plan::replace_children_if_necessary;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::statistics::{StatisticsArgs, StatisticsContext};

use super::dynamic_filters::PASS_ROWS_ON;
use crate::plan_rewrites::rewrite_nodes;

/// A filter expected to keep at most one row in this many is a lookup.
const ROWS_PER_KEPT_ROW: usize = 1000;

/// The physical optimizer rule that turns row filters on for lookups (see the module's
/// documentation). Runs after DataFusion has pushed filters into the scans, before the rules
/// that apply dynamic filters decide whether a scan filters its rows itself.
#[derive(Debug, Default)]
pub(crate) struct LookupRowFilters;

impl PhysicalOptimizerRule for LookupRowFilters {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        rewrite_nodes(plan, filtering_rows_in_reader)
    }

    fn name(&self) -> &str {
        "lookup_row_filters"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// `plan`, a lookup's filter on a Delta scan of Parquet files, with the reader filtering rows;
/// `None` for any other plan.
fn filtering_rows_in_reader(
    plan: &Arc<dyn ExecutionPlan>,
) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    if plan.downcast_ref::<FilterExec>().is_none() {
        return Ok(None);
    }
    let [input] = plan.children()[..] else {
        return Ok(None);
    };
    if input.name() != "DeltaScanExec" || !is_lookup(plan, input)? {
        return Ok(None);
    }
    reader_filtering_rows(input)?
        .map(|input| replace_children_if_necessary(Arc::clone(plan), vec![input]))
        .transpose()
}

/// `plan` with the Parquet scan it hands on (through operators that pass rows on unchanged)
/// filtering rows by its predicate; `None` when there is no such scan, or it already does, or
/// it must stay as it is.
fn reader_filtering_rows(plan: &Arc<dyn ExecutionPlan>) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    if let Some((config, source)) = plan
        .downcast_ref::<DataSourceExec>()
        .and_then(|exec| exec.downcast_to_file_source::<ParquetSource>())
    {
        let deletion_vectors = !source.table_schema().virtual_columns().is_empty();
        if deletion_vectors
            || source.table_parquet_options().global.pushdown_filters
            || source.filter().is_none()
        {
            return Ok(None);
        }
        let source = source.clone().with_pushdown_filters(true);
        return Ok(Some(DataSourceExec::from_data_source(
            FileScanConfigBuilder::from(config.clone())
                .with_source(Arc::new(source))
                .build(),
        )));
    }
    let [child] = plan.children()[..] else {
        return Ok(None);
    };
    if !PASS_ROWS_ON.contains(&plan.name()) {
        return Ok(None);
    }
    reader_filtering_rows(child)?
        .map(|child| replace_children_if_necessary(Arc::clone(plan), vec![child]))
        .transpose()
}

/// Whether `filter` is expected to keep at most one row in [`ROWS_PER_KEPT_ROW`] of `input`'s.
fn is_lookup(filter: &Arc<dyn ExecutionPlan>, input: &Arc<dyn ExecutionPlan>) -> Result<bool> {
    let statistics = StatisticsContext::new();
    let args = StatisticsArgs::new();
    let kept = statistics.compute(filter.as_ref(), &args)?.num_rows;
    let read = statistics.compute(input.as_ref(), &args)?.num_rows;
    Ok(match (kept.get_value(), read.get_value()) {
        (Some(&kept), Some(&read)) => kept.saturating_mul(ROWS_PER_KEPT_ROW) <= read,
        _ => false,
    })
}
