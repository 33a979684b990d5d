//! Fresh by default: every query sees the latest commit of each table it reads, and tables and
//! layers created after start-up, without reopening the engine.

use lakeshore_tests::{delta_scan_sql, delta_writer, query_error, write_lake};

use crate::lake_catalog::{open_lake, rows};

/// The rows of `sql`, one line each.
async fn count(engine: &lakeshore_engine::Engine, sql: &str) -> String {
    rows(engine, sql).await.join("\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn commits_made_by_another_writer_are_seen_by_the_next_query() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;
    let sql = "SELECT count(*) AS n, max(id) AS top FROM bronze.raw_orders";
    assert_eq!(count(&engine, sql).await, "n=7 | top=7");

    delta_writer("append", &lake.path().join("bronze/raw_orders"), Some(5));
    assert_eq!(count(&engine, sql).await, "n=12 | top=12");
    // Nothing changed: the same answer from the snapshot we hold.
    assert_eq!(count(&engine, sql).await, "n=12 | top=12");

    delta_writer("append", &lake.path().join("bronze/raw_orders"), Some(1));
    assert_eq!(count(&engine, sql).await, "n=13 | top=13");
}

#[tokio::test(flavor = "multi_thread")]
async fn tables_and_layers_created_after_start_are_found() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;
    assert!(!count(&engine, "SHOW TABLES").await.contains("late_orders"));

    delta_writer("create", &lake.path().join("bronze/late_orders"), Some(4));
    assert_eq!(
        count(&engine, "SELECT count(*) AS n FROM bronze.late_orders").await,
        "n=4"
    );
    delta_writer("create", &lake.path().join("platinum/best"), Some(2));
    assert!(
        count(&engine, "SHOW TABLES")
            .await
            .contains("table_name=best")
    );
    assert_eq!(
        count(&engine, "SELECT count(*) AS n FROM platinum.best").await,
        "n=2"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_table_removed_after_start_is_an_error_naming_it() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;
    assert_eq!(
        count(&engine, "SELECT count(*) AS n FROM gold.summary").await,
        "n=3"
    );

    std::fs::remove_dir_all(lake.path().join("gold/summary")).unwrap();
    let message = query_error(&engine, "SELECT count(*) FROM gold.summary").await;
    assert!(message.contains("summary"), "{message}");
    // Other tables still answer.
    assert_eq!(count(&engine, "SELECT n FROM rootcount").await, "n=42");
}

#[tokio::test(flavor = "multi_thread")]
async fn delta_scan_reads_the_latest_commit_too() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("orders");
    delta_writer("create", &table, Some(3));
    let engine = lakeshore_tests::engine_without_lake().await;
    let sql = delta_scan_sql(&table).replace("SELECT *", "SELECT count(*) AS n");
    assert_eq!(count(&engine, &sql).await, "n=3");
    delta_writer("append", &table, Some(2));
    assert_eq!(count(&engine, &sql).await, "n=5");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_table_deleted_and_written_again_is_read_anew() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;
    let sql = "SELECT count(*) AS n FROM bronze.raw_orders";
    // Versions 0 to 2, seven rows.
    assert_eq!(count(&engine, sql).await, "n=7");

    // Written again from scratch: one commit (version 0) of four rows. A reader that only looks
    // for commits after version 2 would keep answering 7.
    write_raw_orders_again(lake.path(), &[4]);
    assert_eq!(count(&engine, sql).await, "n=4");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_table_written_again_past_the_version_held_is_read_anew() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;
    let sql = "SELECT count(*) AS n, max(id) AS top FROM bronze.raw_orders";
    // Versions 0 to 2, seven rows.
    assert_eq!(count(&engine, sql).await, "n=7 | top=7");

    // Written again with versions 0 to 3: a reader that applied versions 3 onwards on top of
    // what it held would answer 7 + 1 rows.
    write_raw_orders_again(lake.path(), &[1, 1, 1, 1]);
    assert_eq!(count(&engine, sql).await, "n=4 | top=4");
}

/// Deletes `bronze/raw_orders` and writes it again from scratch: one commit per entry of
/// `commits`, each of that many rows.
fn write_raw_orders_again(lake: &std::path::Path, commits: &[usize]) {
    let table = lake.join("bronze/raw_orders");
    std::fs::remove_dir_all(&table).unwrap();
    for (version, rows) in commits.iter().enumerate() {
        let subcommand = if version == 0 { "create" } else { "append" };
        delta_writer(subcommand, &table, Some(*rows));
    }
}
