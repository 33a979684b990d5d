//! Keeping one Delta table's snapshot, and bringing it up to date before each query.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use datafusion::catalog::TableProvider;
use deltalake::logstore::LogStore as _;
use deltalake::{DeltaTable, ObjectStoreError, Path};
use futures::TryStreamExt;
use object_store::{ObjectMeta, ObjectStore};
use tokio::sync::Mutex;
use url::Url;

use super::DeltaTableProvider;
use super::diagnosis::table_error;
use super::log_cache::LogFileCache;
use super::readable_features::{self, Hiding};
use super::statement_reads::accepted_since;
use crate::error::{EngineError, Result};
use crate::location::display_url;
use crate::store::ObjectStores;

/// What one listing of `_delta_log`, from the version we hold on, says about that version.
#[derive(Debug, PartialEq)]
enum LogState {
    Unchanged,
    /// Newer versions were committed.
    Newer,
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
    /// The log files read while loading or updating, kept until the scan is built.
    log_files: Arc<LogFileCache>,
}

/// What identifies a commit file: Delta commits are never rewritten, so another stamp for the
/// same version means the table was deleted and written again.
#[derive(Debug, Clone)]
struct CommitStamp {
    size: u64,
    last_modified: chrono::DateTime<chrono::Utc>,
    e_tag: Option<String>,
}

impl PartialEq for CommitStamp {
    /// By entity tag where the store gives one: a listing and a HEAD of one object agree on it,
    /// while some stores give times of different precision in the two.
    fn eq(&self, other: &Self) -> bool {
        self.size == other.size
            && match (&self.e_tag, &other.e_tag) {
                (Some(mine), Some(theirs)) => mine == theirs,
                _ => self.last_modified == other.last_modified,
            }
    }
}

impl From<&ObjectMeta> for CommitStamp {
    fn from(meta: &ObjectMeta) -> Self {
        CommitStamp {
            size: meta.size,
            last_modified: meta.last_modified,
            e_tag: meta.e_tag.clone(),
        }
    }
}

/// One listing of `_delta_log` from a version on: the stamps of the commit files it found, by
/// version, and whether anything was found at all.
#[derive(Debug, Default)]
struct LogListing {
    commits: BTreeMap<u64, CommitStamp>,
    /// The highest version of any log file listed (commit or checkpoint).
    highest: Option<u64>,
    empty: bool,
}

/// One Delta table, loaded on first use and refreshed incrementally: when nothing changed, a
/// query costs one listing of `_delta_log` from the version we hold on, and nothing more.
#[derive(Debug)]
pub(crate) struct TableRefresher {
    /// How messages name the table: `lake.silver.orders at /lake/silver/orders`, or its
    /// location for `delta_scan`.
    name: String,
    /// The folder relative to the lake root; empty for tables read by path.
    folder: String,
    url: Url,
    stores: Arc<ObjectStores>,
    /// `None` until the first query; one query at a time updates it.
    table: Mutex<Option<HeldTable>>,
}

impl TableRefresher {
    /// A table of the lake, at `folder` below `root`.
    pub(crate) fn in_lake(
        name: String,
        root: &Url,
        folder: &str,
        stores: Arc<ObjectStores>,
    ) -> Self {
        let url = root
            .join(&format!("{}/", folder.trim_end_matches('/')))
            .unwrap_or_else(|_| root.clone());
        Self {
            name: format!("{name} at {}", display_url(&url)),
            folder: folder.to_string(),
            url,
            stores,
            table: Mutex::new(None),
        }
    }

    /// A table read by its location (`delta_scan`).
    pub(crate) fn at(url: Url, stores: Arc<ObjectStores>) -> Self {
        Self {
            name: display_url(&url),
            folder: String::new(),
            url,
            stores,
            table: Mutex::new(None),
        }
    }

    /// The table's folder relative to the lake root.
    pub(crate) fn folder(&self) -> &str {
        &self.folder
    }

