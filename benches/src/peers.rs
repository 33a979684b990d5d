//! The peer engines, run as Python scripts in `benches/peers/`, and the repository's Delta
//! writer (`tests/fixtures/delta_writer.py`) that lands commits from outside the engine.
//!
//! A peer script prints one JSON object per line: `{"peer", "case", "samples_ms", ...}`. The
//! raw samples are summarised here with the same code as Lakeshore's, so both sides' medians
//! mean the same thing.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::stats::Summary;

/// The repository this binary was built from: the peer scripts and the Delta writer live there.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The Python that has `duckdb`, its extension wheels and `deltalake`: the repository's venv.
pub fn default_python() -> PathBuf {
    repo_root().join(".venv/bin/python")
}

/// A script in `benches/peers/`.
pub fn peer_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("peers")
        .join(name)
}

/// Runs `command` to its end; a failure carries the command's standard error.
pub fn run_to_end(command: &mut Command, what: &str) -> Result<Output> {
    let output = command
        .output()
        .with_context(|| format!("cannot start {what} ({command:?})"))?;
    if !output.status.success() {
        bail!(
            "{what} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(output)
}

/// Appends one row to the Delta table at `table` as its own commit, with the `deltalake`
/// Python package: a writer independent of the engine under test.
pub fn append_one_row(python: &Path, table: &Path) -> Result<()> {
    let writer = repo_root().join("tests/fixtures/delta_writer.py");
    run_to_end(
        Command::new(python)
            .arg(&writer)
            .arg("append")
            .arg(table)
            .arg("1"),
        "the Delta writer",
    )?;
    Ok(())
}

/// One case a peer measured.
#[derive(Debug)]
pub struct PeerCase {
    pub peer: String,
    pub case: String,
    pub summary: Summary,
}

/// Runs a peer script with `args` and reads the cases it printed.
pub fn run_peer_script(python: &Path, script: &str, args: &[&str]) -> Result<Vec<PeerCase>> {
    let path = peer_script(script);
    let output = run_to_end(Command::new(python).arg(&path).args(args), script)?;
    let stdout = String::from_utf8(output.stdout).context("a peer printed non-UTF-8 output")?;
    stdout
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| parse_case(line).with_context(|| format!("{script} printed {line:?}")))
        .collect()
}

/// Runs a peer script in its `--step` mode, where it stops after each case it measures: it
/// prints the case's line, then waits for a line on its standard input. `after_each` runs in
/// that pause, so what a case cost outside the peer (an emulator's access log) is read before
/// the next case begins. `envs` reach the script only, not the command line `ps` shows.
pub fn run_peer_script_stepwise(
    python: &Path,
    script: &str,
    args: &[&str],
    envs: &[(&str, &str)],
    mut after_each: impl FnMut(&PeerCase) -> Result<()>,
) -> Result<Vec<PeerCase>> {
    let path = peer_script(script);
    let mut child = Command::new(python)
        .arg(&path)
        .args(args)
        .arg("--step")
        .envs(envs.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {script} with {}", python.display()))?;
    let (Some(mut stdin), Some(stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        bail!("{script} was started without its pipes");
    };
    // Drained on its own thread: a peer that writes much there must not block on a full pipe.
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut cases = Vec::new();
    let conversation = || -> Result<()> {
        for line in BufReader::new(stdout).lines() {
            let line = line.with_context(|| format!("cannot read what {script} printed"))?;
            if line.trim().is_empty() {
                continue;
            }
            let case = parse_case(&line).with_context(|| format!("{script} printed {line:?}"))?;
            after_each(&case)?;
            writeln!(stdin)
                .and_then(|()| stdin.flush())
                .with_context(|| format!("{script} stopped listening"))?;
            cases.push(case);
        }
        Ok(())
    };
    let outcome = conversation();
    // Closing its standard input ends a script still waiting for the next go.
    drop(stdin);
    let status = child
        .wait()
        .with_context(|| format!("cannot wait for {script}"))?;
    let stderr = stderr.join().unwrap_or_default();
    // Our own failure first: the script then fails only because we stopped answering it.
    outcome?;
    if !status.success() {
        bail!("{script} failed ({status}): {}", stderr.trim());
    }
    Ok(cases)
}

fn parse_case(line: &str) -> Result<PeerCase> {
    let value: Value = serde_json::from_str(line)?;
    let text = |key: &str| {
        value[key]
            .as_str()
            .map(str::to_string)
            .with_context(|| format!("no text field {key:?}"))
    };
    let samples_ms: Vec<f64> = value["samples_ms"]
        .as_array()
        .context("no list field \"samples_ms\"")?
        .iter()
        .map(|sample| sample.as_f64().context("a sample that is not a number"))
        .collect::<Result<_>>()?;
    Ok(PeerCase {
        peer: text("peer")?,
        case: text("case")?,
        summary: Summary::of_millis(&samples_ms).context("no samples")?,
    })
}
