//! Lakeshore's engine: a lake of Delta tables as a SQL catalog, on DataFusion and delta-rs.
//!
//! Open a lake with [`Engine::open`], then run SQL with [`Engine::execute`], which returns a
//! stream of Arrow record batches. The lake root becomes a catalog (`lake` by default), each
//! top-level folder a schema, and each Delta table below it a table; see [`catalog`] for the
//! naming rule.

mod access;
pub mod allocator;
mod analyze;
pub mod catalog;
mod changes;
mod composite_keys;
mod config;
mod decimal_ops;
mod delta;
pub mod distributed;
mod engine;
mod error;
mod functions;
mod group_key_joins;
mod join_mode;
mod location;
mod narrowing_and;
mod negation_estimates;
mod operators;
mod ordered_substrings;
mod plan_rewrites;
mod rerun;
mod scan_names;
mod session;
mod settings;
mod shared_subplans;
mod single_child;
mod sql;
mod store;
pub mod text;
mod timestamps;
mod write;

pub use access::{AccessConfig, Layers, Principal, Role};
pub use config::EngineConfig;
pub use engine::Engine;
pub use error::{EngineError, ErrorKind, Refusal, Result};
pub use location::display_url;
pub use settings::Staleness;
pub use sql::{
    ParsedStatement, Piece as SqlPiece, StatementKind, number_placeholders, pieces as sql_pieces,
    split_statements, statement_kind,
};
pub use store::{
    RedactedStderr, RequestCounts, RequestWatch, StorageOptions, register_store_handlers,
};
pub use write::IngestMode;
