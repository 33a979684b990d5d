//! The worker's side: datafusion-distributed's worker service, whose sessions decode
//! Lakeshore's Delta scans and know the engine's functions, served over gRPC.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::error::DataFusionError;
use datafusion::execution::SessionState;
use datafusion_distributed::{DistributedExt, Worker, WorkerQueryContext, WorkerSessionBuilder};
use lakeshore_engine::StorageOptions;
use lakeshore_engine::distributed::ScanWorker;
use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;

use crate::channels::WorkerChannels;
use crate::error::ClusterError;

/// Builds each task's session from the engine's worker, reaching the other workers (whose
/// shuffled rows a task reads) through channels shared by every task.
struct LakeshoreSessions(Arc<ScanWorker>, WorkerChannels);

#[async_trait]
impl WorkerSessionBuilder for LakeshoreSessions {
    async fn build_session_state(
        &self,
        ctx: WorkerQueryContext,
    ) -> Result<SessionState, DataFusionError> {
        let builder = ctx
            .builder
            .with_distributed_user_codec_arc(self.0.codec())
            .with_distributed_channel_resolver(self.1.clone());
        Ok(self.0.session(builder))
    }
}

/// A worker bound to its address, ready to serve.
pub struct WorkerServer {
    listener: TcpListener,
    worker: Worker,
}

impl WorkerServer {
    /// Binds `address` (port 0 picks a free one) for a worker that reaches the object stores
    /// with `storage` and keeps up to `data_cache_bytes` of the data files it reads.
    pub async fn bind(
        address: SocketAddr,
        storage: StorageOptions,
        data_cache_bytes: u64,
    ) -> Result<Self, ClusterError> {
        let engine = Arc::new(ScanWorker::new(storage, data_cache_bytes)?);
        let listener = TcpListener::bind(address)
            .await
            .map_err(|e| ClusterError::Serve {
                address: address.to_string(),
                reason: e.to_string(),
            })?;
        let runtime = engine.runtime_env();
        let worker =
            Worker::from_session_builder(LakeshoreSessions(engine, WorkerChannels::default()))
                .with_runtime_env(runtime);
        Ok(Self { listener, worker })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> Result<SocketAddr, ClusterError> {
        self.listener.local_addr().map_err(|e| ClusterError::Serve {
            address: "the bound socket".to_string(),
            reason: e.to_string(),
        })
    }

    /// Serves until `shutdown` completes.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), ClusterError> {
        let address = self.local_addr()?;
        tonic::transport::Server::builder()
            .add_service(self.worker.into_worker_server())
            .serve_with_incoming_shutdown(
                TcpIncoming::from(self.listener).with_nodelay(Some(true)),
                shutdown,
            )
            .await
            .map_err(|e| ClusterError::Serve {
                address: address.to_string(),
                reason: e.to_string(),
            })
    }
}
