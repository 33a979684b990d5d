//! `DESCRIBE HISTORY`, `DESCRIBE DETAIL` and their table functions, checked against what the
//! tables' `_delta_log` says.

use lakeshore_tests::{collect, query_error};
use serde_json::Value;

use crate::delta_log::{HistoryLake, LATEST, actions, active_files, commit_info, commit_time};
use crate::lake_catalog::rows;

/// Databricks' columns of `DESCRIBE HISTORY`, in order.
const HISTORY_COLUMNS: &[&str] = &[
    "version",
    "timestamp",
    "userId",
    "userName",
    "operation",
    "operationParameters",
    "job",
    "notebook",
    "clusterId",
    "readVersion",
    "isolationLevel",
    "isBlindAppend",
    "operationMetrics",
    "userMetadata",
    "engineInfo",
];

/// The rows of `sql` in the order the engine returns them, one line each.
async fn ordered_rows(lake: &HistoryLake, sql: &str) -> Vec<String> {
    let batches = collect(&lake.engine, sql)
        .await
        .unwrap_or_else(|error| panic!("`{sql}` failed: {error}"));
    let text = arrow::util::pretty::pretty_format_batches(&batches)
        .unwrap()
        .to_string();
    text.lines()
        .skip(3)
        .filter(|line| line.starts_with('|'))
        .map(|line| {
            line.split('|')
                .map(str::trim)
                .filter(|cell| !cell.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// The time of `version`'s commit as `CAST(timestamp AS VARCHAR)` shows it: a fraction of zero
/// left out (a commit at a whole second, one run in a thousand, reads `...:48Z`).
fn commit_time_as_text(table: &std::path::Path, version: u64) -> String {
    let at = commit_time(table, version).replace(' ', "T");
    format!("{}Z", at.strip_suffix(".000").unwrap_or(&at))
}

#[tokio::test(flavor = "multi_thread")]
async fn describe_history_lists_every_commit_newest_first() {
    let lake = HistoryLake::new().await;
    let table = lake.table("orders");
    let batches = collect(&lake.engine, "DESCRIBE HISTORY silver.orders")
        .await
        .unwrap();
    let schema = batches[0].schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, HISTORY_COLUMNS);

    let ours = ordered_rows(
        &lake,
        "SELECT version, operation, \"readVersion\", \"engineInfo\", \
         CAST(timestamp AS VARCHAR) AS at FROM delta_history('silver.orders')",
    )
    .await;
    let expected: Vec<String> = (0..=LATEST)
        .rev()
        .map(|version| {
            let info = commit_info(&table, version);
            let text = |key: &str| info[key].as_str().unwrap_or("").to_string();
            let read_version = info["readVersion"]
                .as_i64()
                .map_or(String::new(), |v| v.to_string());
            [
                version.to_string(),
                text("operation"),
                read_version,
                text("engineInfo"),
                commit_time_as_text(&table, version),
            ]
            .into_iter()
            .filter(|cell| !cell.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
        })
        .collect();
    assert_eq!(ours, expected);
    let operations: Vec<String> = (0..=LATEST)
        .rev()
        .map(|v| {
            commit_info(&table, v)["operation"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        operations,
        ["WRITE", "MERGE", "UPDATE", "DELETE", "WRITE", "WRITE"],
        "the writer made one commit of each kind"
    );

    let limited = ordered_rows(&lake, "DESCRIBE HISTORY lake.silver.orders LIMIT 2").await;
    assert_eq!(limited.len(), 2);
    assert!(
        limited[0].starts_with("5 ") && limited[1].starts_with("4 "),
        "{limited:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn history_can_be_filtered_and_joined() {
    let lake = HistoryLake::new().await;
    let table = lake.table("orders");
    let predicate = commit_info(&table, 2)["operationParameters"]["predicate"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        rows(
            &lake.engine,
            "SELECT version, \"operationParameters\"['predicate'] AS predicate \
             FROM delta_history('silver.orders') WHERE operation = 'DELETE'"
        )
        .await,
        vec![format!("predicate={predicate} | version=2")]
    );

    // Each commit beside the one it read: readVersion joins history to itself.
    let mut expected: Vec<String> = (0..=LATEST)
        .filter_map(|version| {
            let read = commit_info(&table, version)["readVersion"].as_u64()?;
            let previous = commit_info(&table, read)["operation"].as_str()?.to_string();
            Some(format!("previous={previous} | version={version}"))
        })
        .collect();
    expected.sort();
    assert!(!expected.is_empty());
    assert_eq!(
        rows(
            &lake.engine,
            "SELECT h.version, p.operation AS previous FROM delta_history('silver.orders') h \
             JOIN delta_history('silver.orders') p ON h.\"readVersion\" = p.version"
        )
        .await,
        expected
    );

    // By path, and joined with the table's detail.
    let path = table.display().to_string();
    assert_eq!(
        rows(
            &lake.engine,
            &format!(
                "SELECT d.format, h.version FROM delta_history('{path}', 1) h \
                 JOIN delta_detail('{path}') d ON true"
            )
        )
        .await,
        vec![format!("format=delta | version={LATEST}")]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn describe_detail_shows_the_latest_snapshot() {
    let lake = HistoryLake::new().await;
    let table = lake.table("orders_cdf");
    let metadata = actions(&table, 0)
        .into_iter()
        .find_map(|mut action| action.get_mut("metaData").map(Value::take))
        .unwrap();
    let protocol = actions(&table, 0)
        .into_iter()
        .find_map(|mut action| action.get_mut("protocol").map(Value::take))
        .unwrap();
    let files = active_files(&table, LATEST);
    let size: i64 = files.iter().map(|(_, size)| size).sum();
    let ours = ordered_rows(&lake, "DESCRIBE DETAIL silver.orders_cdf").await;
    assert_eq!(ours.len(), 1);
    let detail = rows(
        &lake.engine,
        "SELECT format, id, name, location, \"numFiles\", \"sizeInBytes\", \
         \"minReaderVersion\", \"minWriterVersion\", \
         \"properties\"['delta.enableChangeDataFeed'] AS cdf, \
         \"partitionColumns\" AS partitioned, \
         CAST(\"createdAt\" AS BIGINT) AS created, CAST(\"lastModified\" AS VARCHAR) AS modified \
         FROM delta_detail('silver.orders_cdf')",
    )
    .await;
    let expected = format!(
        "cdf=true | created={} | format=delta | id={} | location={} | minReaderVersion={} | \
         minWriterVersion={} | modified={} | name=lake.silver.orders_cdf | numFiles={} | \
         partitioned=[] | sizeInBytes={size}",
        metadata["createdTime"].as_i64().unwrap(),
        metadata["id"].as_str().unwrap(),
        table.display(),
        protocol["minReaderVersion"],
        protocol["minWriterVersion"],
        commit_time_as_text(&table, LATEST),
        files.len(),
    );
    assert_eq!(detail, vec![expected]);
}

#[tokio::test(flavor = "multi_thread")]
async fn history_of_an_unknown_table_is_an_error() {
    let lake = HistoryLake::new().await;
    let error = query_error(&lake.engine, "DESCRIBE HISTORY silver.nope").await;
    assert!(
        error.contains("silver.nope") && error.contains("not found"),
        "{error}"
    );
    let error = query_error(&lake.engine, "DESCRIBE DETAIL silver.orders LIMIT 3").await;
    assert!(
        error.contains("DESCRIBE DETAIL takes a table name"),
        "{error}"
    );
}
