//! The engine's one error type. Each error has a kind (see [`ErrorKind`]) that callers act
//! on, such as the server choosing a gRPC status, without reading its message; and a message
//! that reads as a sentence naming what failed (see [`describe`]).

mod describe;
mod kind;

use datafusion::error::DataFusionError;

pub use kind::ErrorKind;

use crate::store::secrets::redact;
pub(crate) use describe::describe_arrow;
use describe::describe_datafusion;

/// Everything that can go wrong in the engine, each naming what failed. Messages that may quote
/// a store's answer are redacted: no credential the engine was given ever shows.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The lake or table location is not a path or URI we can read.
    #[error("invalid location '{location}': {}", redact(reason))]
    InvalidLocation { location: String, reason: String },

    /// Listing the lake's folders failed.
    #[error("cannot list the lake at {location}: {}", redact(reason))]
    Lake { location: String, reason: String },

    /// A Delta table could not be opened or refreshed.
    #[error("table {table}: {}", redact(reason))]
    Table { table: String, reason: String },

    /// The configuration cannot be used.
    #[error("invalid configuration: {0}")]
    Config(String),

    /// The engine was opened read-only and the statement would write.
    #[error("the lake is open read-only: {0} is refused")]
    ReadOnly(String),

    /// What the statement names does not exist; the message names it.
    #[error("{0}")]
    NotFound(String),

    /// What the statement would create exists already; the message names it.
    #[error("{0}")]
    AlreadyExists(String),

    /// The access policy refuses the statement: the user's role or layers do not allow it,
    /// or it reaches a place outside the lake and the prefixes the operator allowed.
    /// Boxed: the four names would make every `Result` of the engine larger.
    #[error("{0}")]
    PermissionDenied(Box<Refusal>),

    /// The stored definitions of views and external tables (under `_lakeshore/`) could not be
    /// read or changed.
    #[error("catalog definitions at {location}: {}", redact(reason))]
    Definitions { location: String, reason: String },

    /// A query on a cluster could not reach one of its workers (see `distributed`): nothing
    /// is wrong with the statement, and it may succeed once the worker is back.
    #[error(
        "cannot reach the cluster's worker at {worker}: the connection failed, so the query \
         stopped (is lakeshore-worker running there?)"
    )]
    WorkerUnreachable { worker: String },

    /// A query on a cluster lost its connection to a worker mid-way (the worker died or the
    /// network failed): no part of the answer is given, and it may succeed once run again.
    #[error(
        "lost the connection to the cluster's worker at {worker} while the query ran, so it \
         stopped; run it again once the worker is back"
    )]
    WorkerLost { worker: String },

    /// Planning or running a statement failed.
    #[error("{}", redact(&describe_datafusion(.0)))]
    // Not `#[from]`: that would also make it the `source()`, and error reporters that walk the
    // chain would print DataFusion's message again after ours, which already holds it.
    Query(DataFusionError),
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

/// What the access policy refused, to whom, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("user {user} ({role}) may not {what}: {why}")]
pub struct Refusal {
    pub user: String,
    /// The user's role, as the users file names it.
    pub role: &'static str,
    /// The action refused, as a sentence says it (`read /etc/passwd`, `INSERT gold.t`).
    pub what: String,
    pub why: String,
}

impl From<DataFusionError> for EngineError {
    fn from(error: DataFusionError) -> Self {
        EngineError::Query(error)
    }
}

impl From<EngineError> for DataFusionError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::Query(inner) => inner,
            other => DataFusionError::External(Box::new(other)),
        }
    }
}
