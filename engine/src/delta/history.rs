//! `DESCRIBE HISTORY t [LIMIT n]` and `delta_history('t' [, n])`: one row per commit, newest
//! first, with the columns Databricks shows.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray,
};
use datafusion::catalog::MemTable;
use serde_json::Value;

use super::columns::{json_text, object_entries, string_maps};
use super::commit_log::{Commit, CommitLog};
use super::preloaded::FunctionCall;
use super::statement_reads::Read;
use super::target::{Literal, TableTarget};
use crate::error::Result;

pub(crate) use crate::sql::DELTA_HISTORY;

/// `delta_history('t')`, or `delta_history('t', n)` for the newest `n` commits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct HistoryCall {
    pub target: TableTarget,
    pub limit: Option<usize>,
}

impl FunctionCall for HistoryCall {
    const NAME: &'static str = DELTA_HISTORY;

    fn from_literals(args: &[Literal]) -> Result<Self, String> {
        let (table, limit) = match args {
            [Literal::Text(table)] => (table, None),
            [Literal::Text(table), Literal::Integer(n)] if *n >= 0 => {
                (table, usize::try_from(*n).ok())
            }
            _ => {
                return Err(format!(
                    "{DELTA_HISTORY} takes a table name or path and optionally a number of \
                     commits, as in {DELTA_HISTORY}('silver.orders', 10)"
                ));
            }
        };
        Ok(Self {
            target: TableTarget::parse(table),
            limit,
        })
    }

    fn target(&self) -> &TableTarget {
        &self.target
    }

    fn with_target(self, target: TableTarget) -> Self {
        Self { target, ..self }
    }

    fn into_read(self) -> Read {
        Read::History(self)
    }
}

/// The history rows of the newest `limit` commits of `log`.
pub(crate) async fn history_table(log: &CommitLog, limit: Option<usize>) -> Result<MemTable> {
    let commits = log.newest_commits(limit).await?;
    let batch = history_batch(&commits).map_err(|e| log.error(e.to_string()))?;
    Ok(MemTable::try_new(batch.schema(), vec![vec![batch]])?)
}

fn history_batch(commits: &[Commit]) -> Result<RecordBatch, arrow::error::ArrowError> {
    let text = |key: &str| -> ArrayRef {
        Arc::new(
            commits
                .iter()
                .map(|c| c.info.get(key).map(json_text))
                .collect::<StringArray>(),
        )
    };
    let object = |key: &str| {
        string_maps(
            commits
                .iter()
                .map(|c| object_entries(c.info.get(key).and_then(Value::as_object))),
        )
    };
    let version: ArrayRef = Arc::new(
        commits
            .iter()
            .map(|c| i64::try_from(c.version).ok())
            .collect::<Int64Array>(),
    );
    let timestamp: ArrayRef = Arc::new(
        commits
            .iter()
            .map(|c| Some(c.timestamp.timestamp_millis()))
            .collect::<TimestampMillisecondArray>()
            .with_timezone("UTC"),
    );
    let read_version: ArrayRef = Arc::new(
        commits
            .iter()
            .map(|c| c.info.get("readVersion").and_then(Value::as_i64))
            .collect::<Int64Array>(),
    );
    let blind_append: ArrayRef = Arc::new(
        commits
            .iter()
            .map(|c| c.info.get("isBlindAppend").and_then(Value::as_bool))
            .collect::<BooleanArray>(),
    );
    RecordBatch::try_from_iter(vec![
        ("version", version),
        ("timestamp", timestamp),
        ("userId", text("userId")),
        ("userName", text("userName")),
        ("operation", text("operation")),
        ("operationParameters", object("operationParameters")?),
        ("job", text("job")),
        ("notebook", text("notebook")),
        ("clusterId", text("clusterId")),
        ("readVersion", read_version),
        ("isolationLevel", text("isolationLevel")),
        ("isBlindAppend", blind_append),
        ("operationMetrics", object("operationMetrics")?),
        ("userMetadata", text("userMetadata")),
        ("engineInfo", text("engineInfo")),
    ])
}
