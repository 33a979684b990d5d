//! The live line on standard error of a query that runs longer than a second: rows so far and
//! time elapsed. It shows only when standard error is a terminal (in the shell, and for -c and
//! -f runs at a terminal), and is cleared when the query ends or its result starts to print.

use std::io::{IsTerminal, Write};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use anyhow::Result;
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::error::Result as DataFusionResult;
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream};
use futures::Stream;
use tokio::task::JoinHandle;

use crate::backend::Backend;
use crate::print_format::Printer;

/// How long a query runs before its progress shows.
const QUIET_START: Duration = Duration::from_secs(1);
/// How often the line is redrawn.
const REDRAW_EVERY: Duration = Duration::from_millis(200);

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

/// A query's progress line. Dropping it stops and clears the line.
struct ProgressLine {
    state: Arc<Mutex<LineState>>,
    ticker: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct LineState {
    /// Whether the line is on screen (and so must be cleared).
    shown: bool,
    finished: bool,
}

impl ProgressLine {
    /// Starts the line for a query whose rows `counter` counts, when standard error is a
    /// terminal; otherwise nothing shows. Needs a tokio runtime.
    fn start(counter: RowCounter) -> Self {
        let state = Arc::new(Mutex::new(LineState::default()));
        let ticker = std::io::stderr().is_terminal().then(|| {
            let state = state.clone();
            tokio::spawn(async move {
                let started = Instant::now();
                tokio::time::sleep(QUIET_START).await;
                loop {
                    {
                        let Ok(mut state) = state.lock() else { return };
                        if state.finished {
                            return;
                        }
                        let line = format!(
                            "{} rows, {:.1} s (Ctrl-C cancels)",
                            counter.rows(),
                            started.elapsed().as_secs_f64()
                        );
                        let mut stderr = std::io::stderr().lock();
                        let _ = write!(stderr, "\r\x1b[2K{line}");
                        let _ = stderr.flush();
                        state.shown = true;
                    }
                    tokio::time::sleep(REDRAW_EVERY).await;
                }
            })
        });
        Self { state, ticker }
    }

    /// Stops the line and clears it from the screen.
    fn finish(&mut self) {
        if let Some(ticker) = self.ticker.take() {
            ticker.abort();
        }
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        state.finished = true;
        if state.shown {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[2K");
            let _ = stderr.flush();
            state.shown = false;
        }
    }
}

impl Drop for ProgressLine {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Rows a query has produced so far.
#[derive(Clone, Default)]
struct RowCounter(Arc<AtomicU64>);

impl RowCounter {
    fn rows(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// `stream`, counting its rows as they pass.
    fn count(&self, stream: SendableRecordBatchStream) -> SendableRecordBatchStream {
        Box::pin(CountedStream {
            inner: stream,
            counter: self.clone(),
        })
    }
}

struct CountedStream {
    inner: SendableRecordBatchStream,
    counter: RowCounter,
}

impl Stream for CountedStream {
    type Item = DataFusionResult<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let next = self.inner.as_mut().poll_next(cx);
        if let Poll::Ready(Some(Ok(batch))) = &next {
            self.counter
                .0
                .fetch_add(batch.num_rows() as u64, Ordering::Relaxed);
        }
        next
    }
}

impl RecordBatchStream for CountedStream {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }
}

/// A writer that clears the progress line before the result's first byte, so the two never
/// share a line.
struct ClearsProgress<'a, W: Write + ?Sized> {
    inner: &'a mut W,
    progress: &'a mut ProgressLine,
}

impl<W: Write + ?Sized> Write for ClearsProgress<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.progress.finish();
        self.inner.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
