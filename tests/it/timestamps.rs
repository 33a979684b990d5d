//! Timestamps far from 1970: the year 1 and the year 9999 (`9999-12-31` is how slowly changing
//! dimensions mark the current row), stored as Spark stores them (INT96) and as
//! TIMESTAMP_MICROS / TIMESTAMP_MILLIS, in data, partition values and file statistics.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use lakeshore_tests::{assert_same_rows, collect, read_as_written, read_parquet, run_delta_writer};

use crate::lake_catalog::{open_lake, rows};

const KINDS: [&str; 3] = ["int96", "micros", "millis"];

/// Writes the far-timestamp dimension (`delta_writer.py far-timestamps`) as
/// `lake/silver/dim_KIND` and returns the parquet file with the rows it wrote.
fn write_dimension(lake: &Path, kind: &str) -> PathBuf {
    let name = format!("dim_{kind}");
    let table = lake.join("silver").join(&name);
    let rows = lake.join(format!("{name}.expected.parquet"));
    run_delta_writer(&[
        OsStr::new("far-timestamps"),
        table.as_os_str(),
        OsStr::new(kind),
        rows.as_os_str(),
    ]);
    rows
}

/// `customer_id`s of the rows `sql` returns, sorted.
async fn ids(engine: &lakeshore_engine::Engine, sql: &str) -> Vec<i64> {
    let mut ids: Vec<i64> = rows(engine, sql)
        .await
        .iter()
        .map(|row| {
            row.trim_start_matches("customer_id=")
                .parse()
                .unwrap_or_else(|_| panic!("`{sql}` should return only customer_id, not {row}"))
        })
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn far_timestamps_read_and_filter_as_written_in_every_physical_type() {
    let lake = tempfile::tempdir().unwrap();
    let expected: Vec<(&str, PathBuf)> = KINDS
        .iter()
        .map(|kind| (*kind, write_dimension(lake.path(), kind)))
        .collect();
    let engine = open_lake(lake.path()).await;
    for (kind, rows_written) in expected {
        let table = format!("silver.dim_{kind}");
        let ours = collect(&engine, &format!("SELECT * FROM {table}"))
            .await
            .unwrap_or_else(|error| panic!("{table} should read: {error}"));
        let theirs = read_parquet(&rows_written).await;
        assert_same_rows(&table, (&ours[0].schema(), &ours), (&theirs.0, &theirs.1));

        let find = |filter: &str| format!("SELECT customer_id FROM {table} WHERE {filter}");
        // The current rows, by data column (file statistics) and by partition value.
        for filter in [
            "valid_to = '9999-12-31'",
            "valid_to = TIMESTAMP '9999-12-31 00:00:00'",
            "valid_to = CAST('9999-12-31' AS TIMESTAMP)",
            "valid_to IN ('9999-12-31')",
            "expires = '9999-12-31'",
            "expires > '2262-04-12'",
        ] {
            assert_eq!(
                ids(&engine, &find(filter)).await,
                [1, 2, 4],
                "{table}: {filter}"
            );
        }
        // A range that the statistics of the current rows' file rule out: that file is pruned
        // and exactly the closed versions remain.
        assert_eq!(
            ids(&engine, &find("valid_to < '2021-01-01'")).await,
            [1, 2, 3],
            "{table}"
        );
        assert_eq!(
            ids(
                &engine,
                &find("valid_to BETWEEN '2020-06-30 12:00:00.123' AND '2020-12-31'")
            )
            .await,
            [1, 2],
            "{table}"
        );
        assert_eq!(
            ids(&engine, &find("valid_from = '0001-01-01'")).await,
            [1, 3],
            "{table}"
        );
        assert_eq!(
            ids(
                &engine,
                &find("expires <= '1677-01-01' AND valid_to = '0001-01-01'")
            )
            .await,
            [3],
            "{table}"
        );
        assert_eq!(
            ids(
                &engine,
                &find("valid_from >= TIMESTAMP '9999-12-31 23:59:59.999'")
            )
            .await,
            [4],
            "{table}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn time_travel_change_feed_and_delta_scan_read_far_timestamps_alike() {
    let lake = tempfile::tempdir().unwrap();
    write_dimension(lake.path(), "int96");
    let folder = lake.path().join("silver/dim_int96");
    let engine = open_lake(lake.path()).await;

    // Version 0 holds only the closed versions; version 1 adds the current ones.
    assert_eq!(
        ids(
            &engine,
            "SELECT customer_id FROM silver.dim_int96 VERSION AS OF 0 \
             WHERE valid_to = '0001-01-01' OR valid_to = '9999-12-31'"
        )
        .await,
        [3]
    );
    let by_path = format!(
        "SELECT customer_id FROM delta_scan('{}', version => 1) WHERE valid_to = '9999-12-31'",
        folder.display()
    );
    assert_eq!(ids(&engine, &by_path).await, [1, 2, 4]);
    // The change feed, over files in timestamp partitions (`expires=9999-12-31 00%3A00%3A00`).
    assert_eq!(
        ids(
            &engine,
            "SELECT customer_id FROM table_changes('silver.dim_int96', 0) \
             WHERE valid_to = '9999-12-31' AND expires = '9999-12-31' AND _change_type = 'insert'"
        )
        .await,
        [1, 2, 4]
    );
    assert_eq!(
        rows(
            &engine,
            "SELECT min(valid_from) AS first, max(valid_to) AS last \
             FROM table_changes('silver.dim_int96', 1)"
        )
        .await,
        ["first=2020-06-30T12:00:00.123Z | last=9999-12-31T00:00:00Z"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn far_timestamps_written_by_the_engine_read_back() {
    let lake = tempfile::tempdir().unwrap();
    write_dimension(lake.path(), "int96");
    let engine = open_lake(lake.path()).await;

    rows(
        &engine,
        "CREATE TABLE gold.customers AS SELECT customer_id, valid_from, valid_to \
         FROM silver.dim_int96",
    )
    .await;
    rows(
        &engine,
        "INSERT INTO gold.customers VALUES \
         (5, TIMESTAMP '0001-01-01 00:00:00', TIMESTAMP '9999-12-31 23:59:59.999999'), \
         (6, '2024-02-29 10:00:00', '9999-12-31')",
    )
    .await;
    assert_eq!(
        ids(
            &engine,
            "SELECT customer_id FROM gold.customers WHERE valid_to >= '9999-12-31'"
        )
        .await,
        [1, 2, 4, 5, 6]
    );
    assert_eq!(
        ids(
            &engine,
            "SELECT customer_id FROM gold.customers WHERE valid_from = '0001-01-01'"
        )
        .await,
        [1, 3, 5]
    );
    // An independent reader sees the same rows in the files the engine wrote.
    let folder = lake.path().join("gold/customers");
    let ours = collect(&engine, "SELECT * FROM gold.customers")
        .await
        .unwrap();
    let theirs = read_as_written(&folder).await;
    assert_same_rows(
        "gold.customers",
        (&ours[0].schema(), &ours),
        (&theirs.0, &theirs.1),
    );
}
