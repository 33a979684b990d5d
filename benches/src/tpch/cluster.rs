//! `tpch --cluster N`: the queries also run on N `lakeshore-worker` processes on loopback, and
//! the bytes the coordinator sends them are counted per query.
//!
//! Each worker sits behind a small TCP proxy of ours that counts what goes to it: the stage
//! plans and the requests for shuffled rows (workers reach each other through the same
//! addresses). What comes back (rows, metrics) is not counted. The proxy copies every byte
//! once more, a small cost the cluster's times include.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};
use futures::TryStreamExt;
use lakeshore_cluster::ClusterDistribution;
use lakeshore_engine::{Engine, EngineConfig};
use lakeshore_tests::LoopbackCluster;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Workers on loopback, each behind a counting proxy.
pub struct BenchCluster {
    /// Keeps the worker processes alive (killed when dropped).
    _workers: LoopbackCluster,
    proxies: Vec<String>,
    sent: Arc<AtomicU64>,
}

impl BenchCluster {
    pub async fn start(workers: usize) -> Result<Self> {
        let cluster = LoopbackCluster::start(workers).await;
        let sent = Arc::new(AtomicU64::new(0));
        let mut proxies = Vec::new();
        for url in cluster.urls() {
            let worker = url.trim_start_matches("http://").to_string();
            proxies.push(counting_proxy(worker, sent.clone()).await?);
        }
        Ok(Self {
            _workers: cluster,
            proxies,
            sent,
        })
    }

    /// A coordinator of the workers, opened with `config`.
    pub async fn coordinator(&self, mut config: EngineConfig) -> Result<Engine> {
        config.distribution = Some(Arc::new(ClusterDistribution::new(&self.proxies)?));
        Ok(Engine::open(config).await?)
    }

    /// The bytes sent to the workers so far.
    pub fn bytes_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }
}

/// How many tasks the workers run for `sql`: the sum of the `tasks=N` of the stages its
/// `EXPLAIN` shows.
pub async fn task_count(coordinator: &Engine, sql: &str) -> Result<usize> {
    let batches: Vec<_> = coordinator
        .execute(&format!("EXPLAIN {sql}"))
        .await?
        .try_collect()
        .await?;
    let plan = super::answers::Answer::of_batches(&batches)?;
    let tasks = plan
        .rows
        .iter()
        .flat_map(|row| row.iter())
        .flat_map(|text| text.lines())
        .filter(|line| line.contains("Stage"))
        .filter_map(|line| line.split("tasks=").nth(1))
        .filter_map(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .filter_map(|digits| digits.parse::<usize>().ok())
        .sum();
    Ok(tasks)
}

/// Listens on a free loopback port and forwards each connection to `worker`, adding what the
/// client sends to `sent`; returns the proxy's URL.
async fn counting_proxy(worker: String, sent: Arc<AtomicU64>) -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .context("binding a proxy port")?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (worker, sent) = (worker.clone(), sent.clone());
            tokio::spawn(async move {
                let Ok(upstream) = TcpStream::connect(&worker).await else {
                    return;
                };
                let _ = (client.set_nodelay(true), upstream.set_nodelay(true));
                let (mut from_client, mut to_client) = client.into_split();
                let (mut from_worker, mut to_worker) = upstream.into_split();
                let requests = async {
                    let mut buffer = vec![0u8; 64 * 1024];
                    while let Ok(read @ 1..) = from_client.read(&mut buffer).await {
                        sent.fetch_add(read as u64, Ordering::Relaxed);
                        if to_worker.write_all(&buffer[..read]).await.is_err() {
                            break;
                        }
                    }
                    let _ = to_worker.shutdown().await;
                };
                let answers = async {
                    let _ = tokio::io::copy(&mut from_worker, &mut to_client).await;
                    let _ = to_client.shutdown().await;
                };
                tokio::join!(requests, answers);
            });
        }
    });
    Ok(format!("http://{address}"))
}
