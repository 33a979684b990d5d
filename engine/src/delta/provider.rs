//! The scan DataFusion plans against: delta-rs' scan of one snapshot, with errors that name the
//! table, variant columns read as JSON text (see `variant.rs`), and its Parquet scan adapted to
//! the session and given the log's column statistics (see `parquet_scan.rs`).

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::default_table_source::source_as_provider;
use datafusion::catalog::{ScanArgs, ScanResult, Session, TableProvider};
use datafusion::common::Statistics;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{Expr, LogicalPlan, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::ExecutionPlan;
use deltalake::kernel::transaction::TransactionError;
use deltalake::{DeltaTable, DeltaTableError};

use super::limit_guard::keep_limit;
use super::log_statistics::LogStatistics;
use super::parquet_scan;
use super::portable_scan::{PortableDeltaScanExec, ScanDescription};
use super::range_cache::RangeCache;
use super::variant::{Unshredding, VariantColumns};
use crate::error::EngineError;

/// Set on a coordinator's session (a [`datafusion::prelude::SessionConfig`] extension): its
/// Delta scans are planned as [`PortableDeltaScanExec`]s, which its workers can plan again.
#[derive(Debug, Default)]
pub(crate) struct PortableScans;

/// One snapshot of a Delta table, ready to scan. Queries that planned against it keep reading
/// that snapshot even when the table moves on.
#[derive(Debug)]
pub(crate) struct DeltaTableProvider {
    /// How messages name the table.
    name: String,
    scan: Arc<dyn TableProvider>,
    /// The table at the snapshot scanned; none for a scan of its change feed.
    table: Option<DeltaTable>,
    /// The columns holding variants, read as JSON text; none when the table has none.
    variants: Option<VariantColumns>,
    /// How its Parquet scans read those columns (shredded ones folded back).
    unshredding: Option<Unshredding>,
    /// The scan's schema, with variants as strings.
    schema: SchemaRef,
    /// The log's column statistics of the snapshot scanned; none for a change feed.
    statistics: Option<LogStatistics>,
}

impl DeltaTableProvider {
    /// A scan of the snapshot `table` holds now. Fails, naming the table and the feature, when
    /// the table needs a reader feature we cannot read.
    pub(crate) async fn try_new(name: &str, table: &DeltaTable) -> Result<Self, EngineError> {
        let scan = table
            .table_provider()
            .build()
            .await
            .map_err(|e| EngineError::Table {
                table: name.to_string(),
                reason: describe_scan_error(&e),
            })?;
        Ok(Self::reading(
            name,
            Arc::new(scan),
            Some(table.clone()),
            table,
        ))
    }

    /// A scan of only `files` (URLs under the table's root) of the snapshot `table` holds: a
    /// task's share of a scan planned elsewhere.
    pub(crate) async fn for_files(
        name: &str,
        table: &DeltaTable,
        files: Vec<String>,
    ) -> Result<Self, EngineError> {
        let scan = table
            .table_provider()
            .with_file_paths(files)
            .build()
            .await
            .map_err(|e| EngineError::Table {
                table: name.to_string(),
                reason: describe_scan_error(&e),
            })?;
        let scan = Self::reading(name, Arc::new(scan), Some(table.clone()), table);
        // The coordinator planned with the log's statistics; a share of the scan needs none.
        Ok(Self {
            statistics: None,
            ..scan
        })
    }

    /// Another scan of the Delta table `of` (its change feed), with errors that name the table
    /// and variant columns read as JSON text, as in the table itself.
    pub(crate) fn of_scan(name: &str, scan: Arc<dyn TableProvider>, of: &DeltaTable) -> Self {
        Self::reading(name, scan, None, of)
    }

    fn reading(
        name: &str,
        scan: Arc<dyn TableProvider>,
        snapshot: Option<DeltaTable>,
        of: &DeltaTable,
    ) -> Self {
        let variants = of
            .snapshot()
            .ok()
            .and_then(|snapshot| VariantColumns::of(&snapshot.schema()));
        let schema = match &variants {
            Some(variants) => variants.json_schema(&scan.schema()),
            None => scan.schema(),
        };
        Self {
            name: name.to_string(),
            scan,
            statistics: snapshot.as_ref().and_then(LogStatistics::of),
            table: snapshot,
            unshredding: variants
                .as_ref()
                .map(|variants| Unshredding::new(name, variants)),
            variants,
            schema,
        }
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The table at the snapshot this scans, for reading its log and metadata.
    pub(crate) fn table(&self) -> Option<&DeltaTable> {
        self.table.as_ref()
    }

    fn name_table(&self, error: DataFusionError) -> DataFusionError {
        error.context(format!("table {}", self.name))
    }

    /// The scan delta-rs planned, its Parquet scan adapted to `state` and reading shredded
    /// variants whole, with variants turned into JSON text and a pushed limit kept.
    fn finish(
        &self,
        state: &dyn Session,
        scan: Arc<dyn ExecutionPlan>,
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let scan = parquet_scan::adapt(
            scan,
            state.config_options(),
            self.statistics.as_ref(),
            self.unshredding.as_ref(),
            state.config().get_extension::<RangeCache>().as_ref(),
        )?;
        let scan = keep_limit(scan, limit);
        Ok(match &self.variants {
            Some(variants) => variants.wrap(scan),
            None => scan,
        })
    }

    /// The scan as this machine runs it, never made portable: what a worker runs of its share.
    pub(crate) async fn plan_here(
        &self,
        state: &dyn Session,
        projection: Option<&[usize]>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let args = ScanArgs::default()
            .with_projection(projection)
            .with_filters(Some(filters))
            .with_limit(limit);
        let result = self
            .scan
            .scan_with_args(state, args)
            .await
            .map_err(|e| self.name_table(e))?;
        self.finish(state, result.into_inner(), limit)
    }

    /// `scan`, made portable when `state` is a coordinator's and the scan reads a snapshot
    /// (a change feed's scan is delta-rs' own and stays as it is).
    fn portable(
        &self,
        state: &dyn Session,
        scan: Arc<dyn ExecutionPlan>,
        projection: Option<&[usize]>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let table = match (&self.table, state.config().get_extension::<PortableScans>()) {
            (Some(table), Some(_)) => table,
            _ => return Ok(scan),
        };
        let Some(version) = table.version() else {
            return Ok(scan);
        };
        let description = ScanDescription {
            table_name: self.name.clone(),
            table_url: table.table_url().to_string(),
            version,
            projection: projection.map(<[usize]>::to_vec),
            filters: filters.to_vec(),
            limit,
        };
        Ok(Arc::new(PortableDeltaScanExec::wrap(
            scan,
            table,
            description,
        )?))
    }
}

#[async_trait]
impl TableProvider for DeltaTableProvider {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
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
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let scan = self
            .scan
            .scan(state, projection, filters, limit)
            .await
            .map_err(|e| self.name_table(e))?;
        let scan = self.finish(state, scan, limit)?;
        self.portable(state, scan, projection.map(Vec::as_slice), filters, limit)
    }

    async fn scan_with_args<'a>(
        &self,
        state: &dyn Session,
        args: ScanArgs<'a>,
    ) -> Result<ScanResult> {
        let limit = args.limit();
        let projection = args.projection();
        let filters = args.filters().unwrap_or_default();
        let result = self
            .scan
            .scan_with_args(state, args)
            .await
            .map_err(|e| self.name_table(e))?;
        let scan = self.finish(state, result.into_inner(), limit)?;
        Ok(ScanResult::new(
            self.portable(state, scan, projection, filters, limit)?,
        ))
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        let Some(variants) = &self.variants else {
            return self.scan.supports_filters_pushdown(filters);
        };
        // delta-rs sees a variant as its stored struct: filters on variants stay above the
        // scan, where the column is JSON text.
        let passed: Vec<&Expr> = filters
            .iter()
            .copied()
            .filter(|filter| !variants.read_by(filter))
            .collect();
        let mut answers = self.scan.supports_filters_pushdown(&passed)?.into_iter();
        Ok(filters
            .iter()
            .map(|filter| match variants.read_by(filter) {
                true => TableProviderFilterPushDown::Unsupported,
                false => answers
                    .next()
                    .unwrap_or(TableProviderFilterPushDown::Unsupported),
            })
            .collect())
    }

    fn statistics(&self) -> Option<Statistics> {
        self.scan.statistics()
    }
}

