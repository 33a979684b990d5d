//! Keeping one Delta table's snapshot, and bringing it up to date before each query.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use datafusion::catalog::TableProvider;
use deltalake::logstore::LogStore as _;
use deltalake::{DeltaTable, DeltaTableBuilder, DeltaTableError, ObjectStoreError, Path};
use object_store::ObjectStoreExt as _;
use tokio::sync::Mutex;
use url::Url;

use super::DeltaTableProvider;
use super::writer_only_features::WriterOnlyFeaturesHidden;
use crate::error::{EngineError, Result};
use crate::location::display_url;

/// Whether the log still holds the version we read, as we read it.
#[derive(Debug, PartialEq)]
enum LogState {
    Unchanged,
    /// The table was deleted and written again: the version we read is gone or different.
    Replaced,
}

/// The snapshot we hold, and how the commit file of its version looked when we read it.
#[derive(Debug)]
struct HeldTable {
    table: DeltaTable,
    /// `None` when the table keeps only a checkpoint of that version.
    commit: Option<CommitStamp>,
    /// The scan of this version, built once and shared by every query that reads it.
    scan: Arc<dyn TableProvider>,
    /// When the last look at the log for newer commits began.
    checked_at: Instant,
}

/// What identifies a commit file: Delta commits are never rewritten, so another stamp for the
/// same version means the table was deleted and written again.
#[derive(Debug, PartialEq)]
struct CommitStamp {
    size: u64,
    last_modified: chrono::DateTime<chrono::Utc>,
    e_tag: Option<String>,
}

/// One Delta table, loaded on first use and refreshed incrementally: a query costs one listing
/// of `_delta_log` after the version we hold, and nothing is read again when nothing changed.
#[derive(Debug)]
pub(crate) struct TableRefresher {
    /// How messages name the table: `lake.silver.orders at /lake/silver/orders`, or its
    /// location for `delta_scan`.
    name: String,
    /// The folder relative to the lake root; empty for tables read by path.
    folder: String,
    url: Url,
    storage_options: HashMap<String, String>,
    /// `None` until the first query; one query at a time updates it.
    table: Mutex<Option<HeldTable>>,
}

impl TableRefresher {
    /// A table of the lake, at `folder` below `root`.
    pub(crate) fn in_lake(
        name: String,
        root: &Url,
        folder: &str,
        storage_options: HashMap<String, String>,
    ) -> Self {
        let url = root
            .join(&format!("{}/", folder.trim_end_matches('/')))
            .unwrap_or_else(|_| root.clone());
        Self {
            name: format!("{name} at {}", display_url(&url)),
            folder: folder.to_string(),
            url,
            storage_options,
            table: Mutex::new(None),
        }
    }

    /// A table read by its location (`delta_scan`).
    pub(crate) fn at(url: Url, storage_options: HashMap<String, String>) -> Self {
        Self {
            name: display_url(&url),
            folder: String::new(),
            url,
            storage_options,
            table: Mutex::new(None),
        }
    }

    /// The table's folder relative to the lake root.
    pub(crate) fn folder(&self) -> &str {
        &self.folder
    }

    /// A scan of the latest committed version of the table: of every commit made before this
    /// call began.
    pub(crate) async fn latest(&self) -> Result<Arc<dyn TableProvider>> {
        let asked_at = Instant::now();
        let mut slot = self.table.lock().await;
        // Queries that waited while another one looked at the log need not look again: that
        // look began after they asked, so it saw every commit they must see.
        if let Some(held) = slot.as_ref()
            && held.checked_at >= asked_at
        {
            return Ok(held.scan.clone());
        }
        let checked_at = Instant::now();
        let replaced = match slot.as_ref() {
            Some(held) => self.log_state(held).await? == LogState::Replaced,
            None => false,
        };
        match slot.as_mut() {
            Some(held) if !replaced => {
                let before = held.table.version();
                // On failure the snapshot we hold stays, so a later query can try again.
                held.table
                    .update_incremental(None)
                    .await
                    .map_err(|e| EngineError::table(&self.name, &e))?;
                if held.table.version() != before {
                    tracing::debug!(table = %self.name, ?before, now = ?held.table.version(), "newer commits read");
                    held.commit = self.stamp(&held.table).await?;
                    held.scan = self.scan_of(&held.table).await?;
                }
                held.checked_at = checked_at;
            }
            _ => {
                if replaced {
                    tracing::debug!(table = %self.name, "table replaced; reading it anew");
                }
                *slot = Some(self.load(checked_at).await?);
            }
        }
        let held = slot.as_ref().ok_or_else(|| self.gone())?;
        Ok(held.scan.clone())
    }

