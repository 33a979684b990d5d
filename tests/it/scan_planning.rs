//! What the planner learns from a Delta scan: every column's bounds from the log (so joins are
//! sized from them), and filters that run above the reader unless the session asks for row
//! filters inside it, as for a plain Parquet table, or the filter is a lookup. Both seen where a
//! user sees them, in `EXPLAIN`, and neither changes an answer.

use std::ops::Range;

use lakeshore_engine::Engine;
use lakeshore_tests::write_lake;

use crate::lake_catalog::{open_lake, rows};

/// The physical plan of `sql`, as one text.
pub(crate) async fn physical_plan(engine: &Engine, sql: &str) -> String {
    rows(engine, &format!("EXPLAIN {sql}")).await.join("\n")
}

/// A lake with `gold.numbers`: `n` from 1 to 1000, written by the engine (so the log holds
/// its bounds); the folder lives as long as the first value.
async fn lake_with_numbers() -> (tempfile::TempDir, Engine) {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;
    rows(
        &engine,
        "CREATE TABLE gold.numbers AS SELECT value AS n FROM generate_series(1, 1000)",
    )
    .await;
    (lake, engine)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_logs_column_bounds_reach_the_planner_unless_statistics_are_turned_off() {
    let (_lake, engine) = lake_with_numbers().await;
    rows(&engine, "SET datafusion.explain.show_statistics = true").await;
    // No filter names `n`: the bounds can only come from the log.
    let plan = physical_plan(&engine, "SELECT n FROM gold.numbers").await;
    assert!(
        plan.contains("Min=Inexact(Int64(1)) Max=Inexact(Int64(1000))"),
        "{plan}"
    );
    rows(
        &engine,
        "SET datafusion.execution.collect_statistics = false",
    )
    .await;
    let plan = physical_plan(&engine, "SELECT n FROM gold.numbers").await;
    assert!(!plan.contains("Min="), "{plan}");
    assert_eq!(
        rows(
            &engine,
            "SELECT count(*) AS c, max(n) AS m FROM gold.numbers"
        )
        .await,
        ["c=1000 | m=1000"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_run_above_the_reader_unless_row_filters_are_asked_for() {
    let (_lake, engine) = lake_with_numbers().await;
    let query = "SELECT count(*) AS c FROM gold.numbers WHERE n % 7 = 3";
    let plan = physical_plan(&engine, query).await;
    assert!(plan.contains("FilterExec"), "{plan}");
    assert_eq!(rows(&engine, query).await, ["c=143"]);

    rows(
        &engine,
        "SET datafusion.execution.parquet.pushdown_filters = true",
    )
    .await;
    let plan = physical_plan(&engine, query).await;
    assert!(!plan.contains("FilterExec"), "{plan}");
    assert_eq!(rows(&engine, query).await, ["c=143"]);
}

/// [`lake_with_numbers`], and `gold.keys`: `k` in 5, 500, 999 and 5000.
async fn lake_with_numbers_and_keys() -> (tempfile::TempDir, Engine) {
    let (lake, engine) = lake_with_numbers().await;
    rows(
        &engine,
        "CREATE TABLE gold.keys AS SELECT * FROM (VALUES (5), (500), (999), (5000)) AS t(k)",
    )
    .await;
    (lake, engine)
}

/// The `output_rows` of the first plan line of `sql`'s `EXPLAIN ANALYZE` naming `operator`.
pub(crate) async fn output_rows(engine: &Engine, sql: &str, operator: &str) -> String {
    let plan = rows(engine, &format!("EXPLAIN ANALYZE {sql}"))
        .await
        .join("\n");
    let line = plan
        .lines()
        .find(|line| line.contains(operator))
        .unwrap_or_else(|| panic!("no {operator} in:\n{plan}"));
    let rows = line
        .split("output_rows=")
        .nth(1)
        .unwrap_or_else(|| panic!("no output_rows in: {line}"));
    rows.split([',', ']'])
        .next()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_joins_keys_filter_the_rows_scanned_under_an_aggregate_on_its_other_side() {
    let (_lake, engine) = lake_with_numbers_and_keys().await;
    let query = "SELECT n, c FROM (SELECT n, count(*) AS c FROM gold.numbers GROUP BY n) \
                 JOIN gold.keys ON n = k ORDER BY n";
    let answer = ["c=1 | n=5", "c=1 | n=500", "c=1 | n=999"];
    assert_eq!(rows(&engine, query).await, answer);
    // The join builds from the 4 keys; of the 1,000 numbers only the 3 that match are
    // grouped.
    assert_eq!(output_rows(&engine, query, "DynamicFiltersExec").await, "3");
    // Row filters inside the reader apply the same filters, and no operator is added.
    rows(
        &engine,
        "SET datafusion.execution.parquet.pushdown_filters = true",
    )
    .await;
    assert_eq!(rows(&engine, query).await, answer);
    let plan = physical_plan(&engine, query).await;
    assert!(!plan.contains("DynamicFiltersExec"), "{plan}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_joins_keys_are_not_looked_up_twice_when_the_join_reads_the_scan_itself() {
    let (_lake, engine) = lake_with_numbers_and_keys().await;
    // No ORDER BY: a sort between the scan and the join would be work worth saving.
    let query = "SELECT n FROM gold.numbers JOIN gold.keys ON n = k";
    let mut answer = rows(&engine, query).await;
    answer.sort();
    assert_eq!(answer, ["n=5", "n=500", "n=999"]);
    let plan = physical_plan(&engine, query).await;
    assert!(plan.contains("DynamicFilter"), "{plan}");
    assert!(!plan.contains("DynamicFiltersExec"), "{plan}");
}

/// A lake with `gold.many`, whose `n` is `many_from` for `value` from 1 to `row_count`, and
/// `gold.most`, whose `k` is `most_from` for `value` from 1 to `keys`.
pub(crate) async fn lake_to_join(
    many_from: &str,
    row_count: u32,
    most_from: &str,
    keys: u32,
) -> (tempfile::TempDir, Engine) {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;
    rows(
        &engine,
        &format!(
            "CREATE TABLE gold.many AS SELECT {many_from} AS n FROM generate_series(1, {row_count})"
        ),
    )
    .await;
    rows(
        &engine,
        &format!(
            "CREATE TABLE gold.most AS SELECT {most_from} AS k FROM generate_series(1, {keys})"
        ),
    )
    .await;
    (lake, engine)
}

/// How many groups of `gold.many`'s numbers have a key in `gold.most` (the filter of the join
/// reaches the scan under the aggregate).
pub(crate) const GROUPS_JOINED: &str = "SELECT count(*) AS c FROM \
    (SELECT n, count(*) AS per_n FROM gold.many GROUP BY n) JOIN gold.most ON n = k";

/// The rows, in thousands, that the first operator of `sql`'s `EXPLAIN ANALYZE` naming
/// `operator` let through.
pub(crate) async fn thousands_through(engine: &Engine, sql: &str, operator: &str) -> f64 {
    let through = output_rows(engine, sql, operator).await;
    through
        .strip_suffix(" K")
        .and_then(|thousands| thousands.parse().ok())
        .unwrap_or_else(|| panic!("{through} is not in thousands"))
}

/// Asserts that the rows `DynamicFiltersExec` let through in `query` are, in thousands, within
/// `expected`.
async fn assert_thousands_through(engine: &Engine, query: &str, expected: Range<f64>) {
    let thousands = thousands_through(engine, query, "DynamicFiltersExec").await;
    assert!(
        expected.contains(&thousands),
        "{thousands} K rows got through, not {expected:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dynamic_filters_that_keep_nearly_every_row_stop_being_applied() {
    // 950 keys, a list; each number 300 times.
    let (_lake, engine) = lake_to_join("value % 1000", 300_000, "value - 1", 950).await;
    let query = GROUPS_JOINED;
    assert_eq!(rows(&engine, query).await, ["c=950"]);
    // The filter keeps 95% of the rows; past the first 100,000 it lets every row through, so
    // about 295,000 get through instead of 285,000.
    assert_thousands_through(&engine, query, 290.0..300.0).await;
}

/// Sets `engine`'s session to split both sides of every join by a hash of the key, over 4
/// partitions, and checks that [`GROUPS_JOINED`]'s join is so planned.
pub(crate) async fn split_both_sides_of_joins(engine: &Engine) {
    for setting in [
        "datafusion.execution.target_partitions = 4",
        "datafusion.optimizer.hash_join_single_partition_threshold = 0",
        "datafusion.optimizer.hash_join_single_partition_threshold_rows = 0",
    ] {
        rows(engine, &format!("SET {setting}")).await;
    }
    let plan = physical_plan(engine, GROUPS_JOINED).await;
    assert!(plan.contains("mode=Partitioned"), "{plan}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_partitioned_joins_keys_filter_exactly_the_rows_that_match() {
    // 200 keys, every fifth number; each number 300 times.
    let (_lake, engine) = lake_to_join("value % 1000", 300_000, "value * 5 - 1", 200).await;
    // Both sides split by a hash of the key: the join's filter holds one list per partition.
    split_both_sides_of_joins(&engine).await;
    let query = GROUPS_JOINED;
    assert_eq!(rows(&engine, query).await, ["c=200"]);
    // The 300 rows of each of the 200 numbers with a key, and hardly any other (rows read
    // before the join has built are not tested).
    assert_thousands_through(&engine, query, 60.0..65.0).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dynamic_filters_that_look_keys_up_in_a_joins_hash_table_stop_unless_they_drop_most_rows() {
    // 270,000 keys, too many for a list: every number but the multiples of 10.
    let (_lake, engine) = lake_to_join("value", 300_000, "value + (value - 1) / 9", 270_000).await;
    let query = GROUPS_JOINED;
    assert_eq!(rows(&engine, query).await, ["c=270000"]);
    // Each stream's lookup keeps 90% of the first 100,000 rows it tests, dropping about 10,000,
    // then lets every row through: neither all 300,000 rows (never applied) nor 270,000 (applied
    // to every row) get through. Rows read before the join has built are never tested.
    assert_thousands_through(&engine, query, 272.0..298.0).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dynamic_filters_that_look_keys_up_in_a_joins_hash_table_drop_rows_when_few_match() {
    // 100,000 rows of keys, too many for a list, but only 1,000 distinct keys: 1 to 1,000.
    let (_lake, engine) = lake_to_join("value", 300_000, "value % 1000 + 1", 100_000).await;
    let query = GROUPS_JOINED;
    assert_eq!(rows(&engine, query).await, ["c=100000"]);
    let plan = physical_plan(&engine, query).await;
    assert!(plan.contains("DynamicFiltersExec"), "{plan}");
    // Hardly more than the 1,000 numbers with a key reach the aggregate (never applied, the
    // lookup would let all 300,000 through).
    assert_thousands_through(&engine, query, 1.0..10.0).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_partitioned_joins_lookups_filter_exactly_the_rows_that_match() {
    // The same keys as above, with both sides split by a hash of the key: the join's filter
    // looks each row's key up in every partition's hash table, not only its own partition's.
    let (_lake, engine) = lake_to_join("value", 300_000, "value % 1000 + 1", 100_000).await;
    split_both_sides_of_joins(&engine).await;
    let query = GROUPS_JOINED;
    assert_eq!(rows(&engine, query).await, ["c=100000"]);
    assert_thousands_through(&engine, query, 1.0..10.0).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dynamic_filters_test_only_the_rows_the_scans_own_filter_keeps() {
    // 100,000 rows of keys, a lookup, with 1,000 distinct even keys spread over all the numbers
    // (2, 302, ..., 299,702), so that their bounds skip no page.
    let (_lake, engine) = lake_to_join("value", 300_000, "value % 1000 * 300 + 2", 100_000).await;
    // The scan's own filter keeps the even numbers; 1,000 of them have a key, each 100 times.
    let query = "SELECT count(*) AS c FROM \
        (SELECT n, count(*) AS per_n FROM gold.many WHERE n % 2 = 0 GROUP BY n) \
        JOIN gold.most ON n = k";
    assert_eq!(rows(&engine, query).await, ["c=100000"]);
    let plan = physical_plan(&engine, query).await;
    let lines: Vec<&str> = plan.lines().collect();
    let filtered = lines
        .iter()
        .position(|line| line.contains("DynamicFiltersExec"))
        .unwrap_or_else(|| panic!("no DynamicFiltersExec in:\n{plan}"));
    assert!(
        lines[filtered + 1].contains("FilterExec: n@0 % 2 = 0"),
        "the dynamic filter is not applied to the scan's filtered rows:\n{plan}"
    );
    assert_eq!(
        output_rows(&engine, query, "FilterExec: n@0 % 2").await,
        "150.0 K"
    );
    assert_thousands_through(&engine, query, 0.9..5.0).await;
}

/// The rows the Parquet reader's row filters dropped in `sql`'s `EXPLAIN ANALYZE` (its first
/// scan), as the plan shows them.
async fn rows_dropped_in_reader(engine: &Engine, sql: &str) -> String {
    let plan = rows(engine, &format!("EXPLAIN ANALYZE {sql}"))
        .await
        .join("\n");
    let dropped = plan
        .split("pushdown_rows_pruned=")
        .nth(1)
        .unwrap_or_else(|| panic!("no pushdown_rows_pruned in:\n{plan}"));
    dropped
        .split([',', ']'])
        .next()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn lookups_filter_rows_in_the_reader_and_answer_as_a_filter_above_it() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;
    // Two commits, so several files; a partition column, which the reader never sees.
    let select = "SELECT value AS k, concat('name-', value) AS name, \
                  arrow_cast(value % 3000, 'Date32') AS d, value % 3 AS part";
    rows(
        &engine,
        &format!(
            "CREATE TABLE gold.lookups PARTITIONED BY (part) AS \
             {select} FROM generate_series(1, 40000)"
        ),
    )
    .await;
    rows(
        &engine,
        &format!("INSERT INTO gold.lookups {select} FROM generate_series(40001, 80000)"),
    )
    .await;

    // Each lookup against the same filter written so that the planner cannot size it (and so
    // filters above the reader): the same rows either way.
    let lookups = [
        ("k = 41234", "k % 1000000 = 41234"),
        ("d = DATE '1970-01-02'", "concat(d, '') = '1970-01-02'"),
        ("k = 77 AND part = 2", "k % 1000000 = 77 AND part = 2"),
        ("k = 1", "k % 1000000 = 1"),
    ];
    for (lookup, unestimated) in lookups {
        let query = |filter: &str| format!("SELECT * FROM gold.lookups WHERE {filter} ORDER BY k");
        let answer = rows(&engine, &query(lookup)).await;
        assert_eq!(answer, rows(&engine, &query(unestimated)).await, "{lookup}");
        assert_ne!(
            rows_dropped_in_reader(&engine, &query(lookup)).await,
            "0",
            "the reader should filter the rows of `{lookup}`"
        );
        assert_eq!(
            rows_dropped_in_reader(&engine, &query(unestimated)).await,
            "0",
            "`{unestimated}` should be filtered above the reader"
        );
    }
    assert_eq!(
        rows(&engine, "SELECT * FROM gold.lookups WHERE k = 41234").await,
        ["d=1976-02-13 | k=41234 | name=name-41234 | part=2"]
    );
    // A filter that keeps many rows stays above the reader.
    let many = "SELECT count(*) AS c FROM gold.lookups WHERE k % 7 = 3";
    assert_eq!(rows(&engine, many).await, ["c=11429"]);
    assert_eq!(rows_dropped_in_reader(&engine, many).await, "0");
}
