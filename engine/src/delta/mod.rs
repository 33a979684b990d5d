//! How a Delta table becomes a scan: the one seam between delta-rs and the rest of the engine.
//!
//! [`TableRefresher`] keeps a table's snapshot and brings it up to date before each query;
//! [`DeltaTableProvider`] is the scan DataFusion plans against; [`DeltaScanFunction`] is
//! `delta_scan('uri')`, which reads a table by path through the same two. [`DeltaReads`] serves
//! what goes beyond the latest rows: time travel, history, detail and the change feed, whose
//! syntax [`crate::sql`] reads.

mod changes;
mod columns;
mod commit_log;
mod detail;
mod diagnosis;
mod dynamic_filters;
mod enough_files;
mod history;
mod limit_guard;
mod log_cache;
mod log_statistics;
mod lookup_row_filters;
mod page_index;
mod parquet_scan;
mod pinned_snapshots;
mod portable_scan;
mod preloaded;
mod provider;
mod range_cache;
mod readable_features;
mod reads;
mod references;
mod refresher;
mod scan_codec;
mod scan_function;
mod statement_reads;
mod target;
mod time_travel;
mod variant;

pub(crate) use diagnosis::{describe_delta_error, describe_message, table_error};
pub(crate) use dynamic_filters::{ApplyDynamicFilters, TransitiveDynamicFilters};
pub(crate) use enough_files::ReadEnoughFiles;
pub(crate) use lookup_row_filters::LookupRowFilters;
pub(crate) use pinned_snapshots::PinnedSnapshots;
pub(crate) use portable_scan::PortableDeltaScanExec;
pub(crate) use provider::{DeltaTableProvider, PortableScans, tables_read_by};
pub(crate) use range_cache::{CacheYieldingPool, QueryMemory, RangeCache};
pub(crate) use reads::{DeltaReads, TableLookup};
pub(crate) use references::StatementReferences;
pub(crate) use refresher::TableRefresher;
pub use scan_codec::DeltaScanCodec;
pub(crate) use scan_function::DeltaScanFunction;
pub(crate) use statement_reads::{
    accepted_since, in_a_statement, within_a_statement, within_statement,
};
pub(crate) use target::TableTarget;
