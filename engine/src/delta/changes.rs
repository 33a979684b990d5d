//! `table_changes('t', start [, end])`: the change data feed of a table that records it
//! (`delta.enableChangeDataFeed = true`): its columns plus `_change_type` (insert, delete,
//! update_preimage, update_postimage), `_commit_version` and `_commit_timestamp`.
//!
//! `start` and `end` are versions (integers) or times (strings); both ends are included, and an
//! `end` past the latest commit reads up to the latest.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::datasource::physical_plan::parquet::DefaultParquetFileReaderFactory;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfig, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::{DataFusionError, Result as DataFusionResult};
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::union::UnionExec;
use deltalake::DeltaTable;
use deltalake::delta_datafusion::DeltaCdfTableProvider;
use deltalake::delta_datafusion::engine::AsObjectStoreUrl;
use object_store::path::Path;
use percent_encoding::percent_decode_str;
use url::Url;

use super::DeltaTableProvider;
use super::commit_log::{CommitLog, shown};
use super::preloaded::FunctionCall;
use super::statement_reads::Read;
use super::target::{Literal, TableTarget};
use super::time_travel::parse_timestamp;
use crate::error::Result;
use crate::store::path_in_store;

pub(crate) const TABLE_CHANGES: &str = "table_changes";

/// The table property that makes a table record its changes.
const CHANGE_DATA_FEED: &str = "delta.enableChangeDataFeed";

/// Where a change feed starts or ends.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum ChangeBound {
    Version(u64),
    /// A time, as written.
    Timestamp(String),
}

/// `table_changes('t', start [, end])`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ChangesCall {
    pub target: TableTarget,
    pub start: ChangeBound,
    pub end: Option<ChangeBound>,
}

impl FunctionCall for ChangesCall {
    const NAME: &'static str = TABLE_CHANGES;

    fn from_literals(args: &[Literal]) -> Result<Self, String> {
        let usage = || {
            format!(
                "{TABLE_CHANGES} takes a table name or path, a start and optionally an end, each \
                 a version (0 or more) or a time, as in {TABLE_CHANGES}('silver.orders', 2, 5) \
                 or {TABLE_CHANGES}('silver.orders', '2024-05-01 10:00:00')"
            )
        };
        let bound = |literal: &Literal| match literal {
            Literal::Integer(n) if *n >= 0 => Ok(ChangeBound::Version(n.unsigned_abs())),
            Literal::Text(text) => Ok(ChangeBound::Timestamp(text.clone())),
            Literal::Integer(_) => Err(usage()),
        };
        let (table, start, end) = match args {
            [Literal::Text(table), start] => (table, bound(start)?, None),
            [Literal::Text(table), start, end] => (table, bound(start)?, Some(bound(end)?)),
            _ => return Err(usage()),
        };
        Ok(Self {
            target: TableTarget::parse(table),
            start,
            end,
        })
    }

    fn target(&self) -> &TableTarget {
        &self.target
    }

    fn with_target(self, target: TableTarget) -> Self {
        Self { target, ..self }
    }

    fn into_read(self) -> Read {
        Read::Changes(self)
    }
}

/// The change feed `call` asks for, of `table` (named `name` in messages) whose log is `log`.
pub(crate) async fn changes_scan(
    name: &str,
    table: &DeltaTable,
    log: &CommitLog,
    call: &ChangesCall,
) -> Result<Arc<dyn TableProvider>> {
    let snapshot = table.snapshot().map_err(|e| log.error(e.to_string()))?;
    let enabled = snapshot
        .metadata()
        .configuration()
        .get(CHANGE_DATA_FEED)
        .is_some_and(|value| value.eq_ignore_ascii_case("true"));
    if !enabled {
        return Err(log.error(format!(
            "the table does not record its changes, so {TABLE_CHANGES} cannot read them: set \
             the table property {CHANGE_DATA_FEED} = true (changes are recorded from then on)"
        )));
    }
    let start = match &call.start {
        ChangeBound::Version(version) => {
            if *version > log.latest() {
                return Err(log.error(format!(
                    "the change feed cannot start at version {version}: {}",
                    log.range_in_words()
                )));
            }
            log.check_version(*version)?;
            *version
        }
        ChangeBound::Timestamp(text) => {
            let at = timestamp(log, text)?;
            log.first_version_from(at).await?.ok_or_else(|| {
                log.error(format!(
                    "no commit was made at or after {}: the latest is version {}",
                    shown(at),
                    log.latest()
                ))
            })?
        }
    };
    let end = match &call.end {
        None => log.latest(),
        Some(ChangeBound::Version(version)) => (*version).min(log.latest()),
        Some(ChangeBound::Timestamp(text)) => {
            let at = timestamp(log, text)?;
            let newest = log.newest_commits(Some(1)).await?;
            match newest.first() {
                Some(commit) if commit.timestamp <= at => commit.version,
                _ => log.version_at(at).await?,
            }
        }
    };
    if end < start {
        return Err(log.error(format!(
            "the change feed would end (version {end}) before it starts (version {start})"
        )));
    }
    let feed = table
        .clone()
        .scan_cdf()
        .with_starting_version(start)
        .with_ending_version(end);
    let feed = DeltaCdfTableProvider::try_new(feed).map_err(|e| log.error(e.to_string()))?;
    let root = table.table_url().clone();
    Ok(Arc::new(DeltaTableProvider::of_scan(
        &format!("{name} (changes of versions {start} to {end})"),
        Arc::new(ChangeFeed { feed, root }),
        table,
    )))
}

