//! How fresh a statement's tables must be. By default every statement sees each table as of a
//! look at its log taken after the statement began; with `lakeshore.max_staleness` a dashboard
//! may accept a look taken up to that long before, which costs no request at all.
//!
//! The bound lives as long as the statement: it is set around the statement's preparation and
//! planning (where tables are refreshed), and read there by every table the statement reads,
//! views included.

use std::future::Future;
use std::time::{Duration, Instant};

tokio::task_local! {
    static ACCEPTED_SINCE: Instant;
}

/// Runs `work` (one statement's preparation and planning) accepting looks at the log taken
/// less than `max_staleness` before now.
pub(crate) async fn within_statement<F: Future>(max_staleness: Duration, work: F) -> F::Output {
    let now = Instant::now();
    let since = now.checked_sub(max_staleness).unwrap_or(now);
    ACCEPTED_SINCE.scope(since, work).await
}

/// The oldest look at a table's log the running statement accepts: now, outside a statement.
pub(crate) fn accepted_since() -> Instant {
    ACCEPTED_SINCE
        .try_with(|since| *since)
        .unwrap_or_else(|_| Instant::now())
}
