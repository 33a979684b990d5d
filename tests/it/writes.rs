//! Writes to the lake: `CREATE TABLE ... AS SELECT` and `INSERT INTO` write Delta tables that
//! an independent reader (the `deltalake` Python package) reads back with the same rows.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use lakeshore_engine::{Engine, EngineConfig, IngestMode};
use lakeshore_tests::{
    DeltaFacts, assert_same_rows, collect, delta_facts, query_error, read_as_written, write_lake,
};

use crate::lake_catalog::{open_lake, rows};

/// Runs a write and returns the `count` it reports.
async fn count(engine: &Engine, sql: &str) -> Vec<String> {
    rows(engine, sql).await
}

/// Checks that the engine and the `deltalake` package read the same rows from `folder`.
async fn same_rows_as_deltalake(engine: &Engine, table: &str, folder: &Path) {
    let ours = collect(engine, &format!("SELECT * FROM {table}"))
        .await
        .unwrap();
    let theirs = read_as_written(folder).await;
    assert_same_rows(table, (&ours[0].schema(), &ours), (&theirs.0, &theirs.1));
}

#[tokio::test(flavor = "multi_thread")]
async fn create_table_as_select_writes_a_delta_table_into_the_lake() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;

    assert_eq!(
        count(
            &engine,
            "CREATE TABLE gold.eur_orders AS SELECT order_id, total, customer, ordered_at \
             FROM silver.sales_store_orders WHERE currency = 'EUR'"
        )
        .await,
        vec!["count=3".to_string()]
    );
    let folder = lake.path().join("gold/eur_orders");
    assert_eq!(
        rows(&engine, "SELECT order_id FROM gold.eur_orders").await,
        vec!["order_id=1", "order_id=2", "order_id=6"]
    );
    same_rows_as_deltalake(&engine, "gold.eur_orders", &folder).await;
    assert_eq!(
        delta_facts(&folder),
        DeltaFacts {
            version: 0,
            partition_columns: vec![]
        }
    );

    let exists = query_error(
        &engine,
        "CREATE TABLE gold.eur_orders AS SELECT 1 AS order_id",
    )
    .await;
    assert!(
        exists.contains("already exists") && exists.contains("OR REPLACE"),
        "{exists}"
    );
    assert_eq!(
        count(
            &engine,
            "CREATE TABLE IF NOT EXISTS gold.eur_orders AS SELECT 1 AS order_id"
        )
        .await,
        vec!["count=0".to_string()]
    );
    assert_eq!(delta_facts(&folder).version, 0);

    // Replacing writes a new version with the new rows and schema.
    count(
        &engine,
        "CREATE OR REPLACE TABLE gold.eur_orders AS SELECT 7 AS id, 'x' AS note",
    )
    .await;
    assert_eq!(delta_facts(&folder).version, 1);
    assert_eq!(
        rows(&engine, "SELECT * FROM gold.eur_orders").await,
        vec!["id=7 | note=x"]
    );
    same_rows_as_deltalake(&engine, "gold.eur_orders", &folder).await;

    // Lake data is never deleted, and a folder of other files is never written into.
    let drop = query_error(&engine, "DROP TABLE gold.eur_orders").await;
    assert!(drop.contains("does not delete lake data"), "{drop}");
    assert!(folder.join("_delta_log").is_dir());
    let other_files = lake.path().join("gold/notes");
    std::fs::create_dir_all(&other_files).unwrap();
    std::fs::write(other_files.join("readme.txt"), "not a table").unwrap();
    let occupied = query_error(&engine, "CREATE TABLE gold.notes AS SELECT 1 AS a").await;
    assert!(
        occupied.contains("holds files but no Delta table"),
        "{occupied}"
    );
    assert!(other_files.join("readme.txt").is_file());
}

#[tokio::test(flavor = "multi_thread")]
async fn partitioned_by_sets_the_partition_columns() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;

    assert_eq!(
        count(
            &engine,
            "CREATE TABLE analytics.by_currency PARTITIONED BY (currency) AS \
             SELECT order_id, quantity, currency FROM silver.sales_store_orders"
        )
        .await,
        vec!["count=6".to_string()]
    );
    let folder = lake.path().join("analytics/by_currency");
    assert_eq!(
        delta_facts(&folder).partition_columns,
        vec!["currency".to_string()]
    );
    assert!(folder.join("currency=EUR").is_dir());
    same_rows_as_deltalake(&engine, "analytics.by_currency", &folder).await;
    assert_eq!(
        rows(
            &engine,
            "SELECT currency, count(*) AS n FROM analytics.by_currency GROUP BY currency"
        )
        .await,
        vec![
            "currency=EUR | n=3",
            "currency=GBP | n=1",
            "currency=USD | n=2"
        ]
    );

    let unknown = query_error(
        &engine,
        "CREATE TABLE analytics.wrong PARTITIONED BY (nope) AS SELECT 1 AS a",
    )
    .await;
    assert!(unknown.contains("nope"), "{unknown}");
}

