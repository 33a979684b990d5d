//! Timing a whole process from spawn to the first row it prints.
//!
//! The process must print CSV: a header line, then rows; the clock for the first row stops when
//! the second line arrives.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// What one run of a process took, and what it printed.
#[derive(Debug)]
pub struct ProcessRun {
    /// From spawn to the end of the first row on standard output.
    pub first_row: Duration,
    /// The first row as printed.
    pub first_row_text: String,
    pub stderr: String,
}

/// Runs `command` to its end, timing its first row; `what` names it in errors.
pub fn time_first_row(command: &mut Command, what: &str) -> Result<ProcessRun> {
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {what} ({command:?})"))?;
    let mut stdout = BufReader::new(child.stdout.take().context("no stdout pipe")?);
    let mut stderr = child.stderr.take().context("no stderr pipe")?;
    // Read standard error on the side: a process blocked on a full stderr pipe never exits.
    let stderr_reader = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).map(|_| text)
    });

    let mut header = String::new();
    stdout.read_line(&mut header)?;
    let mut first_row_text = String::new();
    stdout.read_line(&mut first_row_text)?;
    let first_row = started.elapsed();
    std::io::copy(&mut stdout, &mut std::io::sink())?;
    let status = child.wait()?;

    let stderr = match stderr_reader.join() {
        Ok(text) => text?,
        Err(_) => bail!("the thread reading {what}'s standard error panicked"),
    };
    if !status.success() {
        bail!("{what} failed ({status}): {}", stderr.trim());
    }
    if first_row_text.is_empty() {
        bail!("{what} printed no row (output: {header:?})");
    }
    Ok(ProcessRun {
        first_row,
        first_row_text: first_row_text.trim_end().to_string(),
        stderr,
    })
}
