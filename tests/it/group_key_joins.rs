//! A join with an aggregate's groups on their group key and on an aggregate's value (a
//! correlated subquery such as TPC-H Q02's `cost = (SELECT min(cost) ... WHERE part = p_id)`)
//! hashes the group key alone and tests the value in its filter, so its dynamic filter keeps
//! the rows below the aggregate to the groups it can match. And it never changes an answer:
//! inner and semi joins, several group keys, null keys and values, values of several rows.

use lakeshore_engine::Engine;
use lakeshore_tests::write_lake;

use crate::filters_across_keys::answer_without_dynamic_filters;
use crate::lake_catalog::{open_lake, rows};
use crate::scan_planning::output_rows;

/// 20,000 parts of 50 kinds; 80,000 offers, four per part from 1,000 suppliers, every 13th
/// offer's cost unknown, every 101st offer for an unknown part, and two offers of one part at
/// its lowest cost where the part's number is a multiple of 7.
async fn lake_of_offers() -> (tempfile::TempDir, Engine) {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;
    for statement in [
        "CREATE TABLE gold.parts AS SELECT value AS p_id, value % 50 AS p_kind \
         FROM generate_series(1, 20000)",
        "CREATE TABLE gold.offers AS SELECT \
         CASE WHEN value % 101 = 0 THEN NULL ELSE value % 20000 + 1 END AS part, \
         value % 1000 AS supplier, \
         CASE WHEN value % 13 = 0 THEN NULL \
              WHEN (value % 20000 + 1) % 7 = 0 AND value <= 40000 THEN 1 \
              ELSE (value * 7919) % 500 + 1 END AS cost \
         FROM generate_series(1, 80000)",
    ] {
        rows(&engine, statement).await;
    }
    (lake, engine)
}

/// TPC-H Q02's shape: the offers of parts of one kind at their part's lowest cost.
const CHEAPEST_OFFERS: &str = "SELECT count(*) AS c, sum(supplier) AS s \
    FROM gold.parts JOIN gold.offers ON p_id = part \
    WHERE p_kind = 3 AND cost = (SELECT min(cost) FROM gold.offers AS o WHERE o.part = p_id)";

#[tokio::test(flavor = "multi_thread")]
async fn a_join_on_a_group_key_and_an_aggregate_filters_the_rows_below_the_aggregate() {
    // Turning the joins' dynamic filters off turns this rewrite off too.
    let (_lake, engine) = lake_of_offers().await;
    let query = CHEAPEST_OFFERS;
    let answer = rows(&engine, query).await;
    assert_eq!(answer, answer_without_dynamic_filters(&engine, query).await);
    assert_ne!(answer, ["c=0 | s="], "the query should find offers");

    let plan = rows(&engine, &format!("EXPLAIN {query}")).await.join("\n");
    let join = plan
        .lines()
        .find(|line| line.contains("HashJoinExec") && line.contains("min(o.cost)"))
        .unwrap_or_else(|| panic!("no join with the subquery in:\n{plan}"));
    assert!(
        join.contains("on=[(p_id@")
            && !join.contains("min(o.cost)@0)]")
            && join.contains("filter="),
        "{join}"
    );
    // The 400 parts of kind 3 have offers: the aggregate groups their offers only, not the
    // 20,000 parts' (with the join on both keys, it grouped them all).
    let groups = output_rows(&engine, query, "AggregateExec: mode=FinalPartitioned").await;
    let groups: usize = groups.parse().unwrap_or(usize::MAX);
    assert!(groups <= 400, "{groups} groups");
}

/// Groups of (part, supplier) joined on the part alone and the value: the join keeps both
/// keys, since a part has several groups.
const GROUP_KEY_LEFT_OUT: &str = "SELECT count(*) AS c FROM gold.offers AS o \
     JOIN (SELECT part, max(cost) AS top FROM gold.offers GROUP BY part, supplier) AS m \
       ON o.part = m.part AND o.cost = m.top \
     JOIN gold.parts ON p_id = o.part WHERE p_kind = 7";

