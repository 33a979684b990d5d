//! How a Delta table becomes a scan: the one seam between delta-rs and the rest of the engine.
//!
//! [`TableRefresher`] keeps a table's snapshot and brings it up to date before each query;
//! [`DeltaTableProvider`] is the scan DataFusion plans against; [`DeltaScanFunction`] is
//! `delta_scan('uri')`, which reads a table by path through the same two.

mod provider;
mod references;
mod refresher;
mod scan_function;

pub(crate) use provider::DeltaTableProvider;
pub(crate) use references::StatementReferences;
pub use refresher::TableRefresher;
pub(crate) use scan_function::DeltaScanFunction;

use deltalake::DeltaTableError;

/// The cause of a Delta failure, in words a user can act on. delta-rs' messages are kept, with
/// the common cases said plainly.
pub(crate) fn describe_delta_error(error: &DeltaTableError) -> String {
    match error {
        DeltaTableError::NotATable(_) => {
            "not a Delta table: the folder has no readable _delta_log".to_string()
        }
        DeltaTableError::InvalidJsonLog { .. } => format!("the transaction log is damaged: {error}"),
        other => other.to_string(),
    }
}
