//! A table's `_delta_log` as a list of commits: which versions can be read, when each was
//! committed, and what each commit says about itself (its `commitInfo`). History, time travel by
//! timestamp and the change feed all read commits this way.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use deltalake::DeltaTable;
use deltalake::logstore::LogStore as _;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt as _};
use serde_json::{Map, Value};

use crate::error::{EngineError, Result};

/// The commits of one table up to the version of the snapshot it was listed for.
#[derive(Debug)]
pub(crate) struct CommitLog {
    /// How messages name the table.
    name: String,
    store: Arc<dyn ObjectStore>,
    /// The commit files (`NNN.json`) by version.
    commits: BTreeMap<u64, ObjectMeta>,
    /// The oldest version that can be rebuilt: 0, or the oldest checkpoint when early commits
    /// were cleaned up.
    earliest: u64,
    latest: u64,
}

/// One commit as history shows it.
#[derive(Debug)]
pub(crate) struct Commit {
    pub version: u64,
    pub timestamp: DateTime<Utc>,
    /// The commit's `commitInfo` action (empty when the writer wrote none).
    pub info: Map<String, Value>,
}

impl CommitLog {
    /// Lists the log of `table`, named `name` in messages, up to the version `table` holds.
    pub(crate) async fn list(name: &str, table: &DeltaTable) -> Result<Self> {
        let latest = table.version().ok_or_else(|| EngineError::Table {
            table: name.to_string(),
            reason: "the table has no committed version".to_string(),
        })?;
        let store = table.log_store().object_store(None);
        let listing = store
            .list_with_delimiter(Some(&Path::from("_delta_log")))
            .await
            .map_err(|e| unreadable(name, &e))?;
        let mut commits = BTreeMap::new();
        let mut checkpoints = Vec::new();
        for object in listing.objects {
            let Some(file) = object.location.filename() else {
                continue;
            };
            match LogFile::of(file) {
                Some(LogFile::Commit(version)) if version <= latest => {
                    commits.insert(version, object);
                }
                Some(LogFile::Checkpoint(version)) if version <= latest => {
                    checkpoints.push(version)
                }
                _ => {}
            }
        }
        let earliest = if commits.contains_key(&0) {
            0
        } else {
            checkpoints.into_iter().min().unwrap_or(latest)
        };
        Ok(Self {
            name: name.to_string(),
            store,
            commits,
            earliest,
            latest,
        })
    }

    pub(crate) fn latest(&self) -> u64 {
        self.latest
    }

    /// The versions that can be read, in words: `versions 0 to 5 exist`.
    pub(crate) fn range_in_words(&self) -> String {
        if self.earliest == self.latest {
            format!("only version {} exists", self.latest)
        } else {
            format!("versions {} to {} exist", self.earliest, self.latest)
        }
    }

    /// Fails, naming the table and the versions there are, unless `version` can be read.
    pub(crate) fn check_version(&self, version: u64) -> Result<()> {
        if (self.earliest..=self.latest).contains(&version) {
            return Ok(());
        }
        Err(EngineError::NotFound(format!(
            "table {}: version {version} does not exist: {}",
            self.name,
            self.range_in_words()
        )))
    }

    /// The commits from the newest back, at most `limit` of them.
    pub(crate) async fn newest_commits(&self, limit: Option<usize>) -> Result<Vec<Commit>> {
        let versions: Vec<u64> = self
            .commits
            .keys()
            .rev()
            .take(limit.unwrap_or(usize::MAX))
            .copied()
            .collect();
        let mut commits = Vec::with_capacity(versions.len());
        for version in versions {
            commits.push(self.commit(version).await?);
        }
        Ok(commits)
    }

    /// The newest readable version committed at or before `at`.
    pub(crate) async fn version_at(&self, at: DateTime<Utc>) -> Result<u64> {
        let readable = self.readable_commits();
        let (Some(&first), Some(&last)) = (readable.first(), readable.last()) else {
            return Err(self.error("its log holds no commit to time travel to".to_string()));
        };
        let first_time = self.commit(first).await?.timestamp;
        if at < first_time {
            return Err(self.error(format!(
                "no version existed at {}: the first commit (version {first}) is at {}; {}",
                shown(at),
                shown(first_time),
                self.range_in_words()
            )));
        }
        let last_time = self.commit(last).await?.timestamp;
        if at > last_time {
            return Err(self.error(format!(
                "{} is after the latest commit (version {last} at {}); use a time up to then",
                shown(at),
                shown(last_time)
            )));
        }
        // Commit times only grow: find the last commit at or before `at`.
        let (mut low, mut high) = (0, readable.len() - 1);
        while low < high {
            let middle = (low + high).div_ceil(2);
            if self.commit(readable[middle]).await?.timestamp <= at {
                low = middle;
            } else {
                high = middle - 1;
            }
        }
        Ok(readable[low])
    }

