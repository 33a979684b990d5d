//! How a hash join is run: a side small beside the other is collected whole into one hash
//! table, so the larger side is not repartitioned; sides of like size are both partitioned, so
//! that every thread builds. How small is small depends on the threads: with 4 partitions, a
//! fifth of the other side; with 2, any smaller side.
//! DataFusion's own thresholds (128 K rows) are lowered here so that small tables show it.

use lakeshore_engine::Engine;
use lakeshore_tests::write_lake;

use crate::lake_catalog::{open_lake, rows};

/// A lake with `gold.large` (`n` from 1 to 100,000), `gold.like` (`n` from 1 to 20,000) and
/// `gold.small` (`k`, every tenth number from 10 to 50,000: 5,000 keys), and a session in which
/// DataFusion alone would partition any join of more than 1,000 rows a side.
async fn lake_of_three_sizes() -> (tempfile::TempDir, Engine) {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;
    for statement in [
        "CREATE TABLE gold.large AS SELECT value AS n FROM generate_series(1, 100000)",
        "CREATE TABLE gold.like AS SELECT value AS n FROM generate_series(1, 20000)",
        "CREATE TABLE gold.small AS SELECT value * 10 AS k FROM generate_series(1, 5000)",
        "SET datafusion.execution.target_partitions = 4",
        "SET datafusion.optimizer.hash_join_single_partition_threshold = 1000",
        "SET datafusion.optimizer.hash_join_single_partition_threshold_rows = 1000",
    ] {
        rows(&engine, statement).await;
    }
    (lake, engine)
}