/// The Delta tables `plan` reads, as messages name them, so a failure while reading data (a
/// damaged or missing data file) can say which table it belongs to.
pub(crate) fn tables_read_by(plan: &LogicalPlan) -> Vec<String> {
    let mut names = Vec::new();
    // The closure never fails, so neither does the walk.
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node
            && let Ok(provider) = source_as_provider(&scan.source)
            && let Some(delta) = provider.downcast_ref::<DeltaTableProvider>()
            && !names.contains(&delta.name)
        {
            names.push(delta.name.clone());
        }
        Ok(TreeNodeRecursion::Continue)
    });
    names
}

/// Why a scan could not be built; a reader feature we lack is named as the protocol spells it.
fn describe_scan_error(error: &DataFusionError) -> String {
    let delta = match error.find_root() {
        DataFusionError::External(inner) => inner.downcast_ref::<DeltaTableError>(),
        _ => None,
    };
    match delta {
        Some(DeltaTableError::Transaction {
            source: TransactionError::UnsupportedTableFeatures(features),
        }) => {
            let names: Vec<String> = features.iter().map(ToString::to_string).collect();
            format!(
                "the table needs the Delta reader feature(s) {}, which Lakeshore cannot read",
                names.join(", ")
            )
        }
        Some(delta) => super::describe_delta_error(delta),
        None => super::describe_message(&error.strip_backtrace().to_string()),
    }
}
