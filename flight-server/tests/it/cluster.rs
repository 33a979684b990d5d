//! `lakeshore-server --cluster URL,...`: the same endpoint and catalog, the work done by
//! workers. Answers equal the embedded engine's, and `EXPLAIN` shows the workers' stages.

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
    for sql in [
        "SELECT * FROM silver.customers",
        "SELECT currency, count(*) AS n, sum(total) AS total FROM silver.sales_store_orders GROUP BY currency",
        "SELECT * FROM golden.primitives",
        "SELECT * FROM golden.decimals",
    ] {
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
