//! What operators watch, in Prometheus' text format on `--metrics-listen`: queries by outcome
//! and their latency, what results sent, how busy the server is, and refused logins.
//!
//! Counters move where things happen (a query's end in [`crate::running::QueryLog`], a DoGet
//! message in [`sent`], a refused login in [`crate::auth`]); gauges are read from the live
//! state at each scrape, so they can never drift from it.

mod endpoint;
pub mod sent;

use std::time::Duration;

use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use tonic::Code;

pub use endpoint::MetricsEndpoint;

/// The label of a query's outcome: `ok`, `client_went_away`, or the gRPC code of its error.
type OutcomeLabel = [(&'static str, &'static str); 1];

/// The server's metrics; cheap to share, every method takes `&self`.
pub struct ServerMetrics {
    registry: Registry,
    queries: Family<OutcomeLabel, Counter>,
    query_duration: Histogram,
    rows_sent: Counter,
    bytes_sent: Counter,
    sessions: Gauge,
    running_queries: Gauge,
    queued_queries: Gauge,
    memory_reserved: Gauge,
    data_cache: Gauge,
}

/// How busy the server is at one moment: the gauges of a scrape.
#[derive(Debug, Clone, Copy)]
pub struct Activity {
    pub sessions: usize,
    pub running_queries: usize,
    pub queued_queries: usize,
    pub memory_reserved_bytes: usize,
    pub data_cache_bytes: u64,
}

/// How a query ended, as the metrics count it.
#[derive(Debug, Clone, Copy)]
pub enum QueryOutcome {
    Ok,
    Failed(Code),
    ClientWentAway,
}

impl ServerMetrics {
    /// `login_failures` is the authenticator's own counter, registered here to be scraped.
    pub fn new(login_failures: Counter) -> Self {
        let mut registry = Registry::with_prefix("lakeshore");
        let queries = Family::<OutcomeLabel, Counter>::default();
        // Shown from the start, so a rate over it exists before the first query ends.
        let _ = queries.get_or_create(&[("outcome", "ok")]);
        registry.register(
            "queries",
            "Queries and commands that ended, by outcome: ok, client_went_away, or the gRPC code of their error",
            queries.clone(),
        );
        // 1 ms to about 4.5 minutes, past the default query time limit of 5 minutes.
        let query_duration = Histogram::new(exponential_buckets(0.001, 2.0, 19));
        registry.register_with_unit(
            "query_duration",
            "Time from a query's arrival (its DoGet, or its command) to its end, waiting for a slot included",
            Unit::Seconds,
            query_duration.clone(),
        );
        let rows_sent = Counter::default();
        registry.register(
            "sent_rows",
            "Rows sent to clients in DoGet results",
            rows_sent.clone(),
        );
        let bytes_sent = Counter::default();
        registry.register_with_unit(
            "sent",
            "Arrow IPC bytes (message headers and bodies) sent to clients in DoGet results",
            Unit::Bytes,
            bytes_sent.clone(),
        );
        let sessions = Gauge::default();
        registry.register(
            "sessions",
            "Client sessions the server keeps (a login, or without users a connection)",
            sessions.clone(),
        );
        let running_queries = Gauge::default();
        registry.register(
            "running_queries",
            "Queries and commands holding one of the --max-concurrent-queries slots",
            running_queries.clone(),
        );
        let queued_queries = Gauge::default();
        registry.register(
            "queued_queries",
            "Queries waiting for a slot (at most --max-queued-queries)",
            queued_queries.clone(),
        );
        let memory_reserved = Gauge::default();
        registry.register_with_unit(
            "memory_pool_reserved",
            "Memory the queries hold in DataFusion's memory pool (bounded by --memory-limit-mb)",
            Unit::Bytes,
            memory_reserved.clone(),
        );
        let data_cache = Gauge::default();
        registry.register_with_unit(
            "data_cache",
            "Data files' bytes kept in memory for later queries (at most --data-cache-mb)",
            Unit::Bytes,
            data_cache.clone(),
        );
        registry.register(
            "login_failures",
            "Logins refused: a wrong user name or password, or held back after failures",
            login_failures,
        );
        Self {
            registry,
            queries,
            query_duration,
            rows_sent,
            bytes_sent,
            sessions,
            running_queries,
            queued_queries,
            memory_reserved,
            data_cache,
        }
    }

    /// Counts a query that ended, and how long it took.
    pub fn query_ended(&self, outcome: QueryOutcome, duration: Duration) {
        let label = match outcome {
            QueryOutcome::Ok => "ok",
            QueryOutcome::ClientWentAway => "client_went_away",
            QueryOutcome::Failed(code) => code_label(code),
        };
        self.queries.get_or_create(&[("outcome", label)]).inc();
        self.query_duration.observe(duration.as_secs_f64());
    }

    /// Counts a result message sent to a client.
    pub fn sent(&self, rows: u64, bytes: u64) {
        self.rows_sent.inc_by(rows);
        self.bytes_sent.inc_by(bytes);
    }

    /// Every metric in Prometheus' text format, with the gauges set from `activity`.
    pub fn render(&self, activity: Activity) -> Result<String, std::fmt::Error> {
        self.sessions.set(gauge_value(activity.sessions));
        self.running_queries
            .set(gauge_value(activity.running_queries));
        self.queued_queries
            .set(gauge_value(activity.queued_queries));
        self.memory_reserved
            .set(gauge_value(activity.memory_reserved_bytes));
        self.data_cache.set(gauge_value(activity.data_cache_bytes));
        let mut text = String::new();
        prometheus_text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

fn gauge_value(count: impl TryInto<i64>) -> i64 {
    count.try_into().unwrap_or(i64::MAX)
}

/// A gRPC code as a label value, in the snake case Prometheus labels use.
fn code_label(code: Code) -> &'static str {
    match code {
        Code::Ok => "ok",
        Code::Cancelled => "cancelled",
        Code::Unknown => "unknown",
        Code::InvalidArgument => "invalid_argument",
        Code::DeadlineExceeded => "deadline_exceeded",
        Code::NotFound => "not_found",
        Code::AlreadyExists => "already_exists",
        Code::PermissionDenied => "permission_denied",
        Code::ResourceExhausted => "resource_exhausted",
        Code::FailedPrecondition => "failed_precondition",
        Code::Aborted => "aborted",
        Code::OutOfRange => "out_of_range",
        Code::Unimplemented => "unimplemented",
        Code::Internal => "internal",
        Code::Unavailable => "unavailable",
        Code::DataLoss => "data_loss",
        Code::Unauthenticated => "unauthenticated",
    }
}
