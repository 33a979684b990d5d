//! Lakeshore on a cluster, built on datafusion-distributed: the coordinator's side (the
//! engine's session made to plan stages and send them to workers) and the workers' side (a
//! gRPC service that runs those stages with Lakeshore's Delta scans and functions).
//!
//! A coordinator is any Lakeshore process opened with [`ClusterDistribution`] in its
//! [`lakeshore_engine::EngineConfig`] (`lakeshore-server --cluster URL,...`). A worker is the
//! `lakeshore-worker` binary, or [`WorkerServer`] in a process of one's own.

mod channels;
mod coordinator;
mod error;
mod explain;
mod health;
mod routing;
mod worker;

pub use coordinator::ClusterDistribution;
pub use error::ClusterError;
pub use worker::WorkerServer;
