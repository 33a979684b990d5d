//! A worker's snapshots, by table and version: each is read from the log once and then shared
//! by every task that scans it, since a version of a Delta table never changes. They are read
//! as the coordinator reads a table, with the reader features that our scan reads hidden from
//! delta-rs (see `readable_features`).

use std::num::NonZeroUsize;
use std::sync::Arc;

use deltalake::DeltaTable;
use lru::LruCache;
use parking_lot::Mutex;
use tokio::sync::OnceCell;
use url::Url;

use super::readable_features::{self, Hiding};
use crate::error::{EngineError, Result};
use crate::location::display_url;
use crate::store::ObjectStores;

/// Snapshots kept; a worker serves a few tables at a few versions at a time.
const SNAPSHOTS_KEPT: usize = 64;

type Slot = Arc<OnceCell<DeltaTable>>;

#[derive(Debug)]
pub(crate) struct PinnedSnapshots {
    stores: Arc<ObjectStores>,
    /// Tasks that ask for a snapshot being read wait for that one read.
    loaded: Mutex<LruCache<(String, u64), Slot>>,
}

impl PinnedSnapshots {
    pub(crate) fn new(stores: Arc<ObjectStores>) -> Self {
        let kept = NonZeroUsize::new(SNAPSHOTS_KEPT).unwrap_or(NonZeroUsize::MIN);
        Self {
            stores,
            loaded: Mutex::new(LruCache::new(kept)),
        }
    }

    /// The table at `url` as of `version`.
    pub(crate) async fn table(&self, url: &str, version: u64) -> Result<DeltaTable> {
        let slot = self
            .loaded
            .lock()
            .get_or_insert((url.to_string(), version), Slot::default)
            .clone();
        let table = slot.get_or_try_init(|| self.load(url, version)).await?;
        Ok(table.clone())
    }

    async fn load(&self, url: &str, version: u64) -> Result<DeltaTable> {
        let parsed = Url::parse(url).map_err(|e| EngineError::InvalidLocation {
            location: url.to_string(),
            reason: e.to_string(),
        })?;
        readable_features::open_hiding(
            |hidden| self.load_through(&parsed, version, hidden),
            |table| table,
        )
        .await
    }

    /// The table at `url` as of `version`, read through `hidden`, as the coordinator reads it
    /// (so the scans planned here read what the coordinator's read).
    async fn load_through(&self, url: &Url, version: u64, hidden: Hiding) -> Result<DeltaTable> {
        let store = Arc::new(hidden(self.stores.root_store(url)?));
        self.stores
            .table_builder(url, Some(store))?
            .with_version(version)
            .load()
            .await
            .map_err(|e| EngineError::Table {
                table: display_url(url),
                reason: format!(
                    "cannot read version {version}: {}",
                    super::describe_delta_error(&e)
                ),
            })
    }
}
