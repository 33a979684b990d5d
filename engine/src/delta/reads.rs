//! The Delta reads beyond a table's latest rows: time travel, history, detail and the change
//! feed. [`DeltaReads::load`] reads, before planning, what a statement asks of them; the table
//! functions and the time-travel planner it registers then serve what was read.

use std::num::NonZeroUsize;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::TableProvider;
use datafusion::common::TableReference;
use datafusion::prelude::SessionContext;
use deltalake::DeltaTable;
use lru::LruCache;
use parking_lot::Mutex;

use super::changes::{ChangesCall, TABLE_CHANGES, changes_scan};
use super::commit_log::CommitLog;
use super::detail::{DELTA_DETAIL, DetailCall, detail_table};
use super::diagnosis::table_error;
use super::history::{DELTA_HISTORY, HistoryCall, history_table};
use super::preloaded::{FunctionCall, PreloadedFunction};
use super::statement_reads::{self, Read};
use super::target::TableTarget;
use super::time_travel::{
    TimeTravel, TimeTravelPlanner, VersionSpec, check_data_files, parse_timestamp,
};
use super::{DeltaScanFunction, DeltaTableProvider, StatementReferences};
use crate::error::{EngineError, Result};

/// An old snapshot: the table's location, its id (a table deleted and written again gets a new
/// one) and the version.
type SnapshotKey = (String, String, u64);

/// How many old snapshots are kept for the statements that read them again.
const KEPT_SNAPSHOTS: NonZeroUsize = NonZeroUsize::MIN.saturating_add(63);

/// How the statement layer finds the tables a statement names: the Delta layer reads tables,
/// it does not know the catalog (which may list the lake again for a table created since).
#[async_trait]
pub(crate) trait TableLookup: Send + Sync {
    /// `name` in full (`lake.silver.orders`), as the statement's names resolve.
    fn full_name(&self, name: &TableReference) -> TableReference;

    /// The table `name` names.
    async fn table(&self, name: &TableReference) -> Result<Arc<dyn TableProvider>>;
}

#[derive(Debug)]
pub(crate) struct DeltaReads {
    delta_scan: Arc<DeltaScanFunction>,
    /// Old snapshots never change: they are kept for the statements that read them again.
    snapshots: Mutex<LruCache<SnapshotKey, Arc<dyn TableProvider>>>,
}

/// A Delta table a statement names, at its latest version.
struct FoundTable {
    /// The table as resolved: its full SQL name, or its location's URL.
    target: TableTarget,
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
            snapshots: Mutex::new(LruCache::new(KEPT_SNAPSHOTS)),
        }
    }

    /// Makes the functions and the time-travel syntax known to `ctx`.
    pub(crate) fn register(ctx: &SessionContext) -> Result<()> {
        ctx.register_udtf(
            DELTA_HISTORY,
            Arc::new(PreloadedFunction::<HistoryCall>::new()),
        );
        ctx.register_udtf(
            DELTA_DETAIL,
            Arc::new(PreloadedFunction::<DetailCall>::new()),
        );
        ctx.register_udtf(
            TABLE_CHANGES,
            Arc::new(PreloadedFunction::<ChangesCall>::new()),
        );
        ctx.register_relation_planner(Arc::new(TimeTravelPlanner))?;
        Ok(())
    }

    /// Reads what the statement's time travel, history, detail and change feed ask for, and
    /// keeps it for the statement's planning (see [`statement_reads`]).
    pub(crate) async fn load(
        &self,
        tables: &dyn TableLookup,
        references: &StatementReferences,
    ) -> Result<()> {
        for travel in &references.time_travels {
            let found = self.find(tables, &travel.target).await?;
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
            let read = TimeTravel {
                target: found.target,
                at: travel.at.clone(),
            };
            statement_reads::keep(Read::Version(read), scan);
        }
        for call in &references.histories {
            let found = self.find(tables, &call.target).await?;
            let log = CommitLog::list(&found.shown, &found.table).await?;
            let history = history_table(&log, call.limit).await?;
            keep(call, found.target, Arc::new(history));
        }
        for call in &references.details {
            let found = self.find(tables, &call.target).await?;
            let log = CommitLog::list(&found.shown, &found.table).await?;
            let detail = detail_table(found.sql_name.as_deref(), &found.table, &log).await?;
            keep(call, found.target, Arc::new(detail));
        }
        for call in &references.changes {
            let found = self.find(tables, &call.target).await?;
            let log = CommitLog::list(&found.shown, &found.table).await?;
            let changes = changes_scan(&found.shown, &found.table, &log, call).await?;
            keep(call, found.target, changes);
        }
        Ok(())
    }

    /// The latest snapshot of the table `target` names.
    async fn find(&self, tables: &dyn TableLookup, target: &TableTarget) -> Result<FoundTable> {
        let (provider, resolved, sql_name) = match target {
            TableTarget::Location(location) => {
                let url = crate::location::folder_url(location)?;
                let provider = self.delta_scan.latest(location).await?;
                (provider, TableTarget::Location(url.to_string()), None)
            }
            TableTarget::Name(name) => {
                let full = tables.full_name(name);
                let provider = tables.table(name).await?;
                let sql_name = full.to_string();
                (provider, TableTarget::Name(full), Some(sql_name))
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
            target: resolved,
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
            .map_err(|e| table_error(&found.shown, &e))?;
        let key = (
            found.table.table_url().to_string(),
            snapshot.metadata().id().to_string(),
            version,
        );
        if let Some(scan) = self.snapshots.lock().get(&key) {
            return Ok(scan.clone());
        }
        let mut old = found.table.clone();
        if old.version() != Some(version) {
            old.load_version(version)
                .await
                .map_err(|e| table_error(&found.shown, &e))?;
            check_data_files(&found.shown, &found.table, &old).await?;
        }
        let name = format!("{} version {version}", found.shown);
        let scan: Arc<dyn TableProvider> =
            Arc::new(DeltaTableProvider::try_new(&name, &old).await?);
        self.snapshots.lock().put(key, scan.clone());
        Ok(scan)
    }
}

/// Keeps what `call` read of the table `resolved`, for the statement's planning.
fn keep<C: FunctionCall>(call: &C, resolved: TableTarget, read: Arc<dyn TableProvider>) {
    statement_reads::keep(call.clone().with_target(resolved).into_read(), read);
}
