//! What one statement read before it was planned, and how fresh its tables must be.
//!
//! DataFusion plans synchronously, but reading an old version, a history, a detail, a change
//! feed or a table by path is I/O. So a statement reads these first (see
//! [`super::DeltaReads`]) and planning then takes what was read. That belongs to the statement
//! alone: it lives in a scope opened around the statement's preparation and planning (a task
//! local, as planning runs in the statement's task) and is dropped with it, so concurrent
//! sessions never see each other's reads and nothing is evicted while it is needed. The views
//! a statement reads are planned inside the same scope and add to the same reads.
//!
//! Each read is keyed by the table as resolved (`lake.silver.orders`, or a location's URL),
//! never by the name as written: `orders` in a view of `bronze` and `orders` in a statement
//! whose default schema is `silver` are two tables.
//!
//! The scope also holds the statement's freshness bound: by default every statement sees each
//! table as of a look at its log taken after the statement began; with
//! `lakeshore.max_staleness` a dashboard may accept a look taken up to that long before, which
//! costs no request at all.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::catalog::TableProvider;
use datafusion::common::config::CatalogOptions;
use datafusion::error::{DataFusionError, Result};
use parking_lot::Mutex;

use super::changes::ChangesCall;
use super::detail::DetailCall;
use super::history::HistoryCall;
use super::target::TableTarget;
use super::time_travel::TimeTravel;

/// One thing a statement read, with its table resolved.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Read {
    /// The latest version of a table read by path (`delta_scan('...')`), by URL.
    Latest(String),
    Version(TimeTravel),
    History(HistoryCall),
    Detail(DetailCall),
    Changes(ChangesCall),
}

/// The reads of the running statement.
#[derive(Debug)]
struct StatementReads {
    /// The oldest look at a table's log the statement accepts.
    accepted_since: Instant,
    read: Mutex<HashMap<Read, Arc<dyn TableProvider>>>,
}

tokio::task_local! {
    static STATEMENT: Arc<StatementReads>;
}

/// Runs `work` (one statement's preparation and planning) with reads of its own, accepting
/// looks at the log taken less than `max_staleness` before now.
pub(crate) async fn within_statement<F: Future>(max_staleness: Duration, work: F) -> F::Output {
    let now = Instant::now();
    let reads = StatementReads {
        accepted_since: now.checked_sub(max_staleness).unwrap_or(now),
        read: Mutex::new(HashMap::new()),
    };
    STATEMENT.scope(Arc::new(reads), work).await
}

/// Runs `work` (a view's preparation and planning) with the running statement's reads, or with
/// reads of its own outside any statement: `information_schema` plans the views it lists while
/// its rows are produced, after the statement that asked for them was planned.
pub(crate) async fn within_a_statement<F: Future>(work: F) -> F::Output {
    match in_a_statement() {
        true => work.await,
        false => within_statement(Duration::ZERO, work).await,
    }
}

/// Whether a statement is being planned on this task.
pub(crate) fn in_a_statement() -> bool {
    STATEMENT.try_with(|_| ()).is_ok()
}

/// The oldest look at a table's log the running statement accepts: now, outside a statement.
pub(crate) fn accepted_since() -> Instant {
    STATEMENT
        .try_with(|reads| reads.accepted_since)
        .unwrap_or_else(|_| Instant::now())
}

/// Keeps what the running statement read, for its planning. Outside a statement there is
/// nothing to plan, so nothing is kept.
pub(crate) fn keep(read: Read, provider: Arc<dyn TableProvider>) {
    let _ = STATEMENT.try_with(|reads| reads.read.lock().insert(read, provider));
}

/// What the running statement read for `read`; `what` names it in the error when it read
/// nothing for it (planning outside [`within_statement`], or a read its preparation missed).
pub(crate) fn taken(read: &Read, what: impl FnOnce() -> String) -> Result<Arc<dyn TableProvider>> {
    STATEMENT
        .try_with(|reads| reads.read.lock().get(read).cloned())
        .ok()
        .flatten()
        .ok_or_else(|| {
            DataFusionError::Plan(format!(
                "{} was not read before the statement was planned (a Lakeshore bug: please \
                 report the statement)",
                what()
            ))
        })
}

/// `target` as the running statement's names resolve: a name in full (`lake.silver.orders`)
/// under `names`' default catalog and schema, a location as its folder's URL.
pub(crate) fn resolved(target: &TableTarget, names: &CatalogOptions) -> Result<TableTarget> {
    Ok(match target {
        TableTarget::Name(name) => {
            let full = name
                .clone()
                .resolve(&names.default_catalog, &names.default_schema);
            TableTarget::Name(datafusion::common::TableReference::full(
                full.catalog,
                full.schema,
                full.table,
            ))
        }
        TableTarget::Location(location) => TableTarget::Location(
            crate::location::folder_url(location)
                .map_err(|error| DataFusionError::Plan(error.to_string()))?
                .to_string(),
        ),
    })
}