    /// A scan of the latest committed version of the table: of every commit made before the
    /// running statement began (or within its accepted staleness, see [`super::freshness`]).
    pub(crate) async fn latest(&self) -> Result<Arc<dyn TableProvider>> {
        let accepted_since = accepted_since();
        let mut slot = self.table.lock().await;
        // A look at the log that began after the statement did (another query's, or this
        // statement's own for another reference to the table) saw every commit it must see.
        if let Some(held) = slot.as_ref()
            && held.checked_at >= accepted_since
        {
            return Ok(held.scan.clone());
        }
        let checked_at = Instant::now();
        let state = match slot.as_ref() {
            Some(held) => Some(self.log_state(held).await?),
            None => None,
        };
        match (slot.as_mut(), state) {
            (Some(held), Some(LogState::Unchanged)) => held.checked_at = checked_at,
            (Some(held), Some(LogState::Newer)) => {
                let before = held.table.version();
                // On failure the snapshot we hold stays, so a later query can try again.
                held.table
                    .update_incremental(None)
                    .await
                    .map_err(|e| table_error(&self.name, &e))?;
                tracing::debug!(table = %self.name, ?before, now = ?held.table.version(), "newer commits read");
                if readable_features::listed_in(&held.table) {
                    // A new checkpoint lists a readable feature: read the table anew.
                    *slot = Some(self.load(checked_at).await?);
                } else {
                    held.commit = self.listing_from(&held.table).await?.commit_of(&held.table);
                    held.scan = self.scan_of(&held.table).await?;
                    held.checked_at = checked_at;
                    held.log_files.clear();
                }
            }
            (_, state) => {
                if state == Some(LogState::Replaced) {
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
        let (table, log_files) =
            readable_features::open_hiding(|hidden| self.open(hidden), |(table, _)| table).await?;
        let commit = self.listing_from(&table).await?.commit_of(&table);
        let scan = self.scan_of(&table).await?;
        log_files.clear();
        Ok(HeldTable {
            table,
            commit,
            scan,
            checked_at,
            log_files,
        })
    }

    /// The table at its latest version, read through `hidden` (which hides readable features)
    /// over a cache of the log files read.
    async fn open(&self, hidden: Hiding) -> Result<(DeltaTable, Arc<LogFileCache>)> {
        let log_files = Arc::new(LogFileCache::new(self.stores.root_store(&self.url)?));
        let store = Arc::new(hidden(log_files.clone()));
        let table = self
            .stores
            .table_builder(&self.url, Some(store))?
            .load()
            .await
            .map_err(|e| table_error(&self.name, &e))?;
        Ok((table, log_files))
    }

    /// One listing of `_delta_log` from the version `table` holds on (the store lists after an
    /// offset, so older versions cost nothing).
    async fn listing_from(&self, table: &DeltaTable) -> Result<LogListing> {
        let Some(version) = table.version() else {
            return Ok(LogListing::default());
        };
        let store = table.log_store().object_store(None);
        let offset = Path::from(format!("_delta_log/{version:020}"));
        let objects: Vec<ObjectMeta> = store
            .list_with_offset(Some(&Path::from("_delta_log")), &offset)
            .try_collect()
            .await
            .map_err(|e| self.unreadable(e))?;
        let mut listing = LogListing {
            empty: objects.is_empty(),
            ..LogListing::default()
        };
        for object in &objects {
            let Some((version, kind)) = object.location.filename().and_then(log_file_version)
            else {
                continue;
            };
            listing.highest = listing.highest.max(Some(version));
            if kind == "json" {
                listing.commits.insert(version, CommitStamp::from(object));
            }
        }
        Ok(listing)
    }

    /// Whether the log still holds the version we read, as we read it, and whether newer
    /// versions came.
    async fn log_state(&self, held: &HeldTable) -> Result<LogState> {
        let Some(version) = held.table.version() else {
            return Ok(LogState::Newer);
        };
        let listing = self.listing_from(&held.table).await?;
        if listing.empty {
            // Nothing at or after our version: a deleted table, or one written again with
            // fewer versions.
            let store = held.table.log_store().object_store(None);
            let log = store
                .list_with_delimiter(Some(&Path::from("_delta_log")))
                .await
                .map_err(|e| self.unreadable(e))?;
            return if log.objects.is_empty() {
                Err(self.gone())
            } else {
                Ok(LogState::Replaced)
            };
        }
        if listing.commits.get(&version) != held.commit.as_ref() {
            return Ok(LogState::Replaced);
        }
        Ok(if listing.highest > Some(version) {
            LogState::Newer
        } else {
            LogState::Unchanged
        })
    }

    fn gone(&self) -> EngineError {
        EngineError::Table {
            table: self.name.clone(),
            reason: "its _delta_log is gone: the table was deleted or moved".to_string(),
        }
    }

    fn unreadable(&self, error: ObjectStoreError) -> EngineError {
        let error = crate::store::secrets::redact(&error.to_string());
        EngineError::Table {
            table: self.name.clone(),
            reason: format!("cannot read its Delta log: {error}"),
        }
    }
}

impl LogListing {
    /// The stamp of the commit file of the version `table` holds, if the listing saw one.
    fn commit_of(&self, table: &DeltaTable) -> Option<CommitStamp> {
        self.commits.get(&table.version()?).cloned()
    }
}

/// The version and kind (`json`, `checkpoint`, `crc` ...) of a log file named
/// `00000000000000000042.json` and the like; `None` for other files (`_last_checkpoint`).
pub(super) fn log_file_version(name: &str) -> Option<(u64, &str)> {
    let (digits, rest) = name.split_at_checked(20)?;
    let kind = rest.strip_prefix('.')?.split('.').next()?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((digits.parse().ok()?, kind))
}

#[cfg(test)]
mod tests {
    use super::log_file_version;

    #[test]
    fn log_files_are_told_by_their_twenty_digits() {
        assert_eq!(
            log_file_version("00000000000000000042.json"),
            Some((42, "json"))
        );
        assert_eq!(
            log_file_version("00000000000000000010.checkpoint.parquet"),
            Some((10, "checkpoint"))
        );
        assert_eq!(log_file_version("_last_checkpoint"), None);
        assert_eq!(log_file_version("0000000000000000004x.json"), None);
    }
}
