//! A cluster on loopback for tests: `lakeshore-worker` processes on free ports, which a test
//! can kill as a machine dies (SIGKILL: no goodbye on any connection), and coordinators
//! (engines) that send them stages.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use lakeshore_cluster::ClusterDistribution;
use lakeshore_engine::{Engine, EngineConfig};

/// How long a worker (a debug build) may take to listen.
const START_LIMIT: Duration = Duration::from_secs(60);

/// Workers serving on 127.0.0.1 until killed or dropped.
pub struct LoopbackCluster {
    urls: Vec<String>,
    workers: Vec<Child>,
}

impl LoopbackCluster {
    /// Starts `count` workers, each on a free port, reaching the stores with default options.
    pub async fn start(count: usize) -> Self {
        Self::start_with(count, &HashMap::new()).await
    }

    /// Starts `count` workers that reach the object stores with `storage_options` (a plan
    /// never carries credentials: workers have their own).
    pub async fn start_with(count: usize, storage_options: &HashMap<String, String>) -> Self {
        let mut urls = Vec::new();
        let mut workers = Vec::new();
        for _ in 0..count {
            let (address, worker) = start_worker(storage_options);
            urls.push(format!("http://{address}"));
            workers.push(worker);
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
        self.coordinator_with(EngineConfig {
            lake,
            ..EngineConfig::default()
        })
        .await
    }

    /// A coordinator of these workers, opened with `config`.
    pub async fn coordinator_with(&self, mut config: EngineConfig) -> Engine {
        config.distribution = Some(self.distribution());
        Engine::open(config)
            .await
            .unwrap_or_else(|error| panic!("a coordinator should open: {error}"))
    }

    /// Kills worker `index` with SIGKILL, as a machine that dies mid-way: its connections
    /// end without a word.
    pub fn kill(&mut self, index: usize) {
        if let Some(worker) = self.workers.get_mut(index) {
            let _ = worker.kill();
            let _ = worker.wait();
        }
    }
}

impl Drop for LoopbackCluster {
    fn drop(&mut self) {
        for index in 0..self.workers.len() {
            self.kill(index);
        }
    }
}

/// The `lakeshore-worker` binary of the same build: beside this program (a benchmark in
/// `target/PROFILE/`), or one folder up from it (a test binary in `target/PROFILE/deps/`).
/// `cargo test --workspace` builds it.
fn worker_binary() -> PathBuf {
    let program = std::env::current_exe().expect("this program's path");
    let name = format!("lakeshore-worker{}", std::env::consts::EXE_SUFFIX);
    let folders = program.ancestors().skip(1).take(2);
    let found = folders
        .map(|folder| folder.join(&name))
        .find(|path| path.exists());
    found.unwrap_or_else(|| {
        panic!(
            "no {name} beside {}: build it with `cargo build --workspace` (`cargo test \
             --workspace` does)",
            program.display()
        )
    })
}

/// Starts one worker on a free port and waits until it listens; its address and process.
fn start_worker(storage_options: &HashMap<String, String>) -> (String, Child) {
    let mut command = Command::new(worker_binary());
    command.args(["--listen", "127.0.0.1:0"]);
    for (key, value) in storage_options {
        command
            .arg("--storage-option")
            .arg(format!("{key}={value}"));
    }
    let mut child = command
        .env("LAKESHORE_LOG", "warn,lakeshore_worker=info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {command:?}: {error}"));
    let stderr = child.stderr.take().expect("the worker's stderr is piped");
    let (listening, address) = mpsc::channel();
    std::thread::spawn(move || {
        // Reads the log to its end, so that the worker never blocks on a full pipe; what it
        // says after it listens goes to the test's own stderr, shown when a test fails.
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            match line.split("listening on ").nth(1) {
                Some(address) => {
                    let _ = listening.send(address.trim().to_string());
                }
                None => eprintln!("worker: {line}"),
            }
        }
    });
    match address.recv_timeout(START_LIMIT) {
        Ok(address) => (address, child),
        Err(_) => {
            let _ = child.kill();
            panic!("the worker did not listen within {START_LIMIT:?}")
        }
    }
}
