//! A `LIKE` of substrings between `%`s (`'%special%requests%'`, TPC-H Q13's) keeps the rows
//! DataFusion's `LIKE` keeps, searched for substring by substring: overlapping and repeated
//! substrings, substrings in the other order, text that is not ASCII, nulls, and `NOT LIKE`.

use lakeshore_tests::write_lake;

use crate::conjunctions::filtered_and_counted;
use crate::lake_catalog::{open_lake, rows};
use crate::scan_planning::physical_plan;

#[tokio::test(flavor = "multi_thread")]
async fn likes_of_substrings_in_order_keep_the_rows_a_regular_expression_keeps() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;
    // 60,000 notes of three words each (every 17th null), over several batches.
    rows(
        &engine,
        "CREATE TABLE gold.t AS SELECT value AS n, \
         CASE WHEN value % 17 = 0 THEN NULL ELSE concat( \
           CASE value % 4 WHEN 0 THEN 'special' WHEN 1 THEN 'requests' \
             WHEN 2 THEN 'spécial' ELSE 'quick' END, ' ', \
           CASE value % 5 WHEN 0 THEN 'requests' WHEN 1 THEN 'special' \
             WHEN 2 THEN 'pending' WHEN 3 THEN 'spec' ELSE 'ial requests' END, ' ', \
           CASE value % 3 WHEN 0 THEN 'deposits' WHEN 1 THEN 'requests' ELSE '' END) \
         END AS note FROM generate_series(1, 60000)",
    )
    .await;
    let predicates = [
        "note LIKE '%special%requests%'",
        "note NOT LIKE '%special%requests%'",
        "note LIKE '%requests%special%'",
        // Overlapping: `spec` then `ial` inside one word, or across two.
        "note LIKE '%spec%ial%'",
        "note LIKE '%%special%%requests%%deposits%'",
        "note LIKE '%é%requests%'",
        "n % 2 = 0 AND note NOT LIKE '%special%requests%' AND n > 100",
    ];
    for predicate in predicates {
        let (filtered, counted) = filtered_and_counted(&engine, predicate).await;
        assert_eq!(filtered, counted, "WHERE {predicate}");
        assert_ne!(
            filtered,
            ["c=0 | s=0"],
            "WHERE {predicate} should keep rows"
        );
    }
    let plan = physical_plan(
        &engine,
        "SELECT n FROM gold.t WHERE note NOT LIKE '%special%requests%'",
    )
    .await;
    assert!(
        plan.contains("NOT LIKE %special%requests% (substrings in order)"),
        "{plan}"
    );
    // A `_` keeps DataFusion's `LIKE`.
    let plan = physical_plan(
        &engine,
        "SELECT n FROM gold.t WHERE note LIKE '%spec_al%req%'",
    )
    .await;
    assert!(!plan.contains("substrings in order"), "{plan}");
}
