//! Lakeshore on a cluster: a coordinator and two workers on loopback. Tables with deletion
//! vectors, column mapping and partitions read exactly as the embedded engine reads them, the
//! plan shows its distributed stages, and a query sent to a worker that is gone ends with an
//! error that names it, never a wrong answer.

use lakeshore_engine::Engine;
use lakeshore_tests::{
    LoopbackCluster, canonical_rows, collect, delta_scan_sql, engine_without_lake, golden_table,
};

async fn rows(engine: &Engine, sql: &str) -> Vec<String> {
    let batches = collect(engine, sql)
        .await
        .unwrap_or_else(|error| panic!("`{sql}` should run: {error}"));
    canonical_rows(&batches)
}

/// Golden tables with many files, so that their scans are shared between the workers.
const TABLES: &[&str] = &[
    "dv-partitioned-with-checkpoint",
    "table-with-columnmapping-mode-name",
    "data-reader-partition-values",
    "data-skipping-partition-and-data-column",
    "basic-with-inserts-deletes-checkpoint",
];

#[tokio::test(flavor = "multi_thread")]
async fn golden_tables_read_on_the_cluster_as_embedded() {
    let cluster = LoopbackCluster::start(2).await;
    let coordinator = cluster.coordinator(None).await;
    let embedded = engine_without_lake().await;
    for table in TABLES {
        let scan = delta_scan_sql(&golden_table(table));
        let counted = format!("SELECT count(*) AS n FROM ({scan})");
        for sql in [scan.as_str(), counted.as_str()] {
            assert_eq!(
                rows(&coordinator, sql).await,
                rows(&embedded, sql).await,
                "{table}: `{sql}` on the cluster"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn explain_shows_the_stages_the_workers_run() {
    let cluster = LoopbackCluster::start(2).await;
    let coordinator = cluster.coordinator(None).await;
    let path = golden_table("dv-partitioned-with-checkpoint");
    let path = path.display();
    let sql = format!("EXPLAIN SELECT part, count(*) AS n FROM delta_scan('{path}') GROUP BY part");
    let plan = rows(&coordinator, &sql).await.join("\n");
    assert!(plan.contains("DistributedExec"), "{plan}");
    assert!(plan.contains("Stage"), "{plan}");
    assert!(plan.contains("PortableDeltaScanExec"), "{plan}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_query_on_a_lost_worker_fails_with_an_error_naming_it() {
    let cluster = LoopbackCluster::start(2).await;
    let coordinator = cluster.coordinator(None).await;
    let scan = delta_scan_sql(&golden_table("dv-partitioned-with-checkpoint"));
    let sql = format!("SELECT part, count(*) AS n FROM ({scan}) GROUP BY part");
    let expected = rows(&engine_without_lake().await, &sql).await;
    assert_eq!(rows(&coordinator, &sql).await, expected);
    cluster.kill(1);
    let lost = cluster.urls()[1].trim_start_matches("http://").to_string();
    // datafusion-distributed does not retry a task elsewhere: the query must fail, and say
    // which worker it could not reach, rather than answer with part of the rows.
    match collect(&coordinator, &sql).await {
        Ok(batches) => assert_eq!(canonical_rows(&batches), expected),
        Err(error) => {
            let message = error.to_string();
            assert!(
                message.contains(&lost),
                "the error should name {lost}: {message}"
            );
            assert!(!message.contains("panicked"), "not a panic: {message}");
        }
    }
}
