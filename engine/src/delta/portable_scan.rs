//! A Delta scan that can be rebuilt on another machine from a few lines of description.
//!
//! delta-rs 1.1's `DeltaScanExec` has no physical codec (delta-rs issue #4171) and its fields
//! are private, so it cannot be sent to a cluster's worker as it is. A coordinator wraps the
//! scan it planned in a [`PortableDeltaScanExec`] instead: the plan it runs when the scan stays
//! on the coordinator, plus what a worker needs to plan the same scan over some of its files —
//! the table's URI and version, the files of each output partition, the projection, the
//! filters and the limit (never the log). A worker loads the snapshot at that version (once per
//! table and version, see [`super::pinned_snapshots`]) and plans the scan of its files through
//! delta-rs itself, so deletion vectors, column mapping, partition values, type widening and
//! variant columns read exactly as on one machine.

use std::fmt;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use datafusion::catalog::Session;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{Statistics, internal_err};
use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::Expr;
use datafusion::physical_expr::{EquivalenceProperties, Partitioning, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::statistics::{StatisticsArgs, StatisticsContext};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, execute_stream,
};
use deltalake::DeltaTable;
use futures::TryStreamExt;

use super::pinned_snapshots::PinnedSnapshots;
use super::provider::DeltaTableProvider;

/// What a worker needs to plan a table's scan again, as the coordinator planned it.
#[derive(Debug, Clone)]
pub(crate) struct ScanDescription {
    /// How messages name the table.
    pub(crate) table_name: String,
    /// The table's root, as delta-rs opened it.
    pub(crate) table_url: String,
    /// The snapshot scanned: every task reads the same version, however the table moves on.
    pub(crate) version: u64,
    /// Indices into the table's columns (variants read as JSON text); `None` for all.
    pub(crate) projection: Option<Vec<usize>>,
    /// The filters DataFusion handed the scan.
    pub(crate) filters: Vec<Expr>,
    pub(crate) limit: Option<usize>,
}

/// Where the snapshot comes from when the scan is planned again.
#[derive(Debug)]
pub(crate) enum SnapshotSource {
    /// The coordinator's, already in memory.
    Loaded(DeltaTable),
    /// A worker's: loaded by URI and version when the scan first runs.
    Pinned(Arc<PinnedSnapshots>),
}

impl SnapshotSource {
    async fn table(&self, description: &ScanDescription) -> Result<DeltaTable> {
        match self {
            SnapshotSource::Loaded(table) => Ok(table.clone()),
            SnapshotSource::Pinned(snapshots) => snapshots
                .table(&description.table_url, description.version)
                .await
                .map_err(DataFusionError::from),
        }
    }
}

