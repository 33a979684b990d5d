//! Lakeshore's integration tests: one binary (each binary links all of DataFusion), one module
//! per concern.

mod access;
mod broken_log;
mod changes;
mod checkpoints;
mod cluster;
mod conjunctions;
mod decimal_arithmetic;
mod delta_log;
mod demo;
mod filters_across_keys;
mod freshness;
mod fuzz;
mod golden;
mod group_key_joins;
mod history;
mod join_modes;
mod key_bitmaps;
mod lake_catalog;
mod like_patterns;
mod memory;
mod object_stores;
mod read_only;
mod requests;
mod scan_codec;
mod scan_names;
mod scan_planning;
mod select_lists;
mod shared_subplans;
mod statement_context;
mod time_travel;
mod timestamps;
mod type_widening;
mod variant;
mod views;
mod writes;
