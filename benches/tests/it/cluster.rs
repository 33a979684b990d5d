//! TPC-H at scale factor 0.1 on a cluster of two workers on loopback: every one of the 22
//! answers equals the embedded engine's over the same lake. Each table is written in two
//! commits (`tpch-gen --parts 2`: two data files), so that every scan is shared between the
//! workers.

use std::path::Path;

use futures::TryStreamExt;
use lakeshore_engine::{Engine, EngineConfig};
use lakeshore_tests::{LoopbackCluster, canonical_rows};

use crate::tpch_gen;

async fn rows(engine: &Engine, sql: &str) -> Vec<String> {
    let batches: Vec<_> = engine
        .execute(sql)
        .await
        .unwrap_or_else(|error| panic!("`{sql}` should run: {error}"))
        .try_collect()
        .await
        .unwrap_or_else(|error| panic!("`{sql}` should finish: {error}"));
    canonical_rows(&batches)
}

fn query(number: u32) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sql/tpch")
        .join(format!("q{number:02}.sql"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
        .trim()
        .trim_end_matches(';')
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn all_22_queries_answer_on_a_cluster_as_embedded_at_sf_0_1() {
    let generated = tempfile::tempdir().expect("a temporary folder");
    let out = generated.path().to_path_buf();
    tokio::task::spawn_blocking(move || tpch_gen(&out, &["--sf", "0.1", "--parts", "2"]))
        .await
        .expect("tpch-gen ran");
    let lake_uri = generated.path().display().to_string();
    let embedded = Engine::open(EngineConfig::for_lake(lake_uri.clone()))
        .await
        .unwrap_or_else(|error| panic!("the lake should open: {error}"))
        .with_default_schema("lake", "tpch");
    let cluster = LoopbackCluster::start(2).await;
    let coordinator = cluster
        .coordinator(Some(lake_uri))
        .await
        .with_default_schema("lake", "tpch");

    for number in 1..=22 {
        let sql = query(number);
        let plan = rows(&coordinator, &format!("EXPLAIN {sql}"))
            .await
            .join("\n");
        assert!(
            plan.contains("DistributedExec") && plan.contains("PortableDeltaScanExec"),
            "Q{number:02} should run in stages on the workers:\n{plan}"
        );
        assert_eq!(
            rows(&coordinator, &sql).await,
            rows(&embedded, &sql).await,
            "Q{number:02} on the cluster"
        );
    }
}
