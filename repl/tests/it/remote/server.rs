//! A real `lakeshore-server` for the remote tests, and its log.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use crate::support::Lake;

/// How long a test waits for the server to start or to log something.
const PATIENCE: Duration = Duration::from_secs(60);

/// A `lakeshore-server` on a free local port, stopped when dropped.
pub struct Server {
    child: Child,
    /// `HOST:PORT` it listens on.
    pub address: String,
    /// `grpc://HOST:PORT`.
    pub url: String,
    /// The lines it has logged so far.
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub fn start(lake: &Lake, extra: &[&str]) -> Server {
        let mut child = Command::new(server_binary())
            .args(["--lake", lake.root(), "--listen", "127.0.0.1:0"])
            .args(extra)
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start lakeshore-server");
        let stderr = child.stderr.take().expect("stderr is piped");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (address_tx, address_rx) = mpsc::channel();
        let lines = log.clone();
        std::thread::spawn(move || {
            // Reads the log to its end, so the server never blocks on a full pipe.
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some((_, address)) = line.split_once("listening on ") {
                    let _ = address_tx.send(address.trim().to_string());
                }
                lines.lock().expect("the log is readable").push(line);
            }
        });
        let address = address_rx
            .recv_timeout(PATIENCE)
            .expect("lakeshore-server logs `listening on HOST:PORT`");
        Server {
            child,
            url: format!("grpc://{address}"),
            address,
            log,
        }
    }

    /// Waits until the server has logged a line that satisfies `wanted`, and returns it.
    #[track_caller]
    pub fn wait_for_log(&self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let log = self.log.lock().expect("the log is readable").clone();
            if let Some(line) = log.iter().find(|line| wanted(line)) {
                return line.clone();
            }
            assert!(
                Instant::now() < deadline,
                "the server never logged {what}; its log:\n{}",
                log.join("\n")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `lakeshore-server`, built beside `lakeshore` by `cargo test --workspace`.
pub fn server_binary() -> PathBuf {
    let path = Path::new(env!("CARGO_BIN_EXE_lakeshore")).with_file_name("lakeshore-server");
    assert!(
        path.exists(),
        "{} is missing: build the workspace (cargo build --workspace)",
        path.display()
    );
    path
}
