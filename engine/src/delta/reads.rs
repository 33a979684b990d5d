//! The Delta reads beyond a table's latest rows: time travel, history, detail and the change
//! feed. [`DeltaReads::load`] reads, before planning, what a statement asks of them; the table
//! functions and the time-travel planner it registers then serve what was read.

use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;
use deltalake::DeltaTable;
use parking_lot::Mutex;

use super::changes::{ChangesCall, TABLE_CHANGES, changes_scan};
use super::commit_log::CommitLog;
use super::detail::{DELTA_DETAIL, DetailCall, detail_table};
use super::history::{DELTA_HISTORY, HistoryCall, history_table};
use super::preloaded::{PreloadedFunction, RecentlyUsed};
use super::target::TableTarget;
use super::time_travel::{TimeTravelPlanner, VersionSpec, check_data_files, parse_timestamp};
use super::{DeltaScanFunction, DeltaTableProvider, StatementReferences};
use crate::catalog::LakeCatalog;
use crate::error::{EngineError, Result};

/// An old snapshot: the table's location, its id (a table deleted and written again gets a new
/// one) and the version.
type SnapshotKey = (String, String, u64);

#[derive(Debug)]
pub(crate) struct DeltaReads {
    delta_scan: Arc<DeltaScanFunction>,
    history: Arc<PreloadedFunction<HistoryCall>>,
    detail: Arc<PreloadedFunction<DetailCall>>,
    changes: Arc<PreloadedFunction<ChangesCall>>,
    time_travel: Arc<TimeTravelPlanner>,
    /// Old snapshots never change: they are kept for the statements that read them again.
    snapshots: Mutex<RecentlyUsed<SnapshotKey, Arc<dyn TableProvider>>>,
}

/// A Delta table a statement names, at its latest version.
struct FoundTable {
    /// How messages name it.
    shown: String,
    /// Its full SQL name, when it was named in SQL.
    sql_name: Option<String>,
    table: DeltaTable,
}

impl DeltaReads {
    /// Reads tables by path through `delta_scan`'s tables, so both share their snapshots.
    pub(crate) fn new(delta_scan: Arc<DeltaScanFunction>) -> Self {
        Self {
            delta_scan,
            history: Arc::new(PreloadedFunction::new()),
            detail: Arc::new(PreloadedFunction::new()),
            changes: Arc::new(PreloadedFunction::new()),
            time_travel: Arc::new(TimeTravelPlanner::new()),
            snapshots: Mutex::new(RecentlyUsed::new()),
        }
    }

    /// Makes the functions and the time-travel syntax known to `ctx`.
    pub(crate) fn register(&self, ctx: &SessionContext) -> Result<()> {
        ctx.register_udtf(DELTA_HISTORY, self.history.clone());
        ctx.register_udtf(DELTA_DETAIL, self.detail.clone());
        ctx.register_udtf(TABLE_CHANGES, self.changes.clone());
        ctx.register_relation_planner(self.time_travel.clone())?;
        Ok(())
    }

    /// Reads what the statement's time travel, history, detail and change feed ask for.
    pub(crate) async fn load(
        &self,
        ctx: &SessionContext,
        catalog: Option<&LakeCatalog>,
        references: &StatementReferences,
    ) -> Result<()> {
        for travel in &references.time_travels {
            let found = self.find(ctx, catalog, &travel.target).await?;
            let log = CommitLog::list(&found.shown, &found.table).await?;
            let version = match &travel.at {
                VersionSpec::Version(version) => {
                    log.check_version(*version)?;
                    *version
                }
                VersionSpec::Timestamp(text) => {
                    let at = parse_timestamp(text).ok_or_else(|| {
                        log.error(format!(
                            "'{text}' is not a time: write it as '2024-05-01 10:00:00' (UTC) or \
                             with a zone"
                        ))
                    })?;
                    log.version_at(at).await?
                }
            };
            let scan = self.snapshot_at(&found, version).await?;
            self.time_travel.loaded(travel.clone(), scan);
        }
        for call in &references.histories {
            let found = self.find(ctx, catalog, &call.target).await?;
            let log = CommitLog::list(&found.shown, &found.table).await?;
            let history = history_table(&log, call.limit).await?;
            self.history.loaded(call.clone(), Arc::new(history));
        }
        for call in &references.details {
            let found = self.find(ctx, catalog, &call.target).await?;
            let log = CommitLog::list(&found.shown, &found.table).await?;
            let detail = detail_table(found.sql_name.as_deref(), &found.table, &log).await?;
            self.detail.loaded(call.clone(), Arc::new(detail));
        }
        for call in &references.changes {
            let found = self.find(ctx, catalog, &call.target).await?;
            let log = CommitLog::list(&found.shown, &found.table).await?;
            let changes = changes_scan(&found.shown, &found.table, &log, call).await?;
            self.changes.loaded(call.clone(), changes);
        }
        Ok(())
    }

    /// The latest snapshot of the table `target` names.
    async fn find(
        &self,
        ctx: &SessionContext,
        catalog: Option<&LakeCatalog>,
        target: &TableTarget,
    ) -> Result<FoundTable> {
        let (provider, sql_name) = match target {
            TableTarget::Location(location) => (self.delta_scan.latest(location).await?, None),
            TableTarget::Name(name) => {
                let options = ctx.state().config().options().catalog.clone();
                let full = name
                    .clone()
                    .resolve(&options.default_catalog, &options.default_schema)
                    .to_string();
                let mut found = ctx.table_provider(name.clone()).await;
                // A table created since the lake was last listed: list it again, once.
                if let (Err(_), Some(catalog)) = (&found, catalog) {
                    catalog.refresh().await?;
                    found = ctx.table_provider(name.clone()).await;
                }
                let provider = found.map_err(|_| {
                    EngineError::Query(DataFusionError::Plan(format!("table '{full}' not found")))
                })?;
                (provider, Some(full))
            }
        };
        let delta = provider
            .downcast_ref::<DeltaTableProvider>()
            .and_then(|delta| Some((delta.name(), delta.table()?)));
        let Some((shown, table)) = delta else {
            return Err(EngineError::Table {
                table: target.to_string(),
                reason: "not a Delta table: time travel, history, detail and changes read \
                         Delta tables only"
                    .to_string(),
            });
        };
        Ok(FoundTable {
            shown: shown.to_string(),
            sql_name,
            table: table.clone(),
        })
    }

    /// A scan of `version` of the table.
    async fn snapshot_at(
        &self,
        found: &FoundTable,
        version: u64,
    ) -> Result<Arc<dyn TableProvider>> {
        let snapshot = found
            .table
            .snapshot()
            .map_err(|e| EngineError::table(&found.shown, &e))?;
        let key = (
            found.table.table_url().to_string(),
            snapshot.metadata().id().to_string(),
            version,
        );
        if let Some(scan) = self.snapshots.lock().get(&key) {
            return Ok(scan);
        }
        let mut old = found.table.clone();
        if old.version() != Some(version) {
            old.load_version(version)
                .await
                .map_err(|e| EngineError::table(&found.shown, &e))?;
            check_data_files(&found.shown, &found.table, &old).await?;
        }
        let name = format!("{} version {version}", found.shown);
        let scan: Arc<dyn TableProvider> =
            Arc::new(DeltaTableProvider::try_new(&name, &old).await?);
        self.snapshots.lock().insert(key, scan.clone());
        Ok(scan)
    }
}
