//! Keeping one Delta table's snapshot, and bringing it up to date before each query.

use std::collections::HashMap;
use std::sync::Arc;

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

/// What a listing with no new commit means.
#[derive(Debug, PartialEq)]
enum LogState {
    Unchanged,
    /// The table was deleted and written again: its log no longer holds the version we read.
    Replaced,
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
    table: Mutex<Option<DeltaTable>>,
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

    /// A scan of the latest committed version of the table.
    pub(crate) async fn latest(&self) -> Result<Arc<dyn TableProvider>> {
        let mut slot = self.table.lock().await;
        match slot.as_mut() {
            Some(table) => {
                let before = table.version();
                // On failure the snapshot we hold stays, so a later query can try again.
                table
                    .update_incremental(None)
                    .await
                    .map_err(|e| EngineError::table(&self.name, &e))?;
                if table.version() != before {
                    tracing::debug!(table = %self.name, ?before, now = ?table.version(), "newer commits read");
                } else if self.log_state(table).await? == LogState::Replaced {
                    tracing::debug!(table = %self.name, "table replaced; reading it anew");
                    *slot = Some(self.load().await?);
                }
            }
            None => *slot = Some(self.load().await?),
        }
        let table = slot.as_ref().ok_or_else(|| self.gone())?;
        Ok(Arc::new(
            DeltaTableProvider::try_new(&self.name, table).await?,
        ))
    }

    async fn load(&self) -> Result<DeltaTable> {
        let failed = |e: DeltaTableError| EngineError::table(&self.name, &e);
        let store = DeltaTableBuilder::from_url(self.url.clone())
            .map_err(failed)?
            .with_storage_options(self.storage_options.clone())
            .build_storage()
            .map_err(failed)?
            .root_object_store(None);
        let store = Arc::new(WriterOnlyFeaturesHidden::new(store));
        DeltaTableBuilder::from_url(self.url.clone())
            .map_err(failed)?
            .with_storage_backend(store, self.url.clone())
            .with_storage_options(self.storage_options.clone())
            .load()
            .await
            .map_err(failed)
    }

    /// A listing that found no new commit cannot tell an unchanged table from a deleted one, or
    /// from one deleted and written again (whose versions start over): look for the version we
    /// hold, as a commit or (for tables that keep only checkpoints) a checkpoint.
    async fn log_state(&self, table: &DeltaTable) -> Result<LogState> {
        let Some(version) = table.version() else {
            return Ok(LogState::Unchanged);
        };
        let store = table.log_store().object_store(None);
        match store
            .head(&Path::from(format!("_delta_log/{version:020}.json")))
            .await
        {
            Ok(_) => return Ok(LogState::Unchanged),
            Err(ObjectStoreError::NotFound { .. }) => {}
            Err(e) => return Err(self.unreadable(e)),
        }
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
        Ok(if holds_our_version {
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
