//! The benchmarks' integration tests: one binary, one module per benchmark. They check what a
//! benchmark computes (the answers), never how fast: speed is measured, not tested.

mod cluster;
mod flight;
mod tpch;

use std::path::Path;
use std::process::Command;

/// `lakeshore-bench`, as built for these tests.
fn bench() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lakeshore-bench"))
}

/// Writes the TPC-H tables into `out` with `lakeshore-bench tpch-gen` and `options`
/// (`--sf N` and the like).
fn tpch_gen(out: &Path, options: &[&str]) {
    let generated = bench()
        .arg("tpch-gen")
        .args(options)
        .arg("--out")
        .arg(out)
        .output()
        .expect("run lakeshore-bench tpch-gen");
    assert!(
        generated.status.success(),
        "tpch-gen failed: {}",
        String::from_utf8_lossy(&generated.stderr)
    );
}