/// delta-rs' change feed, planned so that DataFusion can sort it and find its files.
///
/// Its plan is a union of three scans (change files, added files, removed files), and those
/// with no files have no partitions at all, which DataFusion cannot sort (a sort pushed into the
/// union fails its plan check). Scans with nothing to read are left out of the union, and the
/// others read their files where the log says they are, by their full path in the store of the
/// table's root (see [`located`]).
#[derive(Debug)]
struct ChangeFeed {
    feed: DeltaCdfTableProvider,
    /// The table's root.
    root: Url,
}

#[async_trait]
impl TableProvider for ChangeFeed {
    fn schema(&self) -> SchemaRef {
        self.feed.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DataFusionResult<Arc<dyn ExecutionPlan>> {
        let plan = self.feed.scan(state, projection, filters, limit).await?;
        let pruned = plan.transform_up(|node| {
            let Some(union) = node.downcast_ref::<UnionExec>() else {
                return Ok(Transformed::no(node));
            };
            let inputs: Vec<Arc<dyn ExecutionPlan>> = union
                .inputs()
                .iter()
                .filter(|input| input.properties().output_partitioning().partition_count() > 0)
                .cloned()
                .collect();
            if inputs.len() == union.inputs().len() {
                return Ok(Transformed::no(node));
            }
            let replaced = if inputs.is_empty() {
                Arc::new(EmptyExec::new(node.schema()))
            } else {
                UnionExec::try_new(inputs)?
            };
            Ok(Transformed::yes(replaced))
        })?;
        let located = pruned.data.transform_up(|node| {
            let Some(config) = node
                .downcast_ref::<DataSourceExec>()
                .and_then(|scan| scan.data_source().downcast_ref::<FileScanConfig>())
            else {
                return Ok(Transformed::no(node));
            };
            let mut config = config.clone();
            // delta-rs 1.1 plans the feed on a store of its own, registered in the session under
            // a made-up URL (`delta-rs://file---lake-silver-orders-`), each file's path relative
            // to the table, and read through a file reader bound to that store. Neither means
            // anything to another session, so such a scan could not travel to a cluster's
            // worker: it reads instead through the store of the table's root (`file://`,
            // `s3://bucket`), as the table's other scans do, by full paths, with the reader a
            // scan has by default (so the same on a worker, where the plan arrives without one).
            let mut prefix = Path::default();
            if config.object_store_url.as_str().starts_with("delta-rs://")
                && let Some(source) = config.file_source.downcast_ref::<ParquetSource>()
            {
                let url = self.root.as_object_store_url();
                let store = state.runtime_env().object_store(&url)?;
                config.file_source = Arc::new(source.clone().with_parquet_file_reader_factory(
                    Arc::new(DefaultParquetFileReaderFactory::new(store)),
                ));
                config.object_store_url = url;
                prefix = path_in_store(&self.root).map_err(DataFusionError::from)?;
            }
            config.file_groups = config
                .file_groups
                .into_iter()
                .map(|group| located(group, &prefix))
                .collect();
            let scan: Arc<dyn ExecutionPlan> = DataSourceExec::from_data_source(config);
            Ok(Transformed::yes(scan))
        })?;
        Ok(located.data)
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DataFusionResult<Vec<TableProviderFilterPushDown>> {
        self.feed.supports_filters_pushdown(filters)
    }
}

/// `group` with each file where the log names it, by its full path in the store at `prefix`.
///
/// delta-rs 1.1 takes the change feed's files by their paths as the log writes them, which are
/// URL-encoded (`city=New%2520York/part-0.parquet` for the folder `city=New%20York`, as Spark and
/// delta-rs escape a partition value), and encodes them once more; every file of a partition
/// whose value needs escaping (a space, a colon in a timestamp, `%`) is then not found. Decoding
/// the location once gives back the log's path, which is read as the encoded path it is. (A
/// delta-rs that no longer encodes twice would need this gone: tests/it/changes.rs fails then.)
fn located(group: FileGroup, prefix: &Path) -> FileGroup {
    let statistics = group.file_statistics(None).cloned();
    let files = group
        .into_inner()
        .into_iter()
        .map(|mut file| {
            let logged = percent_decode_str(file.object_meta.location.as_ref()).decode_utf8_lossy();
            if let Ok(location) = Path::parse(logged.as_ref()) {
                file.object_meta.location = location;
            }
            file.object_meta.location = prefix
                .parts()
                .chain(file.object_meta.location.parts())
                .collect();
            file
        })
        .collect();
    match statistics {
        Some(statistics) => FileGroup::new(files).with_statistics(Arc::new(statistics)),
        None => FileGroup::new(files),
    }
}

fn timestamp(log: &CommitLog, text: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    parse_timestamp(text).ok_or_else(|| {
        log.error(format!(
            "'{text}' is not a time: write it as '2024-05-01 10:00:00' (UTC) or with a zone"
        ))
    })
}
