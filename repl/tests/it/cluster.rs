//! `lakeshore --cluster URL,...`: the shell plans, two workers on loopback run the stages, and
//! the answers are the shell's own.

use lakeshore_tests::LoopbackCluster;

use crate::support::{Lake, lakeshore, run};

/// A grouping, which the planner shares out between the workers (a query without one may run
/// whole in the shell).
const SUMMARY: &str = "SELECT str, count(*) AS n, sum(id) AS ids FROM silver.updates \
                       GROUP BY str ORDER BY str";

#[test]
fn queries_on_a_cluster_answer_as_in_the_shell_and_explain_their_stages() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime for the workers");
    let cluster = runtime.block_on(LoopbackCluster::start(2));
    let workers = cluster.urls().join(",");
    let lake = Lake::silver();
    let in_the_shell = run(&mut lakeshore(&[
        "--lake",
        lake.root(),
        "--format",
        "csv",
        "-c",
        SUMMARY,
    ]))
    .ok();
    let on_the_cluster = run(&mut lakeshore(&[
        "--lake",
        lake.root(),
        "--cluster",
        &workers,
        "--format",
        "csv",
        "-c",
        SUMMARY,
    ]))
    .ok();
    assert_eq!(on_the_cluster, in_the_shell);

    let plan = run(&mut lakeshore(&[
        "--lake",
        lake.root(),
        "--cluster",
        &workers,
        "-c",
        &format!("EXPLAIN {SUMMARY}"),
    ]))
    .ok();
    assert!(plan.contains("DistributedExec"), "{plan}");
    assert!(plan.contains("PortableDeltaScanExec"), "{plan}");
}

#[test]
fn a_worker_url_that_is_not_one_is_refused_by_name() {
    let lake = Lake::silver();
    let run = run(&mut lakeshore(&[
        "--lake",
        lake.root(),
        "--cluster",
        "ftp://127.0.0.1:1",
        "-c",
        "SELECT 1",
    ]))
    .failed();
    assert!(
        run.stderr.contains("ftp://127.0.0.1:1"),
        "the error should name the URL: {}",
        run.stderr
    );
}
