//! How a Delta table becomes a scan: the one seam between delta-rs and the rest of the engine.
//!
//! [`TableRefresher`] keeps a table's snapshot and brings it up to date before each query;
//! [`DeltaTableProvider`] is the scan DataFusion plans against; [`DeltaScanFunction`] is
//! `delta_scan('uri')`, which reads a table by path through the same two.

mod diagnosis;
mod provider;
mod references;
mod refresher;
mod scan_function;
mod writer_only_features;

pub(crate) use diagnosis::{describe_delta_error, describe_message};
pub(crate) use provider::{DeltaTableProvider, tables_read_by};
pub(crate) use references::StatementReferences;
pub(crate) use refresher::TableRefresher;
pub(crate) use scan_function::DeltaScanFunction;
