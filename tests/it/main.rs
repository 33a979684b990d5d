//! Lakeshore's integration tests: one binary (each binary links all of DataFusion), one module
//! per concern.

mod broken_log;
mod checkpoints;
mod freshness;
mod golden;
mod lake_catalog;
mod memory;