#[tokio::test(flavor = "multi_thread")]
async fn a_join_keeps_its_keys_when_the_groups_are_not_unique_on_the_others() {
    let (_lake, engine) = lake_of_offers().await;
    let plan = rows(&engine, &format!("EXPLAIN {GROUP_KEY_LEFT_OUT}"))
        .await
        .join("\n");
    let join = plan
        .lines()
        .find(|line| line.contains("HashJoinExec") && line.contains("top@"))
        .unwrap_or_else(|| panic!("no join with the subquery in:\n{plan}"));
    assert!(!join.contains("filter="), "{join}");
}

/// Queries that join an aggregate's groups on keys and values, each finding rows.
const JOINS_WITH_GROUPS: &[&str] = &[
    CHEAPEST_OFFERS,
    // The same, with the subquery's rows written out: an inner join on the key and the value.
    "SELECT count(*) AS c, sum(o.supplier) AS s FROM gold.offers AS o \
     JOIN (SELECT part, min(cost) AS lowest FROM gold.offers GROUP BY part) AS m \
       ON o.part = m.part AND o.cost = m.lowest \
     JOIN gold.parts ON p_id = o.part WHERE p_kind < 5",
    // Two group keys, both joined, and the aggregate's value.
    "SELECT count(*) AS c FROM gold.offers AS o \
     JOIN (SELECT part, supplier, max(cost) AS top FROM gold.offers GROUP BY part, supplier) AS m \
       ON o.part = m.part AND o.supplier = m.supplier AND o.cost = m.top \
     JOIN gold.parts ON p_id = o.part WHERE p_kind = 7",
    // Not every group key joined: the join keeps both keys.
    "SELECT count(*) AS c FROM gold.offers AS o \
     JOIN (SELECT part, supplier, max(cost) AS top FROM gold.offers GROUP BY part, supplier) AS m \
       ON o.part = m.part AND o.cost = m.top \
     JOIN gold.parts ON p_id = o.part WHERE p_kind = 7",
    // A group key left out of the subquery's columns: its rows are not unique on the other.
    GROUP_KEY_LEFT_OUT,
    // A semi join on a key and a value, with a filter of its own.
    "SELECT count(*) AS c FROM gold.offers JOIN gold.parts ON p_id = part \
     WHERE p_kind = 9 AND EXISTS (SELECT 1 FROM \
       (SELECT part AS m_part, max(cost) AS top FROM gold.offers GROUP BY part) \
       WHERE m_part = part AND top = cost AND top > supplier % 400)",
    // A value that is null for the groups whose costs are all unknown, and null keys.
    "SELECT count(*) AS c FROM gold.offers AS o \
     JOIN (SELECT part, min(CASE WHEN cost > 250 THEN cost END) AS high FROM gold.offers \
           GROUP BY part) AS m \
       ON o.part = m.part AND o.cost = m.high \
     JOIN gold.parts ON p_id = o.part WHERE p_kind = 11",
    "SELECT count(*) AS c FROM gold.offers AS o \
     JOIN (SELECT part, min(cost) AS lowest FROM gold.offers GROUP BY part) AS m \
       ON o.part = m.part AND o.cost = m.lowest WHERE o.part IS NULL OR o.supplier < 10",
    // The aggregate's value compared with another type.
    "SELECT count(*) AS c FROM gold.offers AS o \
     JOIN (SELECT part, CAST(min(cost) AS DOUBLE) AS lowest FROM gold.offers GROUP BY part) AS m \
       ON o.part = m.part AND o.cost = m.lowest \
     JOIN gold.parts ON p_id = o.part WHERE p_kind = 13",
];

#[tokio::test(flavor = "multi_thread")]
async fn joins_with_an_aggregates_groups_answer_as_without_the_rewrite() {
    let (_lake, engine) = lake_of_offers().await;
    for query in JOINS_WITH_GROUPS {
        let answer = rows(&engine, query).await;
        assert_eq!(
            answer,
            answer_without_dynamic_filters(&engine, query).await,
            "{query}"
        );
        assert!(
            !answer.is_empty() && answer[0] != "c=0",
            "{query}: {answer:?}"
        );
    }
}
