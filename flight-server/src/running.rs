//! A query while it runs: its result stream under the time limit and the cancel signal, and the
//! log line and metrics it leaves when it ends, however it ends (done, failed, cancelled, or
//! the client gone).
//! Dropping the stream drops the engine's stream, which stops the query and frees its memory.

use std::sync::Arc;
use std::time::Instant;

use arrow::array::RecordBatch;
use datafusion::execution::SendableRecordBatchStream;
use futures::{Stream, StreamExt};
use lakeshore_engine::RequestWatch;

use crate::auth::User;
use crate::error::ServerError;
use crate::limits::{Admission, CancelSignal, QueryLimits};
use crate::metrics::{QueryOutcome, ServerMetrics};

/// What the log line of one query says; it also counts the query in the metrics.
pub struct QueryLog {
    pub query_id: String,
    pub user: User,
    pub statement: String,
    started: Instant,
    rows: usize,
    bytes: usize,
    /// The object-store requests since the query's planning began.
    requests: Option<RequestWatch>,
    /// How it ended, and the error's message; `None` while it has not (or the client left).
    outcome: Option<(QueryOutcome, String)>,
    metrics: Arc<ServerMetrics>,
}

impl QueryLog {
    pub fn new(metrics: &Arc<ServerMetrics>, query_id: &str, user: &User, statement: &str) -> Self {
        Self {
            query_id: query_id.to_string(),
            user: user.clone(),
            statement: statement.to_string(),
            started: Instant::now(),
            rows: 0,
            bytes: 0,
            requests: None,
            outcome: None,
            metrics: metrics.clone(),
        }
    }

    /// Counts the store requests `requests` sees, to the end of the query.
    pub fn watch(&mut self, requests: RequestWatch) {
        self.requests = Some(requests);
    }

    pub fn add(&mut self, batch: &RecordBatch) {
        self.rows += batch.num_rows();
        self.bytes += batch.get_array_memory_size();
    }

    /// Counts rows that pass through without batches to show for them (ingest).
    pub fn add_rows(&mut self, rows: u64) {
        self.rows += usize::try_from(rows).unwrap_or(usize::MAX);
    }

    pub fn end(&mut self, outcome: Result<(), &ServerError>) {
        if self.outcome.is_none() {
            self.outcome = Some(match outcome {
                Ok(()) => (QueryOutcome::Ok, "ok".to_string()),
                Err(error) => (
                    QueryOutcome::Failed(error.code()),
                    format!("{:?}: {error}", error.code()),
                ),
            });
        }
    }
}

impl Drop for QueryLog {
    fn drop(&mut self) {
        let (counted, outcome) = match &self.outcome {
            Some((counted, outcome)) => (*counted, outcome.as_str()),
            None => (QueryOutcome::ClientWentAway, "client went away"),
        };
        let duration = self.started.elapsed();
        self.metrics.query_ended(counted, duration);
        let requests = self
            .requests
            .as_ref()
            .map_or_else(|| "none".to_string(), |watch| watch.elapsed().to_string());
        tracing::info!(
            query_id = %self.query_id,
            user = %self.user.0,
            statement = %self.statement,
            rows = self.rows,
            bytes = self.bytes,
            requests,
            duration_ms = duration.as_millis() as u64,
            outcome,
            "query"
        );
    }
}

/// The state of a result stream on its way to the client.
struct Running {
    batches: SendableRecordBatchStream,
    cancel: CancelSignal,
    deadline: Option<tokio::time::Instant>,
    limits: Arc<QueryLimits>,
    log: QueryLog,
    ended: bool,
    _admission: Admission,
}

impl Drop for Running {
    fn drop(&mut self) {
        // A client that cancels drops the stream once the cancel is answered, which can be
        // before the stream was polled again to see the signal: still a cancelled query.
        if *self.cancel.borrow() {
            self.log.end(Err(&ServerError::Cancelled));
        }
        self.limits.finish(&self.log.query_id);
    }
}

/// `batches` as a stream that ends with an error when the query is cancelled or runs past the
/// time limit, holding its admission until it ends.
pub fn watch(
    batches: SendableRecordBatchStream,
    limits: Arc<QueryLimits>,
    admission: Admission,
    log: QueryLog,
) -> impl Stream<Item = Result<RecordBatch, ServerError>> + Send + 'static {
    let cancel = limits.start(&log.query_id);
    let deadline = limits
        .timeout()
        .map(|timeout| tokio::time::Instant::now() + timeout);
    let running = Running {
        batches,
        cancel,
        deadline,
        limits,
        log,
        ended: false,
        _admission: admission,
    };
    futures::stream::unfold(running, |mut running| async move {
        if running.ended {
            return None;
        }
        let item = next(&mut running).await;
        match &item {
            Some(Ok(batch)) => running.log.add(batch),
            Some(Err(error)) => {
                running.log.end(Err(error));
                running.ended = true;
            }
            None => running.log.end(Ok(())),
        }
        item.map(|item| (item, running))
    })
}

async fn next(running: &mut Running) -> Option<Result<RecordBatch, ServerError>> {
    let deadline = running.deadline;
    let timeout = async move {
        match deadline {
            Some(deadline) => tokio::time::sleep_until(deadline).await,
            None => std::future::pending().await,
        }
    };
    let signal = &mut running.cancel;
    let cancelled = async move {
        // The signal closes only when the query is forgotten: then nobody can cancel it.
        if signal.wait_for(|cancelled| *cancelled).await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        biased;
        _ = cancelled => Some(Err(ServerError::Cancelled)),
        _ = timeout => {
            let seconds = running.limits.timeout().map_or(0, |timeout| timeout.as_secs());
            Some(Err(ServerError::Timeout(seconds)))
        }
        batch = running.batches.next() => batch.map(|batch| batch.map_err(ServerError::from)),
    }
}
