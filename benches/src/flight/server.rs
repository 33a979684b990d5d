//! A `lakeshore-server` started for the benchmark on a free loopback port, killed when dropped.
//! (std's process and a thread rather than tokio's: the workspace's tokio has no `process`
//! feature, and turning it on would rebuild everything that uses tokio.)

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};

/// How long a server may take to open the lake and log its address.
const START_LIMIT: Duration = Duration::from_secs(60);

pub struct SpawnedServer {
    child: Child,
    address: String,
}

impl SpawnedServer {
    pub fn start(binary: Option<&Path>, lake: &Path) -> Result<Self> {
        let binary = match binary {
            Some(path) => path.to_path_buf(),
            None => beside_this_binary("lakeshore-server")?,
        };
        let mut child = Command::new(&binary)
            .arg("--lake")
            .arg(lake)
            .args(["--listen", "127.0.0.1:0"])
            // Only the line that gives the address: request logging would be timed too.
            .env("LAKESHORE_LOG", "warn,lakeshore_flight::server=info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let stderr = child
            .stderr
            .take()
            .ok_or_else(|| anyhow!("the server's standard error"))?;
        let (lines_tx, lines_rx) = mpsc::channel();
        // Reads to the end, so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = lines_tx.send(line);
            }
        });
        let mut server = Self {
            child,
            address: String::new(),
        };
        let mut seen = Vec::new();
        loop {
            match lines_rx.recv_timeout(START_LIMIT) {
                Ok(line) => match line.split_once("listening on ") {
                    Some((_, address)) => {
                        server.address = address.trim().to_string();
                        return Ok(server);
                    }
                    None => seen.push(line),
                },
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    bail!("lakeshore-server did not log its address within {START_LIMIT:?}")
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    bail!("lakeshore-server stopped:\n{}", seen.join("\n"))
                }
            }
        }
    }

    pub fn url(&self) -> String {
        format!("grpc://{}", self.address)
    }

    /// The CPU time the server has used so far, all threads, user and system (Linux only):
    /// on a machine with few cores, what each call costs it decides how many clients it serves.
    pub fn cpu_time(&self) -> Option<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).ok()?;
        // After the command name in parentheses: state, then utime and stime as fields 12 and 13.
        let (_, fields) = stat.rsplit_once(')')?;
        let mut fields = fields.split_whitespace().skip(11);
        let user: u64 = fields.next()?.parse().ok()?;
        let system: u64 = fields.next()?.parse().ok()?;
        // /proc counts in USER_HZ, 100 per second on Linux.
        Some(Duration::from_millis((user + system) * 10))
    }
}

impl Drop for SpawnedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A binary of the same build as this one (`target/release/NAME` beside `lakeshore-bench`).
fn beside_this_binary(name: &str) -> Result<PathBuf> {
    let this = std::env::current_exe().context("the path of lakeshore-bench")?;
    let path = this.with_file_name(name);
    if !path.exists() {
        bail!(
            "{} not found; build it (cargo build -p lakeshore-flight) or give \
             --lakeshore-server PATH",
            path.display()
        );
    }
    Ok(path)
}
