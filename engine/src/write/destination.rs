//! The folder a write goes to, opened with a plain object store (the read path's store hides
//! writer features, which a writer must see), and the clean-up of a table that failed to appear.

use std::sync::Arc;

use deltalake::logstore::LogStoreRef;
use deltalake::{DeltaTable, DeltaTableError, ObjectStoreError, Path};
use futures::{StreamExt, TryStreamExt};
use url::Url;

use crate::error::{EngineError, Result};
use crate::location::display_url;
use crate::store::ObjectStores;

/// A Delta table's folder, named for messages (`lake.gold.t at /lake/gold/t`).
#[derive(Debug, Clone)]
pub(crate) struct Destination {
    name: String,
    url: Url,
    stores: Arc<ObjectStores>,
}

impl Destination {
    pub(crate) fn new(qualified_name: &str, url: Url, stores: Arc<ObjectStores>) -> Self {
        Self {
            name: format!("{qualified_name} at {}", display_url(&url)),
            url,
            stores,
        }
    }

    /// The table at the folder, loaded when there is one (its version is `None` otherwise).
    pub(crate) async fn open(&self) -> Result<DeltaTable> {
        // delta-rs opens local tables only in folders that exist.
        if let Ok(path) = self.url.to_file_path() {
            std::fs::create_dir_all(&path)
                .map_err(|e| self.fails(format!("cannot create its folder: {e}")))?;
        }
        // The plain store of the bucket: the read path's view hides writer features, which a
        // writer must see.
        let mut table = self
            .stores
            .table_builder(&self.url, None)?
            .build()
            .map_err(|e| self.error(&e))?;
        match table.load().await {
            Ok(()) | Err(DeltaTableError::NotATable(_)) => Ok(table),
            Err(e) => Err(self.error(&e)),
        }
    }

    /// Whether anything is stored in the folder.
    pub(crate) async fn holds_files(&self, log_store: &LogStoreRef) -> Result<bool> {
        let store = log_store.object_store(None);
        match store.list(None).next().await {
            None | Some(Err(ObjectStoreError::NotFound { .. })) => Ok(false),
            Some(Ok(_)) => Ok(true),
            Some(Err(e)) => Err(self.fails(format!("cannot list its folder: {e}"))),
        }
    }

    /// Removes what a failed write left in a folder that held nothing before it. A folder with a
    /// `_delta_log` is left alone: another writer created the table meanwhile.
    pub(crate) async fn remove_unfinished(&self, log_store: &LogStoreRef) {
        let store = log_store.object_store(None);
        let log = Path::from("_delta_log");
        if let Ok(found) = store.list_with_delimiter(Some(&log)).await
            && !found.objects.is_empty()
        {
            return;
        }
        let files = store.list(None).map_ok(|meta| meta.location).boxed();
        let removed: Result<Vec<Path>, _> = store.delete_stream(files).try_collect().await;
        if let Err(error) = removed {
            tracing::warn!(table = %self.name, %error, "cannot remove the files of a failed write");
            return;
        }
        // Object stores have no folders; on local disk, the empty folders would stay.
        if let Ok(path) = self.url.to_file_path()
            && let Err(error) = std::fs::remove_dir_all(&path)
            && error.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(table = %self.name, %error, "cannot remove the folder of a failed write");
        }
    }

    /// An error about this table, from delta-rs.
    pub(crate) fn error(&self, error: &DeltaTableError) -> EngineError {
        crate::delta::table_error(&self.name, error)
    }

    /// An error about this table, with our words.
    pub(crate) fn fails(&self, reason: impl Into<String>) -> EngineError {
        EngineError::Table {
            table: self.name.clone(),
            reason: reason.into(),
        }
    }
}
