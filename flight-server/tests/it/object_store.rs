//! The server over a lake in an object store (Azurite, the Azure emulator), configured the way
//! an operator would: credentials in a `--config` file, under the lake's URI prefix. A notebook
//! queries it and ingests into it through ADBC; `deltalake` reads what was written; the query
//! log counts each query's store requests and holds no secret.

use std::collections::HashMap;

use lakeshore_tests::{Emulator, StoreKind, read_as_written_at, write_lake_at};
use serde_json::Value;

use crate::harness::{TestServer, python_scripts, query, status};

/// Runs `statements` through `adbc_query.py`; one JSON list of rows per statement.
fn adbc(server: &TestServer, statements: &[&str]) -> Vec<Value> {
    let output = lakeshore_tests::python()
        .arg(python_scripts().join("adbc_query.py"))
        .arg(server.uri())
        .args(statements)
        .output()
        .expect("run the ADBC client");
    assert!(
        output.status.success(),
        "the ADBC client failed:\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&output.stderr),
        server.log().join("\n")
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

/// A TOML config file giving `options` to the locations under `prefix`.
fn config_file(dir: &std::path::Path, prefix: &str, options: &HashMap<String, String>) -> String {
    let mut text = format!("[storage.{}]\n", Value::from(prefix));
    for (key, value) in options {
        // A JSON string of plain text is a TOML basic string.
        text.push_str(&format!("{key} = {}\n", Value::from(value.as_str())));
    }
    let path = dir.join("lakeshore.toml");
    std::fs::write(&path, text).expect("write the config file");
    path.to_str()
        .expect("temporary paths are UTF-8")
        .to_string()
}

async fn rows_as_written(uri: &str, options: &HashMap<String, String>) -> usize {
    let (_, batches) = read_as_written_at(uri, options).await;
    batches.iter().map(|batch| batch.num_rows()).sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn adbc_queries_and_ingests_into_a_lake_in_azurite() {
    let emulator = Emulator::start(StoreKind::Azurite);
    let options = emulator.storage_options();
    let lake = emulator.uri("lake");
    write_lake_at(&lake, &options);
    let dir = tempfile::tempdir().expect("a folder for the config file");
    let config = config_file(dir.path(), &lake, &options);
    let server = TestServer::start(&lake, &["--config", &config]);

    let raw_orders = emulator.uri("lake/bronze/raw_orders");
    let before = rows_as_written(&raw_orders, &options).await;
    let answers = adbc(
        &server,
        &[
            "SELECT count(*) AS n FROM bronze.raw_orders",
            "SELECT table_schema, table_name FROM information_schema.tables \
             WHERE table_schema IN ('bronze', 'silver', 'gold') ORDER BY 1, 2",
            "ingest:bronze.raw_orders:500:3",
            "SELECT count(*) AS n, max(id) AS top FROM bronze.raw_orders",
        ],
    );
    assert_eq!(answers[0][0]["n"], before, "{answers:?}");
    let tables = answers[1].as_array().expect("rows");
    assert!(
        tables
            .iter()
            .any(|row| row["table_schema"] == "silver" && row["table_name"] == "sales_store_orders"),
        "{tables:?}"
    );
    assert_eq!(answers[2][0]["written"], 3, "{answers:?}");
    assert_eq!(answers[3][0]["n"], before + 3, "{answers:?}");
    assert_eq!(answers[3][0]["top"], 502, "{answers:?}");
    // The ingested rows are in the store, where another reader finds them.
    assert_eq!(rows_as_written(&raw_orders, &options).await, before + 3);

    // A statement through the Rust Flight SQL client too, and an error that names the table.
    let mut client = server.client().await;
    let missing = query(&mut client, "SELECT * FROM bronze.nowhere")
        .await
        .expect_err("a missing table");
    assert!(missing.message().contains("nowhere"), "{missing:?}");
    let written = client
        .execute_update(
            "INSERT INTO bronze.raw_orders VALUES (900, 'item-900', 1.5)".into(),
            None,
        )
        .await
        .map_err(status)
        .expect("an INSERT");
    assert_eq!(written, 1);
    assert_eq!(rows_as_written(&raw_orders, &options).await, before + 4);

    // Each query's log line counts the store requests it made; no line holds a secret.
    let line = server.wait_for_log(&["query", "SELECT count(*) AS n FROM bronze.raw_orders"]);
    assert!(
        line.contains("requests=") && line.contains("LIST"),
        "{line}"
    );
    let log = server.log().join("\n");
    for secret in emulator.secrets() {
        assert!(!log.contains(&secret), "a secret is in the server's log");
    }
}