    async fn scan_of(&self, table: &DeltaTable) -> Result<Arc<dyn TableProvider>> {
        Ok(Arc::new(
            DeltaTableProvider::try_new(&self.name, table).await?,
        ))
    }

    async fn load(&self, checked_at: Instant) -> Result<HeldTable> {
        let failed = |e: DeltaTableError| EngineError::table(&self.name, &e);
        let store = DeltaTableBuilder::from_url(self.url.clone())
            .map_err(failed)?
            .with_storage_options(self.storage_options.clone())
            .build_storage()
            .map_err(failed)?
            .root_object_store(None);
        let store = Arc::new(WriterOnlyFeaturesHidden::new(store));
        let table = DeltaTableBuilder::from_url(self.url.clone())
            .map_err(failed)?
            .with_storage_backend(store, self.url.clone())
            .with_storage_options(self.storage_options.clone())
            .load()
            .await
            .map_err(failed)?;
        let commit = self.stamp(&table).await?;
        let scan = self.scan_of(&table).await?;
        Ok(HeldTable {
            table,
            commit,
            scan,
            checked_at,
        })
    }

    /// The stamp of the commit file of the version `table` holds, if there is one.
    async fn stamp(&self, table: &DeltaTable) -> Result<Option<CommitStamp>> {
        let Some(version) = table.version() else {
            return Ok(None);
        };
        let store = table.log_store().object_store(None);
        match store
            .head(&Path::from(format!("_delta_log/{version:020}.json")))
            .await
        {
            Ok(meta) => Ok(Some(CommitStamp {
                size: meta.size,
                last_modified: meta.last_modified,
                e_tag: meta.e_tag,
            })),
            Err(ObjectStoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.unreadable(e)),
        }
    }

    /// A listing of newer commits cannot tell an unchanged table from a deleted one, or from
    /// one deleted and written again (whose versions start over): look at the version we hold.
    async fn log_state(&self, held: &HeldTable) -> Result<LogState> {
        let Some(version) = held.table.version() else {
            return Ok(LogState::Unchanged);
        };
        if let Some(now) = self.stamp(&held.table).await? {
            return Ok(if held.commit.as_ref() == Some(&now) {
                LogState::Unchanged
            } else {
                LogState::Replaced
            });
        }
        // No commit file for our version: a deleted table, or one that keeps only checkpoints.
        let store = held.table.log_store().object_store(None);
        let log = store
            .list_with_delimiter(Some(&Path::from("_delta_log")))
            .await
            .map_err(|e| self.unreadable(e))?;
        if log.objects.is_empty() {
            return Err(self.gone());
        }
        let version_prefix = format!("{version:020}.");
        let holds_our_version = log.objects.iter().any(|object| {
            object
                .location
                .filename()
                .is_some_and(|name| name.starts_with(&version_prefix))
        });
        Ok(if holds_our_version && held.commit.is_none() {
            LogState::Unchanged
        } else {
            LogState::Replaced
        })
    }

    fn gone(&self) -> EngineError {
        EngineError::Table {
            table: self.name.clone(),
            reason: "its _delta_log is gone: the table was deleted or moved".to_string(),
        }
    }

    fn unreadable(&self, error: ObjectStoreError) -> EngineError {
        EngineError::Table {
            table: self.name.clone(),
            reason: format!("cannot read its Delta log: {error}"),
        }
    }
}
