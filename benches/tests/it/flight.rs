//! `lakeshore-bench flight` against a `lakeshore-server` it starts on a TPC-H lake at SF 0.01:
//! every case, the prepared-statement sequence a JDBC driver makes among them, runs with one
//! client and with several at once and gets rows back (the load client checks that each answer
//! has rows). The latencies themselves are not checked.

use crate::{bench, tpch_gen};

#[test]
fn every_flight_case_runs_alone_with_one_and_with_several_clients() {
    let lake = tempfile::tempdir().expect("a temporary folder for the lake");
    tpch_gen(lake.path(), &["--sf", "0.01"]);
    let run = bench()
        .args(["flight", "--clients", "1,3", "--rounds", "2", "--lake"])
        .arg(lake.path())
        .output()
        .expect("run lakeshore-bench flight");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "flight failed: {}\n{stdout}",
        String::from_utf8_lossy(&run.stderr)
    );
    for case in [
        "floor: ListActions",
        "SELECT 1",
        "point lookup",
        "LIMIT 10",
        "small group-by",
        "JDBC sequence",
    ] {
        for clients in [1, 3] {
            let row = stdout
                .lines()
                .find(|line| {
                    line.starts_with(&format!("| {case}"))
                        && line.contains(&format!(" | {clients} | "))
                })
                .unwrap_or_else(|| panic!("no row for {case} with {clients} clients:\n{stdout}"));
            assert!(row.contains(" ms |"), "{case} has no latency: {row}");
        }
    }
}
