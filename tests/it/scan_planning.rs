//! What the planner learns from a Delta scan: every column's bounds from the log (so joins are
//! sized from them), and filters that run above the reader unless the session asks for row
//! filters inside it, as for a plain Parquet table. Both seen where a user sees them, in
//! `EXPLAIN`, and neither changes an answer.

use lakeshore_engine::Engine;
use lakeshore_tests::write_lake;

use crate::lake_catalog::{open_lake, rows};

/// The physical plan of `sql`, as one text.
async fn physical_plan(engine: &Engine, sql: &str) -> String {
    rows(engine, &format!("EXPLAIN {sql}")).await.join("\n")
}

/// A lake with `gold.numbers`: `n` from 1 to 1000, written by the engine (so the log holds
/// its bounds); the folder lives as long as the first value.
async fn lake_with_numbers() -> (tempfile::TempDir, Engine) {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;
    rows(
        &engine,
        "CREATE TABLE gold.numbers AS SELECT value AS n FROM generate_series(1, 1000)",
    )
    .await;
    (lake, engine)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_logs_column_bounds_reach_the_planner_unless_statistics_are_turned_off() {
    let (_lake, engine) = lake_with_numbers().await;
    rows(&engine, "SET datafusion.explain.show_statistics = true").await;
    // No filter names `n`: the bounds can only come from the log.
    let plan = physical_plan(&engine, "SELECT n FROM gold.numbers").await;
    assert!(
        plan.contains("Min=Inexact(Int64(1)) Max=Inexact(Int64(1000))"),
        "{plan}"
    );
    rows(
        &engine,
        "SET datafusion.execution.collect_statistics = false",
    )
    .await;
    let plan = physical_plan(&engine, "SELECT n FROM gold.numbers").await;
    assert!(!plan.contains("Min="), "{plan}");
    assert_eq!(
        rows(
            &engine,
            "SELECT count(*) AS c, max(n) AS m FROM gold.numbers"
        )
        .await,
        ["c=1000 | m=1000"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_run_above_the_reader_unless_row_filters_are_asked_for() {
    let (_lake, engine) = lake_with_numbers().await;
    let query = "SELECT count(*) AS c FROM gold.numbers WHERE n % 7 = 3";
    let plan = physical_plan(&engine, query).await;
    assert!(plan.contains("FilterExec"), "{plan}");
    assert_eq!(rows(&engine, query).await, ["c=143"]);

    rows(
        &engine,
        "SET datafusion.execution.parquet.pushdown_filters = true",
    )
    .await;
    let plan = physical_plan(&engine, query).await;
    assert!(!plan.contains("FilterExec"), "{plan}");
    assert_eq!(rows(&engine, query).await, ["c=143"]);
}