/// A scan of one Delta snapshot, whose output partition `i` reads the files of group `i`.
#[derive(Debug)]
pub(crate) struct PortableDeltaScanExec {
    description: Arc<ScanDescription>,
    /// The files (URLs under the table's root) each output partition reads.
    file_groups: Vec<Vec<String>>,
    source: Arc<SnapshotSource>,
    /// The scan as the coordinator planned it, run as it is while the scan is whole; `None` for
    /// a part of it (a task's share, or one decoded on a worker).
    local: Option<Arc<dyn ExecutionPlan>>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl PortableDeltaScanExec {
    /// `local`, the scan planned from `table` as `description` says, made portable. Its files
    /// are the ones the planned Parquet scans read (after pruning by the log's statistics), or
    /// every file of the snapshot when delta-rs answers from the log alone.
    pub(crate) fn wrap(
        local: Arc<dyn ExecutionPlan>,
        table: &DeltaTable,
        description: ScanDescription,
    ) -> Result<Self> {
        let files = match files_read_by(&local)? {
            Some(files) => files,
            None => table
                .get_file_uris()
                .map_err(|e| DataFusionError::External(Box::new(e)))?
                .collect(),
        };
        let partitions = local.properties().partitioning.partition_count();
        Ok(Self {
            description: Arc::new(description),
            file_groups: deal(files, partitions),
            source: Arc::new(SnapshotSource::Loaded(table.clone())),
            schema: local.schema(),
            properties: local.properties().clone(),
            local: Some(local),
        })
    }

    /// A part of a scan, as a worker decodes it: planned when it first runs.
    pub(crate) fn part(
        description: Arc<ScanDescription>,
        file_groups: Vec<Vec<String>>,
        schema: SchemaRef,
        source: Arc<SnapshotSource>,
    ) -> Self {
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            Partitioning::UnknownPartitioning(file_groups.len().max(1)),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Self {
            description,
            file_groups,
            source,
            local: None,
            schema,
            properties,
        }
    }

    pub(crate) fn description(&self) -> &ScanDescription {
        &self.description
    }

    pub(crate) fn file_groups(&self) -> &[Vec<String>] {
        &self.file_groups
    }

    pub(crate) fn file_count(&self) -> usize {
        self.file_groups.iter().map(Vec::len).sum()
    }

    /// The scan cut into `tasks` parts that read disjoint files and together read them all,
    /// each with this scan's number of output partitions.
    pub(crate) fn split(&self, tasks: usize) -> Vec<PortableDeltaScanExec> {
        let tasks = tasks.max(1);
        let mut shares = vec![Vec::new(); tasks];
        for (index, file) in self.file_groups.iter().flatten().enumerate() {
            shares[index % tasks].push(file.clone());
        }
        let partitions = self.properties.partitioning.partition_count();
        shares
            .into_iter()
            .map(|files| {
                PortableDeltaScanExec::part(
                    self.description.clone(),
                    deal(files, partitions),
                    self.schema.clone(),
                    self.source.clone(),
                )
            })
            .collect()
    }

    /// Plans the scan of `files` through delta-rs, as on the coordinator.
    async fn plan_files(
        &self,
        files: Vec<String>,
        context: &TaskContext,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let description = &self.description;
        let table = self.source.table(description).await?;
        let provider = DeltaTableProvider::for_files(&description.table_name, &table, files)
            .await
            .map_err(DataFusionError::from)?;
        let session = SessionStateBuilder::new()
            .with_config(context.session_config().clone())
            .with_runtime_env(context.runtime_env())
            .build();
        let plan = provider
            .plan_here(
                &session as &dyn Session,
                description.projection.as_deref(),
                &description.filters,
                description.limit,
            )
            .await?;
        let planned = plan.schema();
        let same_columns = planned.fields().len() == self.schema.fields().len()
            && planned
                .fields()
                .iter()
                .zip(self.schema.fields())
                .all(|(a, b)| a.name() == b.name() && a.data_type() == b.data_type());
        if !same_columns {
            return Err(DataFusionError::Execution(format!(
                "table {} at version {}: the scan planned here reads other columns than the \
                 coordinator planned",
                description.table_name, description.version
            )));
        }
        Ok(plan)
    }
}

/// `files` dealt round-robin into `groups` groups (at least one).
fn deal(files: Vec<String>, groups: usize) -> Vec<Vec<String>> {
    let mut dealt = vec![Vec::new(); groups.max(1)];
    let count = dealt.len();
    for (index, file) in files.into_iter().enumerate() {
        dealt[index % count].push(file);
    }
    dealt
}

/// The URLs of the files the Parquet scans in `plan` read; `None` when it has no file scan.
fn files_read_by(plan: &Arc<dyn ExecutionPlan>) -> Result<Option<Vec<String>>> {
    let mut files = None::<Vec<String>>;
    let mut pending = vec![plan];
    while let Some(node) = pending.pop() {
        if let Some(config) = node
            .downcast_ref::<DataSourceExec>()
            .and_then(|exec| exec.data_source().downcast_ref::<FileScanConfig>())
        {
            let found = files.get_or_insert_with(Vec::new);
            for file in config.file_groups.iter().flat_map(|group| group.iter()) {
                found.push(file_url(
                    config.object_store_url.as_str(),
                    &file.object_meta.location,
                )?);
            }
        }
        pending.extend(node.children());
    }
    Ok(files)
}

/// The URL of the file at `location` in the store at `store`, spelled as delta-rs spells the
/// file's URL (its table root joined with the path in the log), which is how a file selection
/// finds it. delta-rs made `location` by decoding that URL's path, so each segment is encoded
/// again (a `%` in a folder name, as Spark writes `:` in partition values, becomes `%25`).
fn file_url(store: &str, location: &object_store::path::Path) -> Result<String> {
    let unusable = |reason: &str| {
        DataFusionError::Plan(format!(
            "cannot name the data file {location} in {store}: {reason}"
        ))
    };
    let mut url = url::Url::parse(store).map_err(|e| unusable(&e.to_string()))?;
    {
        let mut segments = url
            .path_segments_mut()
            .map_err(|()| unusable("the store's URL has no path"))?;
        segments.pop_if_empty();
        for part in location.parts() {
            segments.push(part.as_ref());
        }
    }
    Ok(url.to_string())
}

impl DisplayAs for PortableDeltaScanExec {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PortableDeltaScanExec: table={}, version={}, files={}, partitions={}",
            self.description.table_name,
            self.description.version,
            self.file_count(),
            self.file_groups.len()
        )?;
        if self.local.is_none() {
            write!(f, ", planned where it runs")?;
        }
        Ok(())
    }
}

impl ExecutionPlan for PortableDeltaScanExec {
    fn name(&self) -> &str {
        "PortableDeltaScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.is_empty() {
            Ok(self)
        } else {
            internal_err!("PortableDeltaScanExec is a leaf and takes no inputs")
        }
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    /// The coordinator's scan's statistics (the log's, which size joins); none for a part.
    fn statistics_from_inputs(
        &self,
        _input_stats: &[Arc<Statistics>],
        args: &StatisticsArgs,
    ) -> Result<Arc<Statistics>> {
        match &self.local {
            // `local` is not a child (the planner must not see into it), so walk it here.
            Some(local) => StatisticsContext::new().compute(local.as_ref(), args),
            None => Ok(Arc::new(Statistics::new_unknown(&self.schema))),
        }
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        if let Some(local) = &self.local {
            return local.execute(partition, context);
        }
        let Some(files) = self.file_groups.get(partition) else {
            return internal_err!(
                "PortableDeltaScanExec of table {} has no partition {partition}",
                self.description.table_name
            );
        };
        let schema = self.schema.clone();
        if files.is_empty() {
            return Ok(Box::pin(RecordBatchStreamAdapter::new(
                schema,
                futures::stream::empty(),
            )));
        }
        let scan = Self::part(
            self.description.clone(),
            Vec::new(),
            self.schema.clone(),
            self.source.clone(),
        );
        let files = files.clone();
        let table = self.description.table_name.clone();
        let stream = async move {
            // Planning errors name the table already; reading errors are named here, as they
            // reach the coordinator as text.
            let plan = scan.plan_files(files, &context).await?;
            let rows = execute_stream(plan, context)?
                .map_err(move |error| error.context(format!("reading table {table}")));
            Ok::<_, DataFusionError>(rows)
        };
        let rows = futures::stream::once(stream).try_flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, rows)))
    }
}
