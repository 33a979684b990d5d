//! Read-only mode: every statement that writes is refused with an error that says so, and
//! nothing is written; reads (views included) go on as before.

use lakeshore_engine::{Engine, EngineConfig, IngestMode};
use lakeshore_tests::{collect, delta_facts, write_lake};

use crate::lake_catalog::{open_lake, rows};

#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_engine_refuses_every_write_and_writes_nothing() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    // A view made by a writable engine, to read and to (fail to) drop.
    let writable = open_lake(lake.path()).await;
    collect(&writable, "CREATE VIEW gold.answer AS SELECT 42 AS n")
        .await
        .unwrap();
    let definitions = lake.path().join("_lakeshore/catalog");
    let raw_orders = lake.path().join("bronze/raw_orders");
    let version = delta_facts(&raw_orders).version;

    let engine = Engine::open(EngineConfig {
        read_only: true,
        ..EngineConfig::for_lake(lake.path().display().to_string())
    })
    .await
    .unwrap();
    let copy_target = lake.path().join("copied.parquet");
    let writes = [
        ("CREATE TABLE gold.t AS SELECT 1 AS a", "CREATE TABLE"),
        (
            "INSERT INTO bronze.raw_orders VALUES (9, 'x', 1.0)",
            "INSERT",
        ),
        ("CREATE VIEW gold.v AS SELECT 1 AS a", "CREATE VIEW"),
        (
            "CREATE OR REPLACE VIEW gold.answer AS SELECT 0 AS n",
            "CREATE VIEW",
        ),
        ("DROP VIEW gold.answer", "DROP VIEW"),
        ("DROP TABLE bronze.raw_orders", "DROP TABLE"),
        (
            &format!(
                "CREATE EXTERNAL TABLE ext.t STORED AS DELTA LOCATION '{}'",
                raw_orders.display()
            ),
            "CREATE EXTERNAL TABLE",
        ),
        (
            &format!(
                "COPY (SELECT 1 AS a) TO '{}' STORED AS PARQUET",
                copy_target.display()
            ),
            "COPY TO",
        ),
        ("CREATE SCHEMA scratch", "CREATE SCHEMA"),
    ];
    for (sql, statement) in writes {
        assert!(engine.is_write(sql).unwrap(), "{sql} is a write");
        let error = engine.execute(sql).await.err().map(|e| e.to_string());
        let expected = format!("the lake is open read-only: {statement} is refused");
        assert_eq!(error.as_deref(), Some(expected.as_str()), "{sql}");
    }
    let ingest = engine
        .ingest(
            "bronze.raw_orders",
            engine.execute("SELECT 1 AS id").await.unwrap(),
            IngestMode::Append,
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(ingest.contains("read-only"), "{ingest}");

    // Nothing was written.
    assert!(!lake.path().join("gold/t").exists());
    assert!(!copy_target.exists());
    assert_eq!(delta_facts(&raw_orders).version, version);
    let mut files: Vec<_> = std::fs::read_dir(definitions.join("gold"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    files.sort();
    assert_eq!(files, vec!["answer.json"]);

    // Reads work, views included.
    assert!(!engine.is_write("SELECT * FROM gold.answer").unwrap());
    assert_eq!(
        rows(&engine, "SELECT n FROM gold.answer").await,
        vec!["n=42"]
    );
    assert_eq!(
        rows(&engine, "SELECT count(*) AS n FROM bronze.raw_orders").await,
        vec!["n=7"]
    );
}
