//! Sums, differences and products of decimals answer exactly what plain DataFusion answers over
//! the same files, types included, and overflow the same way, whichever path the engine takes
//! (`engine/src/decimal_ops/`: no check per row when a batch's bounds rule overflow out).

use datafusion::prelude::{ParquetReadOptions, SessionContext};
use lakeshore_engine::Engine;
use lakeshore_tests::{canonical_rows, query_error, write_lake};

use crate::lake_catalog::{open_lake, rows};

/// `gold.d`: 20,000 rows of `DECIMAL(15, 2)` prices (negative ones too, null on one row in
/// 13), discounts and taxes, and a `DECIMAL(38, 0)` column of 30-digit values; and plain
/// DataFusion over the table's Parquet files, as `d`.
async fn decimals() -> (tempfile::TempDir, Engine, SessionContext) {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;
    rows(
        &engine,
        "CREATE TABLE gold.d AS SELECT value AS n, \
         CASE WHEN value % 13 = 0 THEN NULL ELSE \
         CAST(CAST((value * 7919) % 10000000 - 5000000 AS DOUBLE) / 100 AS DECIMAL(15, 2)) END \
         AS price, \
         CAST(CAST(value % 11 AS DOUBLE) / 100 AS DECIMAL(15, 2)) AS disc, \
         CAST(CAST(value % 9 AS DOUBLE) / 100 AS DECIMAL(15, 2)) AS tax, \
         CAST(value AS DECIMAL(38, 0)) * CAST(1000000000000000000000000000 AS DECIMAL(38, 0)) \
         AS big \
         FROM generate_series(1, 20000)",
    )
    .await;
    let plain = SessionContext::new();
    let files = lake.path().join("gold").join("d");
    plain
        .register_parquet(
            "d",
            files.display().to_string(),
            ParquetReadOptions::default(),
        )
        .await
        .unwrap();
    (lake, engine, plain)
}

async fn plain_rows(plain: &SessionContext, sql: &str) -> Vec<String> {
    let batches = match plain.sql(sql).await {
        Ok(frame) => frame.collect().await,
        Err(error) => Err(error),
    };
    canonical_rows(
        &batches.unwrap_or_else(|error| panic!("plain DataFusion: `{sql}` failed: {error}")),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn decimal_arithmetic_answers_as_plain_datafusion_does() {
    let (_lake, engine, plain) = decimals().await;
    let queries = [
        // TPC-H's revenue expressions, in aggregates.
        "SELECT sum(price * (1 - disc)) AS a, sum(price * (1 - disc) * (1 + tax)) AS b, \
         sum(price - disc) AS c, sum(disc + 1) AS e, min(price * price) AS f, \
         max(price + tax * 3) AS g, avg(price * disc) AS h FROM {t}",
        "SELECT n % 7 AS k, sum(price * disc) AS s, sum(tax - price) AS t FROM {t} \
         GROUP BY k ORDER BY k",
        // In filters, and in the select list with scales that differ (0.125 has three).
        "SELECT count(*) AS c FROM {t} WHERE price * disc > 100 AND price - tax < 40000",
        "SELECT n, price * disc AS a, 2.5 * price AS b, price - 0.125 AS c, \
         CAST(price AS DECIMAL(20, 4)) + disc AS d, disc * tax * tax AS e \
         FROM {t} ORDER BY n LIMIT 40",
        // Thirty-digit values that stay within 128 bits, and their types.
        "SELECT n, big + big AS a, big - price AS b, arrow_typeof(big + big) AS ta, \
         arrow_typeof(price * (1 - disc)) AS tb FROM {t} ORDER BY n DESC LIMIT 5",
    ];
    for query in queries {
        let ours = rows(&engine, &query.replace("{t}", "gold.d")).await;
        let theirs = plain_rows(&plain, &query.replace("{t}", "d")).await;
        assert_eq!(ours, theirs, "{query}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_product_past_128_bits_is_an_error_as_in_datafusion() {
    let (_lake, engine, plain) = decimals().await;
    let query = "SELECT sum(big * big) AS s FROM {t}";
    let ours = query_error(&engine, &query.replace("{t}", "gold.d")).await;
    let theirs = match plain.sql(&query.replace("{t}", "d")).await {
        Ok(frame) => frame.collect().await.err(),
        Err(error) => Some(error),
    };
    let theirs = theirs
        .expect("plain DataFusion should fail too")
        .to_string();
    assert!(ours.contains("Overflow"), "{ours}");
    assert!(theirs.contains("Overflow"), "{theirs}");
}
