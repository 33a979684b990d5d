//! The cluster crate's one error type.

/// What can fail in setting up a coordinator or a worker, naming what failed.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// A worker address given to a coordinator is not one we can reach.
    #[error("invalid worker URL '{url}': {reason}")]
    WorkerUrl { url: String, reason: String },

    /// A coordinator was given no worker.
    #[error("a cluster needs at least one worker URL")]
    NoWorkers,

    /// The worker's engine could not be set up (its object stores, its runtime).
    #[error("cannot set up the worker: {0}")]
    Engine(#[from] lakeshore_engine::EngineError),

    /// The worker's gRPC server failed to bind or stopped with an error.
    #[error("worker on {address}: {reason}")]
    Serve { address: String, reason: String },
}
