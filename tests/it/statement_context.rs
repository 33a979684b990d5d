//! What a statement reads before planning (old versions, histories, details, tables by path)
//! belongs to that statement: a name means the table it resolves to where it is written (in the
//! statement's default schema, or in a view's own), concurrent sessions never see each other's
//! reads, and a statement that reads many versions loses none of them.

use lakeshore_engine::Engine;
use lakeshore_tests::{collect, delta_writer};
use tempfile::TempDir;

use crate::lake_catalog::{open_lake, rows};

/// `silver.orders`: 100 rows at version 0, two appends after. `bronze.orders`: 10 rows at
/// version 0, one append after. Same name, different tables, different histories.
struct TwoOrders {
    _dir: TempDir,
    engine: Engine,
}

impl TwoOrders {
    async fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary lake");
        let silver = dir.path().join("silver/orders");
        delta_writer("create", &silver, Some(100));
        delta_writer("append", &silver, Some(5));
        delta_writer("append", &silver, Some(5));
        let bronze = dir.path().join("bronze/orders");
        delta_writer("create", &bronze, Some(10));
        delta_writer("append", &bronze, Some(3));
        let engine = open_lake(dir.path()).await;
        Self { _dir: dir, engine }
    }
}

async fn run(engine: &Engine, sql: &str) {
    collect(engine, sql)
        .await
        .unwrap_or_else(|error| panic!("`{sql}` failed: {error}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn time_travel_in_a_view_resolves_in_the_views_schema() {
    let lake = TwoOrders::new().await;
    let engine = &lake.engine;
    run(engine, "SET datafusion.catalog.default_schema = 'bronze'").await;
    run(
        engine,
        "CREATE VIEW bronze.v AS SELECT count(*) AS n FROM orders VERSION AS OF 0",
    )
    .await;
    run(engine, "SET datafusion.catalog.default_schema = 'silver'").await;
    let sql = "SELECT (SELECT count(*) FROM orders VERSION AS OF 0) AS a, \
               (SELECT n FROM bronze.v) AS b";
    assert_eq!(rows(engine, sql).await, vec!["a=100 | b=10"], "{sql}");
    // The view first, then the statement's own: the order of loading does not matter.
    let sql = "SELECT (SELECT n FROM bronze.v) AS b, \
               (SELECT count(*) FROM orders VERSION AS OF 0) AS a";
    assert_eq!(rows(engine, sql).await, vec!["a=100 | b=10"], "{sql}");
}

#[tokio::test(flavor = "multi_thread")]
async fn history_and_detail_resolve_where_they_are_written() {
    let lake = TwoOrders::new().await;
    let engine = &lake.engine;
    run(engine, "SET datafusion.catalog.default_schema = 'bronze'").await;
    run(
        engine,
        "CREATE VIEW bronze.h AS SELECT \
           (SELECT count(*) FROM delta_history('orders')) AS versions, \
           (SELECT \"numFiles\" FROM delta_detail('orders')) AS files",
    )
    .await;
    run(engine, "SET datafusion.catalog.default_schema = 'silver'").await;
    let sql = "SELECT (SELECT count(*) FROM delta_history('orders')) AS versions, \
               (SELECT \"numFiles\" FROM delta_detail('orders')) AS files, \
               (SELECT versions FROM bronze.h) AS bronze_versions, \
               (SELECT files FROM bronze.h) AS bronze_files";
    assert_eq!(
        rows(engine, sql).await,
        vec!["bronze_files=2 | bronze_versions=2 | files=3 | versions=3"],
        "{sql}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_sessions_with_other_default_schemas_read_their_own_tables() {
    let lake = TwoOrders::new().await;
    let mut sessions = Vec::new();
    for (schema, rows_at_0, versions) in [("silver", 100, 3), ("bronze", 10, 2)] {
        for _ in 0..3 {
            let session = lake.engine.with_default_schema("lake", schema);
            sessions.push(tokio::spawn(async move {
                for _ in 0..15 {
                    let sql = "SELECT (SELECT count(*) FROM orders VERSION AS OF 0) AS n, \
                               (SELECT count(*) FROM delta_history('orders')) AS versions";
                    let got = rows(&session, sql).await;
                    assert_eq!(
                        got,
                        vec![format!("n={rows_at_0} | versions={versions}")],
                        "a session in {schema} read another schema's table"
                    );
                }
            }));
        }
    }
    for session in sessions {
        session.await.expect("a session's queries");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_statement_reading_many_versions_loses_none() {
    let dir = tempfile::tempdir().expect("a temporary lake");
    let table = dir.path().join("silver/ticks");
    let versions = 70;
    delta_writer("commits", &table, Some(versions));
    let engine = open_lake(dir.path()).await;
    let sql = many_versions_sql(versions);
    let mut got = rows(&engine, &sql).await;
    got.sort_by_key(|row| version_of(row));
    // Rows show their columns by name, in order.
    let expected: Vec<String> = (0..versions)
        .map(|version| format!("n={} | version={version}", version + 1))
        .collect();
    assert_eq!(got, expected);
}

/// One `SELECT` per version, each counting the rows that version held.
fn many_versions_sql(versions: usize) -> String {
    (0..versions)
        .map(|version| {
            format!("SELECT {version} AS version, count(*) AS n FROM silver.ticks VERSION AS OF {version}")
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

fn version_of(row: &str) -> usize {
    row.split(" | ")
        .find_map(|cell| cell.strip_prefix("version="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}
