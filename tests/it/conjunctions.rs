//! A `WHERE` of several `AND`ed conjuncts keeps exactly the rows every conjunct passes, however
//! the engine orders and narrows its tests (`engine/src/narrowing_and/`), and a conjunct that
//! can fail, such as a division, is not tested on rows an earlier guard dropped.

use lakeshore_engine::Engine;
use lakeshore_tests::write_lake;

use crate::lake_catalog::{open_lake, rows};

/// `gold.t`: 50,000 rows over several batches. `g` is 0 on one row in ten, and `x` is 0 on all
/// others and on a seventh of those; `m` null on one row in three, `s` one of five words.
async fn lake_of_mixed_columns() -> (tempfile::TempDir, Engine) {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;
    rows(
        &engine,
        "CREATE TABLE gold.t AS SELECT value AS n, value % 10 AS g, \
         CASE WHEN value % 10 = 0 THEN value % 7 ELSE 0 END AS x, \
         CASE WHEN value % 3 = 0 THEN NULL ELSE value % 11 END AS m, \
         CASE value % 5 WHEN 0 THEN 'MAIL' WHEN 1 THEN 'SHIP' WHEN 2 THEN 'AIR' \
         WHEN 3 THEN 'RAIL' ELSE 'TRUCK' END AS s \
         FROM generate_series(1, 50000)",
    )
    .await;
    (lake, engine)
}

/// The count and sum of `n` of the rows `predicate` keeps as a `WHERE` on `gold.t`, and the
/// same counted by a `CASE` in the select list, which DataFusion evaluates as written.
pub(crate) async fn filtered_and_counted(
    engine: &Engine,
    predicate: &str,
) -> (Vec<String>, Vec<String>) {
    let filtered = rows(
        engine,
        &format!("SELECT count(*) AS c, coalesce(sum(n), 0) AS s FROM gold.t WHERE {predicate}"),
    )
    .await;
    let counted = rows(
        engine,
        &format!(
            "SELECT sum(CASE WHEN {predicate} THEN 1 ELSE 0 END) AS c, \
             sum(CASE WHEN {predicate} THEN n ELSE 0 END) AS s FROM gold.t"
        ),
    )
    .await;
    (filtered, counted)
}

#[tokio::test(flavor = "multi_thread")]
async fn chains_of_conjuncts_keep_exactly_the_rows_all_of_them_pass() {
    let (_lake, engine) = lake_of_mixed_columns().await;
    let predicates = [
        // Selective first, then broad; broad first, then selective.
        "n % 50 = 0 AND n > 100",
        "n > 100 AND n % 50 = 0 AND s <> 'AIR'",
        // Nulls: a conjunct that is null on a third of the rows drops them.
        "m > 3 AND n < 40000",
        "n < 40000 AND m > 3 AND s IN ('MAIL', 'SHIP')",
        "m IS NULL AND n % 4 = 1 AND s LIKE 'T%'",
        // Conjuncts that keep everything, or nothing past the first batches.
        "n > 0 AND n < 100000 AND s IS NOT NULL",
        "n < 9000 AND n % 7 = 3 AND n > 8990",
        "n > 0 AND n < 0 AND m = 1",
        // Fragmented survivors over every batch, five conjuncts deep.
        "n % 3 <> 0 AND n % 5 <> 0 AND n % 7 <> 0 AND s <> 'RAIL' AND m < 9",
        "s = 'MAIL' AND (n % 9 = 2 OR m = 4) AND NOT (n BETWEEN 1000 AND 2000) AND x = 0",
        // Dear tests left after a conjunct that keeps more than a fifth (TPC-H Q19's shape):
        // the rows kept are copied out before them.
        "s IN ('MAIL', 'SHIP', 'AIR') AND (s = 'MAIL' OR s = 'AIR') AND (n % 10 < 3 OR m = 2)",
        "s <> 'RAIL' AND (s = 'SHIP' OR s = 'TRUCK') AND m > 2",
        // A conjunct that can fail (arithmetic) among ones that cannot.
        "n + 1 > 10 AND s <> 'SHIP' AND n * 2 < 90000",
    ];
    for predicate in predicates {
        let (filtered, counted) = filtered_and_counted(&engine, predicate).await;
        assert_eq!(filtered, counted, "WHERE {predicate}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_guard_keeps_a_division_from_the_rows_it_drops() {
    let (_lake, engine) = lake_of_mixed_columns().await;
    // `x <> 0` keeps under a tenth of the rows: were the division moved before the guard, or
    // tested on the rows the guard dropped, it would divide by zero.
    for predicate in [
        "x <> 0 AND 100 / x > 30 AND s = 'MAIL'",
        "s <> 'AIR' AND x <> 0 AND 100 / x > 30 AND m > 2",
        "x <> 0 AND s = 'MAIL' AND 100 / x > 30",
        // The guard drops few of the rows a first conjunct left: the division still tests
        // only the rows both kept.
        "g = 0 AND x <> 0 AND 100 / x > 30",
        // A guard that costs more than the division after it.
        "NOT (s NOT LIKE '%A%L%' OR x = 0) AND 100 / x > 30",
    ] {
        let filtered = rows(
            &engine,
            &format!("SELECT count(*) AS c FROM gold.t WHERE {predicate}"),
        )
        .await;
        let counted = rows(
            &engine,
            &format!(
                "SELECT sum(CASE WHEN {} THEN 1 ELSE 0 END) AS c FROM gold.t",
                // The same test, with the division only where the guard holds.
                predicate.replace("100 / x > 30", "CASE WHEN x <> 0 THEN 100 / x > 30 END")
            ),
        )
        .await;
        assert_eq!(filtered, counted, "WHERE {predicate}");
        assert_ne!(filtered, vec!["c=0".to_string()], "WHERE {predicate}");
    }
}
