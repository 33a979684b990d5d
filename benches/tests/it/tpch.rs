//! TPC-H at scale factor 0.01: `tpch-gen` writes the tables, `tpch` runs all 22 queries through
//! the benchmark's own path and checks each answer against the reference kept in the repository.

use crate::{bench, tpch_gen};

#[test]
fn all_22_queries_answer_as_the_reference_at_sf_0_01() {
    let lake = tempfile::tempdir().expect("a temporary folder for the lake");
    tpch_gen(lake.path(), &["--sf", "0.01"]);
    for table in [
        "nation", "region", "part", "supplier", "partsupp", "customer", "orders", "lineitem",
    ] {
        assert!(
            lake.path()
                .join("tpch")
                .join(table)
                .join("_delta_log")
                .is_dir(),
            "tpch-gen wrote no Delta table {table}"
        );
    }
    let run = bench()
        .args(["tpch", "--iterations", "1", "--peers", "none", "--data"])
        .arg(lake.path())
        .output()
        .expect("run lakeshore-bench tpch");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "tpch failed: {}\n{stdout}",
        String::from_utf8_lossy(&run.stderr)
    );
    for query in 1..=22 {
        let row = stdout
            .lines()
            .find(|line| line.starts_with(&format!("| q{query:02} |")))
            .unwrap_or_else(|| panic!("no row for q{query:02} in:\n{stdout}"));
        assert!(
            row.ends_with("| ok |"),
            "q{query:02} was not checked ok: {row}"
        );
    }
}
