//! An aggregate a query names twice (a common table expression used twice, as in TPC-H Q15)
//! is computed once: its table is read once, and its answers are those of computing it twice.

use lakeshore_engine::Engine;
use lakeshore_tests::write_lake;

use crate::lake_catalog::{open_lake_without_data_cache, rows};

/// A lake with `gold.sales`: `n` from 1 to 100,000 and `k = n % 100`, in one file.
async fn lake_with_sales() -> (tempfile::TempDir, Engine) {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    // The bytes read from the store are what is counted.
    let engine = open_lake_without_data_cache(lake.path()).await;
    rows(
        &engine,
        "CREATE TABLE gold.sales AS \
         SELECT value AS n, value % 100 AS k FROM generate_series(1, 100000)",
    )
    .await;
    (lake, engine)
}

/// The bytes `sql` reads from the store, with its answer.
async fn bytes_read(engine: &Engine, sql: &str) -> (u64, Vec<String>) {
    let watch = engine.watch_requests();
    let answer = rows(engine, sql).await;
    (watch.elapsed().bytes_read, answer)
}

/// Each `k`'s total, and the `k` of the largest total.
const LARGEST_TOTAL: &str = "WITH totals AS (SELECT k, sum(n) AS total FROM gold.sales GROUP BY k) \
    SELECT k, total FROM totals WHERE total = (SELECT max(total) FROM totals)";

#[tokio::test(flavor = "multi_thread")]
async fn an_aggregate_named_twice_reads_its_table_once() {
    let (_lake, engine) = lake_with_sales().await;
    let once = "SELECT k, sum(n) AS total FROM gold.sales GROUP BY k";
    // The first runs read the footers into the cache.
    rows(&engine, once).await;
    rows(&engine, LARGEST_TOTAL).await;
    let (read_once, _) = bytes_read(&engine, once).await;
    let (read_for_both, answer) = bytes_read(&engine, LARGEST_TOTAL).await;
    // k = 0 sums 100, 200, ..., 100,000; every other k sums less.
    assert_eq!(answer, ["k=0 | total=50050000"]);
    assert!(read_once > 0);
    assert_eq!(
        read_for_both, read_once,
        "the aggregate used twice read {read_for_both} bytes, once {read_once}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn aggregates_of_two_versions_of_a_table_are_each_computed() {
    let (_lake, engine) = lake_with_sales().await;
    rows(&engine, "INSERT INTO gold.sales VALUES (100001, 1)").await;
    let totals = |version: &str| {
        format!(
            "(SELECT sum(total) FROM (SELECT k, sum(n) AS total FROM gold.sales {version} GROUP BY k))"
        )
    };
    let query = format!(
        "SELECT {} AS before, {} AS after",
        totals("VERSION AS OF 0"),
        totals("")
    );
    assert_eq!(
        rows(&engine, &query).await,
        ["after=5000150001 | before=5000050000"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_aggregate_of_a_volatile_function_is_computed_for_each_use() {
    let (_lake, engine) = lake_with_sales().await;
    // Computed twice, the two uses draw different numbers and no row pairs up; computed once,
    // all 100 would.
    let query = "WITH drawn AS (SELECT k, sum(n) * random() AS t FROM gold.sales GROUP BY k) \
        SELECT count(*) AS c FROM drawn a JOIN drawn b ON a.k = b.k AND a.t = b.t";
    assert_eq!(rows(&engine, query).await, ["c=0"]);
}
