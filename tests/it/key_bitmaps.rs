//! A join's integer keys, collected from its build side into a bitmap, filter the rows of the
//! scan of its other side, under the first join above it too; and never change an answer.

use lakeshore_engine::Engine;

use crate::lake_catalog::rows;
use crate::scan_planning::{lake_to_join, split_both_sides_of_joins, thousands_through};

#[tokio::test(flavor = "multi_thread")]
async fn many_keys_filter_the_rows_of_the_scan_under_the_first_join_above_it() {
    // 20,000 keys, every third number, too many for a list: the join's filter is a lookup,
    // which the scan leaves to the join right above it; the bitmap it tests itself.
    let (_lake, engine) = lake_to_join("value", 300_000, "value * 3", 20_000).await;
    let query = "SELECT count(*) AS c FROM gold.many JOIN gold.most ON n = k";
    assert_eq!(rows(&engine, query).await, ["c=20000"]);
    // Exactly the 20,000 numbers with a key reach the join: rows read before the join has
    // built wait for it.
    let through = thousands_through(&engine, query, "DynamicFiltersExec").await;
    assert_eq!(through, 20.0);
}

/// Counts and sums of `gold.many`'s numbers joined with `gold.most`'s keys, as inner, semi,
/// anti and outer joins: on the integer keys (tested by a bitmap where the join may filter its
/// other side) and on their text (no bitmap), in turn.
async fn assert_joins_agree_with_their_text_keys(engine: &Engine) {
    let joins = [
        "SELECT count(*) AS c, sum(n) AS s FROM gold.many JOIN gold.most ON {n} = {k}",
        "SELECT count(*) AS c, sum(n) AS s FROM gold.many WHERE {n} IN (SELECT {k} FROM gold.most)",
        "SELECT count(*) AS c, sum(k) AS s FROM gold.most WHERE {k} IN (SELECT {n} FROM gold.many)",
        "SELECT count(*) AS c, sum(n) AS s FROM gold.many \
         WHERE NOT EXISTS (SELECT 1 FROM gold.most WHERE {k} = {n})",
        "SELECT count(n) AS c, sum(k) AS s FROM gold.most LEFT JOIN gold.many ON {n} = {k}",
        "SELECT count(k) AS c, sum(n) AS s FROM gold.most RIGHT JOIN gold.many ON {n} = {k}",
    ];
    for join in joins {
        let integers = join.replace("{n}", "n").replace("{k}", "k");
        let texts = join
            .replace("{n}", "CAST(n AS VARCHAR)")
            .replace("{k}", "CAST(k AS VARCHAR)");
        let answer = rows(engine, &integers).await;
        assert_eq!(answer, rows(engine, &texts).await, "{integers}");
        assert_ne!(answer, ["c=0 | s="], "{integers}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn key_bitmaps_never_change_an_answer() {
    // Negative keys, null keys on both sides, keys at both ends of their range, repeats; as
    // 64-bit and 32-bit integers, with the build side collected whole and split by the key.
    let many = "CASE WHEN value % 97 = 0 THEN NULL ELSE value - 150000 END";
    let most = "CASE WHEN value % 101 = 0 THEN NULL ELSE value * 7 - 150000 + value % 2 END";
    for (many, most) in [
        (many.to_string(), most.to_string()),
        (
            format!("CAST({many} AS INT)"),
            format!("CAST({most} AS INT)"),
        ),
    ] {
        let (_lake, engine) = lake_to_join(&many, 300_000, &most, 40_000).await;
        let bitmap_kept = thousands_through(
            &engine,
            "SELECT count(*) AS c FROM gold.many JOIN gold.most ON n = k",
            "DynamicFiltersExec",
        )
        .await;
        assert!(bitmap_kept < 100.0, "{bitmap_kept} K rows got through");
        assert_joins_agree_with_their_text_keys(&engine).await;
        split_both_sides_of_joins(&engine).await;
        assert_joins_agree_with_their_text_keys(&engine).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recursive_query_joins_each_round_with_its_own_keys() {
    // Each round of the recursive term joins 10,000 new keys with `gold.many`: a filter kept
    // from an earlier round would drop every row of the next (and a scan that waited for the
    // join to set it again waited for ever).
    let (_lake, engine) = lake_to_join("value", 10_000, "value", 1).await;
    rows(
        &engine,
        "INSERT INTO gold.many SELECT value FROM generate_series(10001, 50000)",
    )
    .await;
    // The round's keys on the build side, `gold.many` read on the other.
    rows(&engine, "SET datafusion.optimizer.join_reordering = false").await;
    let query = "WITH RECURSIVE r(n, depth) AS ( \
                     SELECT value, 0 FROM generate_series(1, 10000) \
                     UNION ALL \
                     SELECT n + 10000, depth + 1 FROM ( \
                         SELECT m.n, r.depth FROM r JOIN gold.many m ON m.n = r.n \
                     ) WHERE depth < 3) \
                 SELECT count(*) AS c, sum(n) AS s FROM r";
    assert_eq!(rows(&engine, query).await, ["c=40000 | s=800020000"]);
}
