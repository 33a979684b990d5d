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
                if table.version() == before {
                    self.ensure_still_there(table).await?;
                } else {
                    tracing::debug!(table = %self.name, ?before, now = ?table.version(), "newer commits read");
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

    /// A listing that found no new commit cannot tell a deleted table from an unchanged one:
    /// look for the commit we hold (and, for tables that keep only checkpoints, for any log).
    async fn ensure_still_there(&self, table: &DeltaTable) -> Result<()> {
        let Some(version) = table.version() else {
            return Ok(());
        };
        let store = table.log_store().object_store(None);
        let commit = Path::from(format!("_delta_log/{version:020}.json"));
        match store.head(&commit).await {
            Ok(_) => Ok(()),
            Err(ObjectStoreError::NotFound { .. }) => {
                let log = store
                    .list_with_delimiter(Some(&Path::from("_delta_log")))
                    .await
                    .map_err(|e| self.unreadable(e))?;
                if log.objects.is_empty() {
                    Err(self.gone())
                } else {
                    Ok(())
                }
            }
            Err(e) => Err(self.unreadable(e)),
        }
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
