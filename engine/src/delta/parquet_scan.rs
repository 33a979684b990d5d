//! What we change in the Parquet scan that delta-rs plans under its `DeltaScanExec`.
//!
//! - Row filters follow the session (`datafusion.execution.parquet.pushdown_filters`, off by
//!   default), as they do for a plain Parquet table. delta-rs turns them on for every scan
//!   with a filter; in DataFusion 55 that decodes the filter columns row by row through
//!   selection masks, several times slower on TPC-H's filtered scans (Q6, Q15) than filtering
//!   whole batches above the scan. The filter stays in the scan for pruning row groups and
//!   pages either way, and delta-rs marks its filters inexact, so DataFusion keeps filtering
//!   above the scan when the reader does not.
//! - Column statistics come from the log ([`LogStatistics`]) for the columns delta-rs leaves
//!   unknown, so joins are planned from their sizes; unless the session says not to collect
//!   statistics (`datafusion.execution.collect_statistics`), as for a plain Parquet table.
//! - For a table with variant columns, each file's columns are mapped to the scan's by an
//!   adapter that reads shredded variants whole and folds them back ([`Unshredding`]).
//! - Footers are read with their page indexes ([`WithPageIndex`]), so a scan with a limit
//!   fetches pages, not row groups, and the byte ranges read are kept for the queries after
//!   ([`RangeCache`]); neither in a scan with deletion vectors, whose Parquet source delta-rs
//!   requires unchanged.

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::config::ConfigOptions;
use datafusion::datasource::physical_plan::{FileScanConfigBuilder, FileSource, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::Result;
use datafusion::physical_plan::ExecutionPlan;

use super::log_statistics::LogStatistics;
use super::page_index::WithPageIndex;
use super::range_cache::{CachedRanges, RangeCache};
use super::variant::Unshredding;

/// `scan` (a plan delta-rs built) with its Parquet scans adapted to `options`, given the log's
/// statistics, reading variants through `unshredding` and byte ranges through `ranges`.
pub(crate) fn adapt(
    scan: Arc<dyn ExecutionPlan>,
    options: &ConfigOptions,
    statistics: Option<&LogStatistics>,
    unshredding: Option<&Unshredding>,
    ranges: Option<&Arc<RangeCache>>,
) -> Result<Arc<dyn ExecutionPlan>> {
    let row_filters = options.execution.parquet.pushdown_filters;
    let statistics = statistics.filter(|_| options.execution.collect_statistics);
    scan.transform_up(|node| {
        let parquet = node
            .downcast_ref::<DataSourceExec>()
            .and_then(|exec| exec.downcast_to_file_source::<ParquetSource>());
        let adapted = parquet.and_then(|(config, source)| {
            let changes_filters =
                source.table_parquet_options().global.pushdown_filters != row_filters;
            // delta-rs refuses a scan with deletion vectors (read with a row-position virtual
            // column) whose Parquet source is not the one it planned.
            let keeps_source = !source.table_schema().virtual_columns().is_empty();
            let readers = source
                .parquet_file_reader_factory()
                .filter(|_| !keeps_source);
            if !changes_filters
                && readers.is_none()
                && statistics.is_none()
                && unshredding.is_none()
            {
                return None;
            }
            let mut builder = FileScanConfigBuilder::from(config.clone());
            if changes_filters || readers.is_some() {
                let mut source = source.clone().with_pushdown_filters(row_filters);
                if let Some(readers) = readers {
                    let readers = match ranges {
                        Some(cache) => Arc::new(CachedRanges {
                            inner: Arc::clone(readers),
                            cache: Arc::clone(cache),
                            store: Arc::from(config.object_store_url.as_str()),
                        }),
                        None => Arc::clone(readers),
                    };
                    source =
                        source.with_parquet_file_reader_factory(Arc::new(WithPageIndex(readers)));
                }
                builder = builder.with_source(Arc::new(source));
            }
            if let Some(unshredding) = unshredding {
                builder = builder.with_expr_adapter(Some(unshredding.adapter_for(config)));
            }
            if let Some(statistics) = statistics {
                builder = builder
                    .with_statistics(statistics.fill(config.statistics(), config.file_schema()));
            }
            let adapted: Arc<dyn ExecutionPlan> = DataSourceExec::from_data_source(builder.build());
            Some(adapted)
        });
        Ok(match adapted {
            Some(adapted) => Transformed::yes(adapted),
            None => Transformed::no(node),
        })
    })
    .data()
}
