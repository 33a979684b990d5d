//! A lake of tables with real history, and what their `_delta_log` says, read here directly:
//! the expectations of the time-travel, history and change-feed tests.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use arrow::temporal_conversions::timestamp_ms_to_datetime;
use lakeshore_engine::Engine;
use lakeshore_tests::write_history_table;
use serde_json::Value;
use tempfile::TempDir;

use crate::lake_catalog::open_lake;

/// The last version of the history tables (see `delta_writer.py history`).
pub(crate) const LATEST: u64 = 5;

/// A lake with `silver/orders` (no change feed) and `silver/orders_cdf` (change feed on), each
/// with six versions of history.
pub(crate) struct HistoryLake {
    pub dir: TempDir,
    pub engine: Engine,
}

impl HistoryLake {
    pub(crate) async fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary lake");
        write_history_table(&dir.path().join("silver/orders"), false);
        write_history_table(&dir.path().join("silver/orders_cdf"), true);
        let engine = open_lake(dir.path()).await;
        Self { dir, engine }
    }

    pub(crate) fn table(&self, name: &str) -> PathBuf {
        self.dir.path().join("silver").join(name)
    }
}

/// The actions of commit `version` of the table at `table`, one JSON object per line.
pub(crate) fn actions(table: &Path, version: u64) -> Vec<Value> {
    let file = table.join(format!("_delta_log/{version:020}.json"));
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", file.display()));
    text.lines()
        .map(|line| serde_json::from_str(line).expect("each line of a commit is JSON"))
        .collect()
}

/// The `commitInfo` of commit `version`.
pub(crate) fn commit_info(table: &Path, version: u64) -> Value {
    actions(table, version)
        .into_iter()
        .find_map(|mut action| action.get_mut("commitInfo").map(Value::take))
        .expect("every commit of these tables has a commitInfo")
}

/// The commit time of `version` in milliseconds, as its `commitInfo` records it.
pub(crate) fn commit_millis(table: &Path, version: u64) -> i64 {
    commit_info(table, version)["timestamp"]
        .as_i64()
        .expect("a commit timestamp")
}

/// The commit time of `version` as SQL writes a time: `2024-05-01 10:00:00.123` (UTC).
pub(crate) fn commit_time(table: &Path, version: u64) -> String {
    let millis = commit_millis(table, version);
    timestamp_ms_to_datetime(millis)
        .expect("a valid commit timestamp")
        .format("%Y-%m-%d %H:%M:%S%.3f")
        .to_string()
}

/// The data files of `version` with their sizes: the adds of commits 0 to `version` not removed
/// since.
pub(crate) fn active_files(table: &Path, version: u64) -> Vec<(String, i64)> {
    let mut files = Vec::new();
    for commit in 0..=version {
        for action in actions(table, commit) {
            if let Some(add) = action.get("add") {
                let path = add["path"].as_str().expect("an add has a path").to_string();
                files.push((path, add["size"].as_i64().expect("an add has a size")));
            }
            if let Some(remove) = action.get("remove") {
                let path = remove["path"].as_str().expect("a remove has a path");
                files.retain(|(added, _)| added != path);
            }
        }
    }
    files
}

/// The ids in canonical rows (`amount=.. | id=3 | item=..`).
pub(crate) fn ids(rows: &[String]) -> BTreeSet<i64> {
    rows.iter()
        .filter_map(|row| {
            row.split(" | ")
                .find_map(|cell| cell.strip_prefix("id="))
                .and_then(|id| id.parse().ok())
        })
        .collect()
}
