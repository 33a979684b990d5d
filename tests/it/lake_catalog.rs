//! The lake as a catalog: layers are schemas, Delta tables are tables, named by the rule of docs/sql.md.

use std::path::Path;

use lakeshore_engine::{Engine, EngineConfig};
use lakeshore_tests::{
    assert_same_rows, canonical_rows, collect, delta_writer, query_error, read_as_written,
    write_lake,
};

pub(crate) async fn open_lake(dir: &Path) -> Engine {
    Engine::open(EngineConfig::for_lake(dir.display().to_string()))
        .await
        .unwrap_or_else(|error| panic!("the lake at {} should open: {error}", dir.display()))
}

/// An engine on the lake at `dir` that keeps no data files' bytes in memory: for the tests of
/// what a query reads from the store, since a repeated query with the cache reads no data.
pub(crate) async fn open_lake_without_data_cache(dir: &Path) -> Engine {
    Engine::open(EngineConfig {
        data_cache_bytes: 0,
        ..EngineConfig::for_lake(dir.display().to_string())
    })
    .await
    .unwrap_or_else(|error| panic!("the lake at {} should open: {error}", dir.display()))
}

pub(crate) async fn rows(engine: &Engine, sql: &str) -> Vec<String> {
    let batches = collect(engine, sql)
        .await
        .unwrap_or_else(|error| panic!("`{sql}` failed: {error}"));
    canonical_rows(&batches)
}

fn sorted(rows: &[&str]) -> Vec<String> {
    let mut rows: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
    rows.sort();
    rows
}

#[tokio::test(flavor = "multi_thread")]
async fn layers_are_schemas_and_nested_folders_join_with_underscores() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;

    let tables = rows(
        &engine,
        "SELECT table_schema, table_name FROM information_schema.tables \
         WHERE table_catalog = 'lake' AND table_schema <> 'information_schema'",
    )
    .await;
    // Hidden (`.hidden`) and tooling (`_lakeshore_scratch`) folders, and a folder of plain
    // files, are not tables.
    assert_eq!(
        tables,
        sorted(&[
            "table_name=raw_orders | table_schema=bronze",
            "table_name=customers | table_schema=silver",
            "table_name=sales_store_orders | table_schema=silver",
            "table_name=summary | table_schema=gold",
            "table_name=rootcount | table_schema=default",
        ])
    );
    let shown = rows(&engine, "SHOW TABLES").await;
    assert!(
        shown
            .iter()
            .any(|r| r.contains("table_name=sales_store_orders")),
        "{shown:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn lake_tables_hold_the_rows_the_writer_wrote() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;

    for (sql, folder) in [
        (
            "SELECT * FROM silver.sales_store_orders",
            "silver/sales/store_orders",
        ),
        ("SELECT * FROM lake.bronze.raw_orders", "bronze/raw_orders"),
        ("SELECT * FROM silver.customers", "silver/customers"),
        ("SELECT * FROM gold.summary", "gold/summary"),
    ] {
        let ours = collect(&engine, sql)
            .await
            .unwrap_or_else(|error| panic!("`{sql}` failed: {error}"));
        let (their_schema, theirs) = read_as_written(&lake.path().join(folder)).await;
        assert_same_rows(sql, (&ours[0].schema(), &ours), (&their_schema, &theirs));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn root_tables_are_in_the_default_schema_and_need_no_qualifier() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;
    assert_eq!(rows(&engine, "SELECT n FROM rootcount").await, vec!["n=42"]);
    assert_eq!(
        rows(&engine, "SELECT n FROM lake.default.rootcount").await,
        vec!["n=42"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn partition_filters_and_columns_are_answered_correctly() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;
    assert_eq!(
        rows(
            &engine,
            "SELECT currency, count(*) AS n, sum(quantity) AS q FROM silver.sales_store_orders \
             GROUP BY currency"
        )
        .await,
        sorted(&[
            "currency=EUR | n=3 | q=7",
            "currency=GBP | n=1 | q=1",
            "currency=USD | n=2 | q=9",
        ])
    );
    let columns = rows(&engine, "SHOW COLUMNS FROM silver.customers").await;
    for name in ["column_name=id", "column_name=name", "column_name=country"] {
        assert!(columns.iter().any(|c| c.contains(name)), "{columns:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_folders_with_one_name_are_an_error_naming_both() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    delta_writer("collision", lake.path(), None);
    let engine = open_lake(lake.path()).await;

    let message = query_error(&engine, "SELECT * FROM silver.dup_a_b").await;
    assert!(message.contains("ambiguous"), "{message}");
    assert!(message.contains("silver/dup/a_b"), "{message}");
    assert!(message.contains("silver/dup_a/b"), "{message}");
    // The rest of the layer is unaffected.
    assert_eq!(
        rows(&engine, "SELECT count(*) AS n FROM silver.customers").await,
        vec!["n=2"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_table_or_layer_is_an_error_naming_it() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;
    let message = query_error(&engine, "SELECT * FROM silver.no_such_table").await;
    assert!(message.contains("no_such_table"), "{message}");
    let message = query_error(&engine, "SELECT * FROM platinum.orders").await;
    assert!(message.contains("platinum"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lake_that_does_not_exist_is_refused_at_open() {
    let error = Engine::open(EngineConfig::for_lake("/no/such/lakeshore/lake"))
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(error.contains("/no/such/lakeshore/lake"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_table_is_still_listed_and_spoils_only_its_own_queries() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    std::fs::write(
        lake.path()
            .join("gold/summary/_delta_log/00000000000000000000.json"),
        "{ not json",
    )
    .unwrap();
    let engine = open_lake(lake.path()).await;

    let listed = rows(&engine, "SHOW TABLES").await;
    assert!(
        listed.iter().any(|r| r.contains("table_name=summary")),
        "{listed:?}"
    );
    let message = query_error(&engine, "SELECT * FROM gold.summary").await;
    assert!(message.contains("lake.gold.summary"), "{message}");
    assert_eq!(rows(&engine, "SELECT n FROM rootcount").await, vec!["n=42"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_table_opened_as_the_lake_is_refused_with_what_to_do() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let table = lake.path().join("silver/customers");
    let error = Engine::open(EngineConfig::for_lake(table.display().to_string()))
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(error.contains("is a Delta table"), "{error}");
    assert!(error.contains("delta_scan("), "{error}");
}
