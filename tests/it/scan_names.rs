//! Subqueries that read different tables through one table function answer each for its own
//! table. DataFusion compares scans by name, and names every table function's scan after the
//! function alone: these queries once answered the first table's numbers for both, silently.

use lakeshore_engine::Engine;
use lakeshore_tests::write_lake;

use crate::lake_catalog::{open_lake, rows};

/// A lake with `gold.sales` (100 rows, `n` from 1 to 100) and `gold.returns` (10 rows), each
/// of one version; and the path of each.
async fn lake_of_two_tables() -> (tempfile::TempDir, Engine, String, String) {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;
    for (table, count) in [("sales", 100), ("returns", 10)] {
        let create = format!(
            "CREATE TABLE gold.{table} AS SELECT value AS n FROM generate_series(1, {count})"
        );
        rows(&engine, &create).await;
    }
    let path = |table: &str| lake.path().join("gold").join(table).display().to_string();
    let (sales, returns) = (path("sales"), path("returns"));
    (lake, engine, sales, returns)
}

#[tokio::test(flavor = "multi_thread")]
async fn subqueries_of_two_tables_read_by_path_answer_each_for_its_own() {
    let (_lake, engine, sales, returns) = lake_of_two_tables().await;
    for (query, answer) in [
        (
            format!(
                "SELECT (SELECT count(*) FROM delta_scan('{sales}')) AS a, \
                 (SELECT count(*) FROM delta_scan('{returns}')) AS b"
            ),
            "a=100 | b=10",
        ),
        (
            format!(
                "SELECT (SELECT max(n) FROM delta_scan('{sales}', version => 0)) AS a, \
                 (SELECT max(n) FROM delta_scan('{returns}', version => 0)) AS b"
            ),
            "a=100 | b=10",
        ),
        (
            format!(
                "SELECT (SELECT sum(t) FROM (SELECT n % 7 AS k, sum(n) AS t \
                 FROM delta_scan('{sales}') GROUP BY k)) AS a, \
                 (SELECT sum(t) FROM (SELECT n % 7 AS k, sum(n) AS t \
                 FROM delta_scan('{returns}') GROUP BY k)) AS b"
            ),
            "a=5050 | b=55",
        ),
        (
            format!(
                "SELECT count(*) AS c FROM gold.sales \
                 WHERE n IN (SELECT n FROM delta_scan('{returns}')) \
                 OR n IN (SELECT n + 50 FROM delta_scan('{sales}'))"
            ),
            "c=60",
        ),
        // One table twice: one answer, twice.
        (
            format!(
                "SELECT (SELECT count(*) FROM delta_scan('{sales}')) AS a, \
                 (SELECT count(*) FROM delta_scan('{sales}')) AS b"
            ),
            "a=100 | b=100",
        ),
    ] {
        assert_eq!(rows(&engine, &query).await, [answer], "{query}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn subqueries_of_two_series_answer_each_for_its_own() {
    let (_lake, engine, _, _) = lake_of_two_tables().await;
    for (query, answer) in [
        (
            "SELECT (SELECT count(*) FROM generate_series(1, 3)) AS a, \
             (SELECT count(*) FROM generate_series(1, 5)) AS b",
            "a=3 | b=5",
        ),
        (
            "SELECT (SELECT sum(value) FROM range(4)) AS a, (SELECT sum(value) FROM range(5)) AS b",
            "a=6 | b=10",
        ),
        (
            "SELECT count(*) AS c FROM gold.sales \
             WHERE n IN (SELECT value FROM generate_series(1, 3)) \
             OR n IN (SELECT value FROM generate_series(1, 5))",
            "c=5",
        ),
        (
            "SELECT count(*) AS c FROM gold.sales \
             WHERE EXISTS (SELECT 1 FROM generate_series(1, 3) WHERE value = n) \
             OR EXISTS (SELECT 1 FROM generate_series(1, 5) WHERE value = n)",
            "c=5",
        ),
    ] {
        assert_eq!(rows(&engine, query).await, [answer], "{query}");
    }
}