    /// The oldest readable version committed at or after `at`, for a change feed that starts at
    /// a time; `None` when every commit is older.
    pub(crate) async fn first_version_from(&self, at: DateTime<Utc>) -> Result<Option<u64>> {
        for version in self.readable_commits() {
            if self.commit(version).await?.timestamp >= at {
                return Ok(Some(version));
            }
        }
        Ok(None)
    }

    /// An error that names the table.
    pub(crate) fn error(&self, reason: String) -> EngineError {
        EngineError::Table {
            table: self.name.clone(),
            reason,
        }
    }

    fn readable_commits(&self) -> Vec<u64> {
        self.commits
            .range(self.earliest..)
            .map(|(v, _)| *v)
            .collect()
    }

    /// Reads the commit of `version`. Its time is the writer's in-commit timestamp, else the
    /// `commitInfo` timestamp, else the file's modification time: files lose their times when
    /// a table is copied, the recorded times stay.
    async fn commit(&self, version: u64) -> Result<Commit> {
        let Some(meta) = self.commits.get(&version) else {
            return Err(self.error(format!("the commit of version {version} is missing")));
        };
        let bytes = self
            .store
            .get(&meta.location)
            .await
            .map_err(|e| unreadable(&self.name, &e))?
            .bytes()
            .await
            .map_err(|e| unreadable(&self.name, &e))?;
        let info = commit_info(&bytes).unwrap_or_default();
        let recorded = ["inCommitTimestamp", "timestamp"]
            .iter()
            .find_map(|key| info.get(*key).and_then(Value::as_i64))
            .and_then(DateTime::<Utc>::from_timestamp_millis);
        Ok(Commit {
            version,
            timestamp: recorded.unwrap_or(meta.last_modified),
            info,
        })
    }
}

/// The `commitInfo` action of a commit file, if it has one.
fn commit_info(commit: &[u8]) -> Option<Map<String, Value>> {
    let text = std::str::from_utf8(commit).ok()?;
    text.lines().find_map(|line| {
        let Ok(Value::Object(mut action)) = serde_json::from_str::<Value>(line) else {
            return None;
        };
        match action.remove("commitInfo") {
            Some(Value::Object(info)) => Some(info),
            _ => None,
        }
    })
}

/// The files of `_delta_log` that matter here.
#[derive(Debug, PartialEq)]
enum LogFile {
    Commit(u64),
    Checkpoint(u64),
}

impl LogFile {
    fn of(file: &str) -> Option<Self> {
        let (digits, rest) = file.split_once('.')?;
        if digits.len() != 20 {
            return None;
        }
        let version = digits.parse().ok()?;
        if rest == "json" {
            Some(Self::Commit(version))
        } else if rest.starts_with("checkpoint.") {
            Some(Self::Checkpoint(version))
        } else {
            None
        }
    }
}

fn unreadable(name: &str, error: &object_store::Error) -> EngineError {
    EngineError::Table {
        table: name.to_string(),
        reason: format!("cannot read its Delta log: {error}"),
    }
}

/// A time as messages show it, in UTC to the millisecond.
pub(crate) fn shown(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_files_are_told_apart_by_name() {
        assert_eq!(
            LogFile::of("00000000000000000003.json"),
            Some(LogFile::Commit(3))
        );
        assert_eq!(
            LogFile::of("00000000000000000010.checkpoint.parquet"),
            Some(LogFile::Checkpoint(10))
        );
        assert_eq!(
            LogFile::of("00000000000000000010.checkpoint.0000000001.0000000002.parquet"),
            Some(LogFile::Checkpoint(10))
        );
        assert_eq!(LogFile::of("00000000000000000003.crc"), None);
        assert_eq!(LogFile::of("_last_checkpoint"), None);
    }

    #[test]
    fn the_commit_info_is_found_on_any_line() {
        let commit =
            b"{\"protocol\":{}}\n{\"commitInfo\":{\"operation\":\"WRITE\",\"timestamp\":5}}\n";
        let info = commit_info(commit).unwrap();
        assert_eq!(info["operation"], "WRITE");
        assert!(commit_info(b"{\"add\":{}}").is_none());
    }
}
