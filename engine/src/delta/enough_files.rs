//! A Parquet scan with a limit and no filter reads only the files the limit needs.
//!
//! `SELECT * FROM t LIMIT 10`, the first query of a BI tool's table preview, has its limit
//! pushed into the Parquet scan, which stops after 10 rows, but in each of its partitions:
//! every partition opens its first file and decompresses a page of every column there, and
//! all but one partition's rows are thrown away. The Delta log counts each file's rows, so the
//! first files whose rows reach the limit are enough: the scan drops the others, and reads
//! each file it keeps in one partition.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::common::stats::Precision;
use datafusion::config::ConfigOptions;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::{
    FileGroup, FileScanConfigBuilder, FileSource, ParquetSource,
};
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::Result;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use object_store::path::Path;

use crate::plan_rewrites::rewrite_nodes;

/// The physical optimizer rule that drops, from each Parquet scan with a limit and no filter,
/// the files beyond those whose rows reach the limit. Runs after DataFusion's own rules, once
/// limits are pushed into scans and files are split across partitions.
#[derive(Debug, Default)]
pub(crate) struct ReadEnoughFiles;

impl PhysicalOptimizerRule for ReadEnoughFiles {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        rewrite_nodes(plan, |node| Ok(with_enough_files(node)))
    }

    fn name(&self) -> &str {
        "read_enough_files"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// `scan` without the files its limit does not need; `None` when it needs them all, or when
/// rows may not all be returned as counted: a filter drops some, and the log counts the rows
/// a deletion vector deletes.
fn with_enough_files(scan: &Arc<dyn ExecutionPlan>) -> Option<Arc<dyn ExecutionPlan>> {
    let (config, source) = scan
        .downcast_ref::<DataSourceExec>()?
        .downcast_to_file_source::<ParquetSource>()?;
    let limit = config.limit?;
    if source.filter().is_some() || !source.table_schema().virtual_columns().is_empty() {
        return None;
    }
    // A file split across partitions appears once per part, each with the whole file's count.
    let files = || config.file_groups.iter().flat_map(FileGroup::iter);
    let mut needed: HashSet<&Path> = HashSet::new();
    let mut rows = 0;
    for file in files() {
        if rows >= limit {
            break;
        }
        if needed.insert(&file.object_meta.location) {
            let Precision::Exact(count) = file.statistics.as_ref()?.num_rows else {
                return None;
            };
            rows += count;
        }
    }
    // Nothing to change when every file is needed and none is split.
    let as_it_is =
        files().all(|file| file.range.is_none() && needed.contains(&file.object_meta.location));
    if rows < limit || as_it_is {
        return None;
    }
    // Each file needed is read whole by the first partition that had a part of it, so that
    // one partition, not each, decodes the first pages of its columns (a limit of millions of
    // rows then decodes them in one partition). Every partition stays, some with no file left:
    // the plan above expects their number.
    let mut placed: HashSet<&Path> = HashSet::new();
    let groups = config
        .file_groups
        .iter()
        .map(|group| {
            let kept = group
                .iter()
                .filter(|file| {
                    needed.contains(&file.object_meta.location)
                        && placed.insert(&file.object_meta.location)
                })
                .map(|file| PartitionedFile {
                    range: None,
                    ..file.clone()
                });
            FileGroup::new(kept.collect())
        })
        .collect();
    let config = FileScanConfigBuilder::from(config.clone())
        .with_file_groups(groups)
        .build();
    Some(DataSourceExec::from_data_source(config))
}
