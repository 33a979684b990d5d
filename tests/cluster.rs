//! A cluster on loopback for tests: workers served in this process on free ports, and
//! coordinators (engines) that send them stages.

use std::net::SocketAddr;
use std::sync::Arc;

use lakeshore_cluster::{ClusterDistribution, WorkerServer};
use lakeshore_engine::{Engine, EngineConfig, StorageOptions};
use tokio::task::JoinHandle;

/// Workers serving on 127.0.0.1 until dropped or stopped.
pub struct LoopbackCluster {
    urls: Vec<String>,
    workers: Vec<JoinHandle<()>>,
}

impl LoopbackCluster {
    /// Starts `count` workers, each on a free port.
    pub async fn start(count: usize) -> Self {
        let mut urls = Vec::new();
        let mut workers = Vec::new();
        for _ in 0..count {
            let address: SocketAddr = ([127, 0, 0, 1], 0).into();
            let server = WorkerServer::bind(address, StorageOptions::default())
                .await
                .unwrap_or_else(|error| panic!("a worker should bind a free port: {error}"));
            let bound = server
                .local_addr()
                .unwrap_or_else(|error| panic!("a bound worker has an address: {error}"));
            urls.push(format!("http://{bound}"));
            workers.push(tokio::spawn(async move {
                // Runs until aborted: an abort is a worker killed, connections and all.
                let _ = server.serve(std::future::pending()).await;
            }));
        }
        Self { urls, workers }
    }

    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// What an engine needs in its configuration to coordinate these workers.
    pub fn distribution(&self) -> Arc<ClusterDistribution> {
        Arc::new(
            ClusterDistribution::new(&self.urls)
                .unwrap_or_else(|error| panic!("loopback worker URLs are valid: {error}")),
        )
    }

    /// A coordinator of these workers for the lake at `lake`.
    pub async fn coordinator(&self, lake: Option<String>) -> Engine {
        let mut config = EngineConfig {
            lake,
            ..EngineConfig::default()
        };
        config.distribution = Some(self.distribution());
        Engine::open(config)
            .await
            .unwrap_or_else(|error| panic!("a coordinator should open: {error}"))
    }

    /// Kills worker `index` at once, as a crashed process would go.
    pub fn kill(&self, index: usize) {
        if let Some(worker) = self.workers.get(index) {
            worker.abort();
        }
    }
}

impl Drop for LoopbackCluster {
    fn drop(&mut self) {
        for worker in &self.workers {
            worker.abort();
        }
    }
}
