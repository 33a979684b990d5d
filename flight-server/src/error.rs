//! Everything that can fail in the server, each mapped to the gRPC status a client sees.

use datafusion::error::DataFusionError;
use lakeshore_engine::EngineError;
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

/// The gRPC code of an engine error: whose fault it is and whether retrying can help.
fn engine_code(error: &EngineError) -> Code {
    match error {
        EngineError::InvalidLocation { .. } | EngineError::Config(_) => Code::InvalidArgument,
        EngineError::Lake { .. } => Code::Unavailable,
        EngineError::Table { reason, .. } if says_missing(reason) => Code::NotFound,
        EngineError::Table { .. } => Code::FailedPrecondition,
        EngineError::Query(error) => datafusion_code(error),
        EngineError::ReadOnly(_) => Code::PermissionDenied,
        EngineError::PermissionDenied(_) => Code::PermissionDenied,
        EngineError::Definitions { .. } => Code::FailedPrecondition,
    }
}

fn datafusion_code(error: &DataFusionError) -> Code {
    match error {
        DataFusionError::Context(_, inner) => datafusion_code(inner),
        DataFusionError::Shared(inner) => datafusion_code(inner),
        DataFusionError::Diagnostic(_, inner) => datafusion_code(inner),
        DataFusionError::Collection(errors) => {
            errors.first().map_or(Code::Internal, datafusion_code)
        }
        DataFusionError::External(inner) => match inner.downcast_ref::<EngineError>() {
            Some(engine) => engine_code(engine),
            None => match inner.downcast_ref::<DataFusionError>() {
                Some(error) => datafusion_code(error),
                None => Code::Internal,
            },
        },
        DataFusionError::ResourcesExhausted(_) => Code::ResourceExhausted,
        DataFusionError::SQL(..) => Code::InvalidArgument,
        DataFusionError::Plan(_) | DataFusionError::SchemaError(..) => {
            if says_missing(&error.to_string()) {
                Code::NotFound
            } else {
                Code::InvalidArgument
            }
        }
        DataFusionError::NotImplemented(_) => Code::Unimplemented,
        DataFusionError::ArrowError(..) | DataFusionError::Execution(_) => Code::InvalidArgument,
        DataFusionError::ObjectStore(_) | DataFusionError::IoError(_) => Code::Unavailable,
        _ => Code::Internal,
    }
}

fn says_missing(message: &str) -> bool {
    let message = message.to_lowercase();
    message.contains("not found") || message.contains("does not exist")
}

/// At most [`MAX_MESSAGE_CHARS`] characters, cut at a character boundary.
fn bounded(message: &str) -> String {
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((end, _)) => format!("{}...", &message[..end]),
        None => message.to_string(),
    }
}
