//! What kind of failure an error is, for callers that act on it (the server's gRPC status, a
//! retry after listing the lake again) without reading its message.

use datafusion::error::DataFusionError;

use super::EngineError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A table, schema, view, version or file the statement names does not exist.
    NotFound,
    /// What the statement would create exists already.
    AlreadyExists,
    /// The statement or a setting is wrong: syntax, types, arguments, a bad location.
    InvalidInput,
    /// The engine is read-only and the statement would write.
    ReadOnly,
    /// The access policy refuses the statement to its user.
    PermissionDenied,
    /// A table or definition exists but cannot be read as it is (a damaged log, an unsupported
    /// feature): retrying will not help until it is repaired.
    Broken,
    /// The lake's store did not answer or refused the request; retrying may help.
    Unavailable,
    /// The statement ran out of memory or another limit.
    ResourceExhausted,
    /// A fault of the engine, not of the statement.
    Internal,
}

impl EngineError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            EngineError::InvalidLocation { .. } | EngineError::Config(_) => ErrorKind::InvalidInput,
            EngineError::Lake { .. }
            | EngineError::WorkerUnreachable { .. }
            | EngineError::WorkerLost { .. } => ErrorKind::Unavailable,
            EngineError::Table { .. } | EngineError::Definitions { .. } => ErrorKind::Broken,
            EngineError::ReadOnly(_) => ErrorKind::ReadOnly,
            EngineError::PermissionDenied(_) => ErrorKind::PermissionDenied,
            EngineError::NotFound(_) => ErrorKind::NotFound,
            EngineError::AlreadyExists(_) => ErrorKind::AlreadyExists,
            EngineError::Query(error) => datafusion_kind(error),
        }
    }
}

fn datafusion_kind(error: &DataFusionError) -> ErrorKind {
    match error {
        DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => {
            datafusion_kind(inner)
        }
        DataFusionError::Shared(inner) => datafusion_kind(inner),
        DataFusionError::Collection(errors) => {
            errors.first().map_or(ErrorKind::Internal, datafusion_kind)
        }
        DataFusionError::External(inner) => match inner.downcast_ref::<EngineError>() {
            Some(engine) => engine.kind(),
            None => match inner.downcast_ref::<DataFusionError>() {
                Some(error) => datafusion_kind(error),
                None => ErrorKind::Internal,
            },
        },
        DataFusionError::ResourcesExhausted(_) => ErrorKind::ResourceExhausted,
        DataFusionError::Plan(message) if names_missing_relation(message) => ErrorKind::NotFound,
        DataFusionError::SQL(..)
        | DataFusionError::Plan(_)
        | DataFusionError::SchemaError(..)
        | DataFusionError::NotImplemented(_)
        | DataFusionError::Configuration(_)
        | DataFusionError::ArrowError(..)
        | DataFusionError::Execution(_) => ErrorKind::InvalidInput,
        DataFusionError::ObjectStore(error)
            if matches!(**error, object_store::Error::NotFound { .. }) =>
        {
            ErrorKind::NotFound
        }
        DataFusionError::ObjectStore(_) | DataFusionError::IoError(_) => ErrorKind::Unavailable,
        DataFusionError::ParquetError(_) => ErrorKind::Broken,
        _ => ErrorKind::Internal,
    }
}

/// DataFusion tells of an unknown table or schema only in words ("table 'x' not found",
/// "failed to resolve schema"); this is the one place that reads them.
fn names_missing_relation(message: &str) -> bool {
    message.contains("not found") || message.contains("failed to resolve schema")
}
