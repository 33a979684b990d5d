//! `lakeshore-server --cluster URL,...`: the same endpoint and catalog, the work done by
//! workers. Answers equal the embedded engine's, `EXPLAIN` shows the workers' stages, and a
//! cluster whose workers cannot be reached answers UNAVAILABLE, naming them.

use lakeshore_engine::{Engine, EngineConfig};
use lakeshore_tests::{LoopbackCluster, canonical_rows, collect};

use crate::harness::{TestServer, query, test_lake};

#[tokio::test(flavor = "multi_thread")]
async fn a_server_on_a_cluster_answers_as_the_engine_and_explains_its_stages() {
    let lake = test_lake();
    let cluster = LoopbackCluster::start(2).await;
    let workers = cluster.urls().join(",");
    let server = TestServer::start(lake.path(), &["--cluster", &workers]);
    server.wait_for_log(&["running queries on 2 worker(s)"]);
    let engine = Engine::open(EngineConfig::for_lake(lake.path().display().to_string()))
        .await
        .unwrap_or_else(|error| panic!("the lake should open: {error}"));
    let mut client = server.client().await;
    // Tables of several files (a scan is shared out by whole files), each grouped so that the
    // planner sends the scans to the workers (a bare scan runs whole in the server); `GROUP BY
    // ALL` with a count keeps every row and its copies.
    for sql in [
        "SELECT *, count(*) AS copies FROM bronze.raw_orders GROUP BY ALL",
        "SELECT currency, count(*) AS n, sum(total) AS total FROM silver.sales_store_orders GROUP BY currency",
        "SELECT *, count(*) AS copies FROM silver.sales_store_orders GROUP BY ALL",
        "SELECT *, count(*) AS copies FROM golden.decimals GROUP BY ALL",
    ] {
        let explained = query(&mut client, &format!("EXPLAIN {sql}"))
            .await
            .unwrap_or_else(|error| panic!("EXPLAIN {sql} should run: {error}"));
        let plan = canonical_rows(&explained).join("\n");
        assert!(
            plan.contains("DistributedExec"),
            "`{sql}` should run in stages: {plan}"
        );
        let served = query(&mut client, sql)
            .await
            .unwrap_or_else(|error| panic!("`{sql}` should run on the cluster: {error}"));
        let embedded = collect(&engine, sql)
            .await
            .unwrap_or_else(|error| panic!("`{sql}` should run embedded: {error}"));
        assert_eq!(canonical_rows(&served), canonical_rows(&embedded), "{sql}");
    }
    let explained = query(
        &mut client,
        "EXPLAIN SELECT currency, count(*) AS n FROM silver.sales_store_orders GROUP BY currency",
    )
    .await
    .unwrap_or_else(|error| panic!("EXPLAIN should run: {error}"));
    let plan = canonical_rows(&explained).join("\n");
    assert!(plan.contains("PortableDeltaScanExec"), "{plan}");
}

#[tokio::test(flavor = "multi_thread")]
async fn workers_that_cannot_be_reached_make_queries_unavailable_and_are_named() {
    let lake = test_lake();
    // Two ports that were free a moment ago: nothing listens there.
    let gone: Vec<String> = (0..2)
        .map(|_| {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("127.0.0.1:{}", listener.local_addr().unwrap().port())
        })
        .collect();
    let workers = gone
        .iter()
        .map(|address| format!("http://{address}"))
        .collect::<Vec<_>>()
        .join(",");
    let server = TestServer::start(lake.path(), &["--cluster", &workers]);
    let mut client = server.client().await;
    let sql = "SELECT currency, count(*) AS n FROM silver.sales_store_orders GROUP BY currency";
    let status = match query(&mut client, sql).await {
        Ok(batches) => panic!("`{sql}` cannot run without its workers, yet it gave {batches:?}"),
        Err(status) => status,
    };
    assert_eq!(
        status.code(),
        tonic::Code::Unavailable,
        "a client may retry once the workers are back: {status:?}"
    );
    assert!(
        gone.iter()
            .any(|address| status.message().contains(address)),
        "the message should name the worker it could not reach: {}",
        status.message()
    );
    // The server itself goes on: a query that needs no worker still runs.
    query(&mut client, "SELECT 1 AS one")
        .await
        .unwrap_or_else(|error| panic!("the server should keep serving: {error}"));
}
