//! The benchmarks' integration tests: one binary, one module per benchmark. They check what a
//! benchmark computes (the answers), never how fast: speed is measured, not tested.

mod cluster;
mod flight;
mod tpch;