/// The modes of the hash joins in `sql`'s physical plan, in plan order.
async fn join_modes(engine: &Engine, sql: &str) -> Vec<String> {
    let plan = rows(engine, &format!("EXPLAIN {sql}")).await.join("\n");
    plan.split("HashJoinExec: mode=")
        .skip(1)
        .map(|rest| rest.split(',').next().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_side_small_beside_the_other_is_collected_whole() {
    let (_lake, engine) = lake_of_three_sizes().await;
    // 5,000 keys against 100,000 rows: collected, whichever side the query names first.
    for query in [
        "SELECT count(*) AS c FROM gold.large JOIN gold.small ON n = k",
        "SELECT count(*) AS c FROM gold.small JOIN gold.large ON n = k",
    ] {
        assert_eq!(join_modes(&engine, query).await, ["CollectLeft"], "{query}");
        assert_eq!(rows(&engine, query).await, ["c=5000"], "{query}");
    }
    // 5,000 against 20,000: both sides partitioned, as DataFusion would, with 4 threads to
    // build; collected with 2.
    let query = "SELECT count(*) AS c FROM gold.like JOIN gold.small ON n = k";
    assert_eq!(join_modes(&engine, query).await, ["Partitioned"]);
    assert_eq!(rows(&engine, query).await, ["c=2000"]);
    rows(&engine, "SET datafusion.execution.target_partitions = 2").await;
    assert_eq!(join_modes(&engine, query).await, ["CollectLeft"]);
    assert_eq!(rows(&engine, query).await, ["c=2000"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn collected_joins_of_every_type_keep_their_answers() {
    let (_lake, engine) = lake_of_three_sizes().await;
    // Each join's answer, worked out from the tables' definitions: 5,000 of the large side's
    // numbers are keys, and every key is one of them; 500 keys times 20 are among them too.
    for (query, answer) in [
        (
            "SELECT count(*) AS c FROM gold.large LEFT JOIN gold.small ON n = k",
            "c=100000",
        ),
        (
            "SELECT count(k) AS c FROM gold.large LEFT JOIN gold.small ON n = k",
            "c=5000",
        ),
        (
            "SELECT count(*) AS c FROM gold.small LEFT JOIN gold.large ON n = k * 20",
            "c=5000",
        ),
        (
            "SELECT count(n) AS c FROM gold.small LEFT JOIN gold.large ON n = k * 20",
            "c=500",
        ),
        (
            "SELECT count(*) AS c FROM gold.large RIGHT JOIN gold.small ON n = k * 20",
            "c=5000",
        ),
        (
            "SELECT count(*) AS c FROM gold.large FULL JOIN gold.small ON n = k * 20",
            "c=104500",
        ),
        (
            "SELECT count(*) AS c FROM gold.large WHERE n IN (SELECT k FROM gold.small)",
            "c=5000",
        ),
        (
            "SELECT count(*) AS c FROM gold.large WHERE n NOT IN (SELECT k FROM gold.small)",
            "c=95000",
        ),
        (
            "SELECT count(*) AS c FROM gold.small WHERE NOT EXISTS \
             (SELECT 1 FROM gold.large WHERE n = k * 20)",
            "c=4500",
        ),
    ] {
        assert_eq!(rows(&engine, query).await, [answer], "{query}");
        assert!(
            join_modes(&engine, query)
                .await
                .iter()
                .all(|mode| mode == "CollectLeft"),
            "{query}: {:?}",
            join_modes(&engine, query).await
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_threshold_of_zero_keeps_every_join_partitioned() {
    let (_lake, engine) = lake_of_three_sizes().await;
    rows(
        &engine,
        "SET datafusion.optimizer.hash_join_single_partition_threshold_rows = 0",
    )
    .await;
    rows(
        &engine,
        "SET datafusion.optimizer.hash_join_single_partition_threshold = 0",
    )
    .await;
    let query = "SELECT count(*) AS c FROM gold.large JOIN gold.small ON n = k";
    assert_eq!(join_modes(&engine, query).await, ["Partitioned"]);
    assert_eq!(rows(&engine, query).await, ["c=5000"]);
}

/// The rows the planner expects the filter of `sql`'s plan to keep, as `EXPLAIN` shows them.
async fn filter_estimate(engine: &Engine, sql: &str) -> String {
    rows(engine, "SET datafusion.explain.show_statistics = true").await;
    let plan = rows(engine, &format!("EXPLAIN {sql}")).await.join("\n");
    rows(engine, "SET datafusion.explain.show_statistics = false").await;
    let filter = plan.split("FilterExec: ").nth(1).unwrap_or_default();
    let rows = filter.split("Rows=").nth(1).unwrap_or_default();
    rows.split(',').next().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_negation_is_expected_to_keep_what_its_predicate_drops() {
    let (_lake, engine) = lake_of_three_sizes().await;
    rows(
        &engine,
        "CREATE TABLE gold.notes AS SELECT value AS n, \
         CASE WHEN value % 100 = 0 THEN 'special requests' ELSE 'plain' END AS comment \
         FROM generate_series(1, 20000)",
    )
    .await;
    // DataFusion expects a `LIKE` it cannot analyse to keep a fifth of the rows; its
    // negation now keeps the other four fifths (TPC-H Q13's `NOT LIKE` keeps 99%), and `k`
    // negations 0.8 to the power `k` of them.
    for (filter, expected) in [
        ("comment LIKE '%special%requests%'", "Inexact(4000)"),
        ("comment NOT LIKE '%special%requests%'", "Inexact(16000)"),
        // DataFusion writes a short `NOT IN` list as three `<>`s: 51% (in whole percent).
        ("n NOT IN (1, 2, 3)", "Inexact(10200)"),
        (
            "comment NOT LIKE '%special%' AND comment NOT LIKE '%requests%'",
            "Inexact(12800)",
        ),
        // A negation beside another conjunct keeps DataFusion's estimate.
        (
            "comment NOT LIKE '%special%' AND comment LIKE 'p%'",
            "Inexact(4000)",
        ),
    ] {
        let query = format!("SELECT n FROM gold.notes WHERE {filter}");
        assert_eq!(filter_estimate(&engine, &query).await, expected, "{filter}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_join_builds_from_a_join_on_a_composite_key_that_makes_fewer_rows() {
    let (_lake, engine) = lake_of_three_sizes().await;
    // `gold.pairs` has one row per pair (a, b), 1,000 a's times 20 b's; `gold.facts`, 5,000
    // rows, each with a pair and a number `n` of `gold.large`.
    for statement in [
        "CREATE TABLE gold.pairs AS SELECT (value - 1) / 20 + 1 AS a, (value - 1) % 20 + 1 AS b \
         FROM generate_series(1, 20000)",
        "CREATE TABLE gold.facts AS SELECT value % 1000 + 1 AS fa, value % 20 + 1 AS fb, \
         value * 20 AS fn FROM generate_series(1, 5000)",
    ] {
        rows(&engine, statement).await;
    }
    // Every fact finds its pair (5,000 rows), then its number. DataFusion reckons the pairs'
    // join from one key at a time (5,000 × 20,000 / 1,000 = 100,000 rows) and would build the
    // next join's table from the 100,000 numbers; with the pair counted as one key, the facts'
    // 5,000 rows build it. (Only partitioned joins change: a side collected whole is left.)
    for setting in [
        "datafusion.optimizer.hash_join_single_partition_threshold = 0",
        "datafusion.optimizer.hash_join_single_partition_threshold_rows = 0",
    ] {
        rows(&engine, &format!("SET {setting}")).await;
    }
    let query = "SELECT count(*) AS c FROM gold.facts \
                 JOIN gold.pairs ON fa = a AND fb = b JOIN gold.large ON fn = n";
    assert_eq!(rows(&engine, query).await, ["c=5000"]);
    let plan = rows(&engine, &format!("EXPLAIN ANALYZE {query}"))
        .await
        .join("\n");
    let number_join = plan
        .lines()
        .find(|line| line.contains("HashJoinExec") && line.contains("n@"))
        .unwrap_or_else(|| panic!("no join on the numbers in:\n{plan}"));
    assert!(
        number_join.contains("build_input_rows=5.00 K"),
        "{number_join}"
    );
    assert_eq!(
        join_modes(&engine, query).await,
        ["Partitioned", "Partitioned"]
    );
    // Turned off with DataFusion's own join reordering, the answer stays.
    rows(&engine, "SET datafusion.optimizer.join_reordering = false").await;
    assert_eq!(rows(&engine, query).await, ["c=5000"]);
}
