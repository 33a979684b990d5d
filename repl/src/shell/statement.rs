//! Running one thing at the prompt so that Ctrl-C stops it: the work is dropped (a query's
//! stream with it, which stops the query and frees its memory) and the prompt comes back.

use std::future::Future;
use std::io::Write;

use anyhow::Result;

use super::progress::{ClearsProgress, ProgressLine, RowCounter};
use crate::backend::Backend;
use crate::print_format::Printer;

/// `work`'s result, or `None` when Ctrl-C came first.
pub async fn until_ctrl_c<T>(work: impl Future<Output = T>) -> Option<T> {
    tokio::select! {
        result = work => Some(result),
        _ = tokio::signal::ctrl_c() => None,
    }
}

/// Runs one statement and prints its result, with the live progress line while it runs.
pub async fn execute_and_print(
    backend: &dyn Backend,
    sql: &str,
    printer: &Printer,
    out: &mut dyn Write,
) -> Result<()> {
    let counter = RowCounter::default();
    let mut progress = ProgressLine::start(counter.clone());
    let stream = counter.count(backend.execute(sql).await?);
    let mut out = ClearsProgress {
        inner: out,
        progress: &mut progress,
    };
    printer.print(stream, &mut out).await?;
    out.flush()?;
    Ok(())
}
