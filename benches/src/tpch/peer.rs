//! A peer engine (`peers/tpch_peers.py --engine NAME`) kept running, asked one query at a time,
//! so that the engines alternate query by query on a machine in the same state.

use std::io::{BufRead, BufReader, Lines, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

use crate::peers::peer_script;

pub struct Peer {
    pub name: String,
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

/// What a peer made of one query.
pub enum PeerRun {
    Ran {
        time: Duration,
        rows: u64,
    },
    /// The engine refused or failed the query; its first line of error.
    Failed(String),
}

impl Peer {
    pub fn start(python: &Path, engine: &str, lake: &Path, sql_dir: &Path) -> Result<Self> {
        let mut child = Command::new(python)
            .arg(peer_script("tpch_peers.py"))
            .args(["--engine", engine])
            .arg(lake)
            .arg(sql_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start tpch_peers.py with {}", python.display()))?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| anyhow!("the peer's stdin"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("the peer's stdout"))?;
        let mut peer = Self {
            name: engine.to_string(),
            child,
            stdin,
            stdout: BufReader::new(stdout).lines(),
        };
        let ready = peer.next_message()?;
        if ready.get("ready").and_then(Value::as_bool) != Some(true) {
            bail!("{engine} did not get ready: {ready}");
        }
        Ok(peer)
    }

    pub fn run(&mut self, query: u32) -> Result<PeerRun> {
        writeln!(self.stdin, "{query}")
            .and_then(|()| self.stdin.flush())
            .with_context(|| format!("{} stopped", self.name))?;
        let message = self.next_message()?;
        if let Some(error) = message.get("error").and_then(Value::as_str) {
            return Ok(PeerRun::Failed(error.to_string()));
        }
        let ms = message.get("ms").and_then(Value::as_f64);
        let rows = message.get("rows").and_then(Value::as_u64);
        match (ms, rows) {
            (Some(ms), Some(rows)) => Ok(PeerRun::Ran {
                time: Duration::from_secs_f64(ms.max(0.0) / 1000.0),
                rows,
            }),
            _ => bail!("{} answered {message}", self.name),
        }
    }

    fn next_message(&mut self) -> Result<Value> {
        let line = self
            .stdout
            .next()
            .ok_or_else(|| anyhow!("{} stopped (its error output is above)", self.name))?
            .with_context(|| format!("reading from {}", self.name))?;
        serde_json::from_str(&line).with_context(|| format!("{} printed {line:?}", self.name))
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
