//! Everything that can fail in the server, each mapped to the gRPC status a client sees.

use datafusion::error::DataFusionError;
use lakeshore_engine::{EngineError, ErrorKind};
use tonic::{Code, Status};

/// Longest message sent to a client: enough to name what failed and why, never a dump.
const MAX_MESSAGE_CHARS: usize = 2048;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The engine refused or failed a statement.
    #[error(transparent)]
    Engine(#[from] EngineError),

    /// The request itself is malformed: a bad handle, parameters that do not fit.
    #[error("{0}")]
    InvalidRequest(String),

    /// Something the request names does not exist (a prepared statement, a session).
    #[error("{0}")]
    NotFound(String),

    /// No or wrong credentials, or an expired token.
    #[error("{0}")]
    Unauthenticated(String),

    /// Too many queries are running and waiting.
    #[error("the server is busy: {running} queries running and {queued} waiting; retry later")]
    Busy { running: usize, queued: usize },

    /// The query ran past the server's time limit.
    #[error("the query ran past the time limit of {0} s and was stopped")]
    Timeout(u64),

    /// The client or the server cancelled the query.
    #[error("the query was cancelled")]
    Cancelled,

    /// This Flight SQL feature is not offered.
    #[error("{0} is not supported")]
    Unsupported(String),

    /// The server cannot start as configured.
    #[error("{0}")]
    Config(String),

    /// A fault of the server, not of the request.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = ServerError> = std::result::Result<T, E>;

impl ServerError {
    pub fn code(&self) -> Code {
        match self {
            ServerError::Engine(error) => engine_code(error),
            ServerError::InvalidRequest(_) => Code::InvalidArgument,
            ServerError::NotFound(_) => Code::NotFound,
            ServerError::Unauthenticated(_) => Code::Unauthenticated,
            ServerError::Busy { .. } => Code::ResourceExhausted,
            ServerError::Timeout(_) => Code::DeadlineExceeded,
            ServerError::Cancelled => Code::Cancelled,
            ServerError::Unsupported(_) => Code::Unimplemented,
            ServerError::Config(_) | ServerError::Internal(_) => Code::Internal,
        }
    }
}

impl From<ServerError> for Status {
    fn from(error: ServerError) -> Self {
        Status::new(error.code(), bounded(&error.to_string()))
    }
}

impl From<DataFusionError> for ServerError {
    fn from(error: DataFusionError) -> Self {
        ServerError::Engine(EngineError::Query(error))
    }
}

impl From<arrow_flight::error::FlightError> for ServerError {
    fn from(error: arrow_flight::error::FlightError) -> Self {
        match error {
            arrow_flight::error::FlightError::Arrow(error) => ServerError::from(error),
            other => ServerError::Internal(other.to_string()),
        }
    }
}

impl From<arrow::error::ArrowError> for ServerError {
    fn from(error: arrow::error::ArrowError) -> Self {
        ServerError::from(DataFusionError::ArrowError(Box::new(error), None))
    }
}

/// The gRPC code of an engine error, from its kind: whose fault it is and whether retrying
/// can help.
fn engine_code(error: &EngineError) -> Code {
    match error.kind() {
        ErrorKind::NotFound => Code::NotFound,
        ErrorKind::AlreadyExists => Code::AlreadyExists,
        ErrorKind::InvalidInput => Code::InvalidArgument,
        ErrorKind::ReadOnly => Code::PermissionDenied,
        ErrorKind::Broken => Code::FailedPrecondition,
        ErrorKind::Unavailable => Code::Unavailable,
        ErrorKind::ResourceExhausted => Code::ResourceExhausted,
        ErrorKind::PermissionDenied => Code::PermissionDenied,
        _ => Code::Internal,
    }
}

/// At most [`MAX_MESSAGE_CHARS`] characters, cut at a character boundary.
fn bounded(message: &str) -> String {
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((end, _)) => format!("{}...", &message[..end]),
        None => message.to_string(),
    }
}