#[tokio::test(flavor = "multi_thread")]
async fn insert_appends_a_version() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;
    let folder = lake.path().join("bronze/raw_orders");
    let before = delta_facts(&folder).version;

    assert_eq!(
        count(
            &engine,
            "INSERT INTO bronze.raw_orders VALUES (100, 'item-100', 150.0), (101, 'item-101', 151.5)"
        )
        .await,
        vec!["count=2".to_string()]
    );
    assert_eq!(delta_facts(&folder).version, before + 1);
    assert_eq!(
        count(
            &engine,
            "INSERT INTO bronze.raw_orders SELECT id + 1000, item, amount FROM bronze.raw_orders \
             WHERE id <= 3"
        )
        .await,
        vec!["count=3".to_string()]
    );
    assert_eq!(delta_facts(&folder).version, before + 2);
    assert_eq!(
        rows(&engine, "SELECT count(*) AS n FROM bronze.raw_orders").await,
        vec!["n=12"]
    );
    same_rows_as_deltalake(&engine, "bronze.raw_orders", &folder).await;

    // A partitioned table keeps its partitioning.
    count(
        &engine,
        "INSERT INTO silver.sales_store_orders (order_id, currency) VALUES (9, 'CHF')",
    )
    .await;
    let store_orders = lake.path().join("silver/sales/store_orders");
    assert!(store_orders.join("currency=CHF").is_dir());
    same_rows_as_deltalake(&engine, "silver.sales_store_orders", &store_orders).await;
}

/// A query that produces rows for a while, then fails: `value` runs 1..=20000 in batches of
/// 100, and the division fails at 15000.
const FAILS_LATE: &str =
    "SELECT value AS id, 10 / (value - 15000) AS x FROM generate_series(1, 20000)";

#[tokio::test(flavor = "multi_thread")]
async fn a_write_whose_query_fails_half_way_leaves_nothing() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let config = EngineConfig {
        batch_size: 100,
        ..EngineConfig::for_lake(lake.path().display().to_string())
    };
    let engine = Engine::open(config).await.unwrap();

    let error = query_error(
        &engine,
        &format!("CREATE TABLE gold.broken AS {FAILS_LATE}"),
    )
    .await;
    assert!(
        error.contains("gold.broken") && error.to_lowercase().contains("divide by zero"),
        "{error}"
    );
    let folder = lake.path().join("gold/broken");
    assert!(!folder.exists(), "no folder should be left behind");
    let missing = query_error(&engine, "SELECT * FROM gold.broken").await;
    assert!(missing.contains("not found"), "{missing}");
    // The same name can be written once the query is right.
    count(
        &engine,
        "CREATE TABLE gold.broken AS SELECT value AS id FROM generate_series(1, 3)",
    )
    .await;
    assert_eq!(delta_facts(&folder).version, 0);

    // A failed insert leaves the table at its version.
    let error = query_error(
        &engine,
        "INSERT INTO gold.broken SELECT 10 / (value - 15000) FROM generate_series(1, 20000)",
    )
    .await;
    assert!(error.to_lowercase().contains("divide by zero"), "{error}");
    assert_eq!(delta_facts(&folder).version, 0);
    assert_eq!(
        rows(&engine, "SELECT count(*) AS n FROM gold.broken").await,
        vec!["n=3"]
    );
}

/// One batch of `(id, name)` rows to ingest, `name` being `person-<id>`.
fn people(ids: &[i64]) -> SendableRecordBatchStream {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("name", DataType::Utf8, true),
    ]));
    let names: Vec<String> = ids.iter().map(|id| format!("person-{id}")).collect();
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from(ids.to_vec())),
            Arc::new(StringArray::from(names)),
        ],
    )
    .unwrap();
    Box::pin(RecordBatchStreamAdapter::new(
        schema,
        futures::stream::iter(vec![Ok(batch)]),
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn ingest_follows_the_adbc_modes() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;
    let folder = lake.path().join("bronze/people");

    let missing = engine
        .ingest("bronze.people", people(&[1]), IngestMode::Append)
        .await
        .unwrap_err()
        .to_string();
    assert!(missing.contains("bronze.people"), "{missing}");
    assert!(!folder.exists());

    let created = engine
        .ingest("bronze.people", people(&[1, 2]), IngestMode::Create)
        .await
        .unwrap();
    assert_eq!(created, 2);
    let again = engine
        .ingest("bronze.people", people(&[3]), IngestMode::Create)
        .await
        .unwrap_err()
        .to_string();
    assert!(again.contains("already exists"), "{again}");
    engine
        .ingest("bronze.people", people(&[3]), IngestMode::Append)
        .await
        .unwrap();
    engine
        .ingest("bronze.people", people(&[4]), IngestMode::CreateAppend)
        .await
        .unwrap();
    assert_eq!(
        rows(&engine, "SELECT id FROM bronze.people").await,
        vec!["id=1", "id=2", "id=3", "id=4"]
    );
    assert_eq!(delta_facts(&folder).version, 2);
    same_rows_as_deltalake(&engine, "bronze.people", &folder).await;

    engine
        .ingest("bronze.people", people(&[9]), IngestMode::Replace)
        .await
        .unwrap();
    assert_eq!(
        rows(&engine, "SELECT * FROM bronze.people").await,
        vec!["id=9 | name=person-9"]
    );

    // Unqualified names go to the session's default schema (`default`, the lake root).
    engine
        .ingest("newcomers", people(&[5]), IngestMode::CreateAppend)
        .await
        .unwrap();
    assert!(lake.path().join("newcomers/_delta_log").is_dir());
    assert_eq!(
        rows(&engine, "SELECT id FROM newcomers").await,
        vec!["id=5"]
    );
}
