//! A join's dynamic filter on a key also filters the scans of the columns that inner joins
//! below made equal to it: in TPC-H Q05 the nations of one region filter the customers, whose
//! join with the suppliers made `c_nationkey = s_nationkey`. And it never changes an answer:
//! outer, semi and anti joins, null keys, keys of other types, renamed columns and partitioned
//! joins all answer as they do with no dynamic filters.

use lakeshore_engine::Engine;
use lakeshore_tests::write_lake;

use crate::lake_catalog::{open_lake, rows};
use crate::scan_planning::{physical_plan, thousands_through};

/// A lake shaped like TPC-H's: 20,000 customers in 25 nations (every 101st nation unknown),
/// 1,000 suppliers, 200,000 sales (every 97th customer unknown), and 25 nations in 5 regions.
async fn lake_of_sales() -> (tempfile::TempDir, Engine) {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;
    for statement in [
        "CREATE TABLE gold.customers AS SELECT value AS c_id, \
         CASE WHEN value % 101 = 0 THEN NULL ELSE value % 25 END AS c_nation \
         FROM generate_series(1, 20000)",
        "CREATE TABLE gold.suppliers AS SELECT value AS s_id, value % 25 AS s_nation, \
         CAST(value % 25 AS INT) AS s_nation_int FROM generate_series(1, 1000)",
        "CREATE TABLE gold.sales AS SELECT \
         CASE WHEN value % 97 = 0 THEN NULL ELSE value % 20000 + 1 END AS cust, \
         value % 999 + 1 AS supp, value AS amount FROM generate_series(1, 200000)",
        "CREATE TABLE gold.nations AS SELECT value AS n, value % 5 AS region \
         FROM generate_series(0, 24)",
    ] {
        rows(&engine, statement).await;
    }
    (lake, engine)
}

/// TPC-H Q05's joins: sales of one region by suppliers to customers of the same nation.
const SALES_IN_ONE_REGION: &str = "SELECT count(*) AS c, sum(amount) AS total \
    FROM gold.customers, gold.sales, gold.suppliers, gold.nations \
    WHERE c_id = cust AND supp = s_id AND c_nation = s_nation AND s_nation = n AND region = 0";

/// `sql`'s answer with the joins' dynamic filters turned off.
pub(crate) async fn answer_without_dynamic_filters(engine: &Engine, sql: &str) -> Vec<String> {
    let setting = "datafusion.optimizer.enable_join_dynamic_filter_pushdown";
    rows(engine, &format!("SET {setting} = false")).await;
    let answer = rows(engine, sql).await;
    rows(engine, &format!("SET {setting} = true")).await;
    answer
}

#[tokio::test(flavor = "multi_thread")]
async fn a_joins_filter_on_a_key_reaches_the_scan_of_a_column_made_equal_to_it_below() {
    let (_lake, engine) = lake_of_sales().await;
    let query = SALES_IN_ONE_REGION;
    let answer = rows(&engine, query).await;
    assert_eq!(answer, answer_without_dynamic_filters(&engine, query).await);
    assert_ne!(answer, ["c=0 | total="], "the query should find sales");
    // The customers' scan holds the nations of region 0 once they are known. How many rows it
    // drops depends on when it starts: here the customers are collected whole for a join, and
    // that starts with the query (see the partitioned test below for the rows).
    let plan = rows(&engine, &format!("EXPLAIN ANALYZE {query}"))
        .await
        .join("\n");
    let customers = "DynamicFiltersExec: DynamicFilter [ c_nation@1 >= 0 AND c_nation@1 <= 20 \
                     AND c_nation@1 IN (SET) ([0, 5, 10, 15, 20]) ]";
    assert!(plan.contains(customers), "{plan}");
    rows(
        &engine,
        "SET datafusion.optimizer.enable_join_dynamic_filter_pushdown = false",
    )
    .await;
    let plan = physical_plan(&engine, query).await;
    assert!(!plan.contains("DynamicFiltersExec"), "{plan}");
}

/// Queries whose joins could carry a filter across keys where it does not hold, each with
/// sales to find.
const JOINS_OF_EVERY_KIND: &[&str] = &[
    SALES_IN_ONE_REGION,
    // A left join where the keys are made equal: a customer without sales stays.
    "SELECT count(*) AS c, count(amount) AS sold FROM gold.customers \
     LEFT JOIN gold.sales ON c_id = cust \
     JOIN gold.suppliers ON supp = s_id AND c_nation = s_nation \
     JOIN gold.nations ON s_nation = n WHERE region = 0",
    // The filtered key on the side a left join keeps whole.
    "SELECT count(*) AS c, count(s_id) AS supplied FROM gold.customers \
     LEFT JOIN gold.suppliers ON c_nation = s_nation AND c_id = s_id \
     JOIN gold.nations ON c_nation = n WHERE region = 0",
    // The filtered key on the side a right join fills with nulls.
    "SELECT count(*) AS c, count(c_id) AS known FROM gold.customers \
     RIGHT JOIN gold.suppliers ON c_nation = s_nation AND c_id = s_id \
     JOIN gold.nations ON s_nation = n WHERE region = 1",
    // A full join, then a join on either side's key.
    "SELECT count(*) AS c FROM gold.customers \
     FULL JOIN gold.suppliers ON c_nation = s_nation AND c_id = s_id \
     JOIN gold.nations ON coalesce(c_nation, s_nation) = n WHERE region = 2",
    // Semi and anti joins.
    "SELECT count(*) AS c FROM gold.customers JOIN gold.nations ON c_nation = n \
     WHERE region = 3 AND c_nation IN (SELECT s_nation FROM gold.suppliers WHERE s_id < 100)",
    "SELECT count(*) AS c FROM gold.customers JOIN gold.nations ON c_nation = n \
     WHERE region = 3 AND NOT EXISTS (SELECT 1 FROM gold.sales WHERE cust = c_id AND supp < 500)",
    "SELECT count(*) AS c FROM gold.customers JOIN gold.nations ON c_nation = n \
     WHERE region = 4 AND c_id NOT IN (SELECT cust FROM gold.sales WHERE supp < 500)",
    // Keys of two types: the join compares them cast.
    "SELECT count(*) AS c, sum(amount) AS total \
     FROM gold.customers, gold.sales, gold.suppliers, gold.nations \
     WHERE c_id = cust AND supp = s_id AND c_nation = s_nation_int AND s_nation_int = n \
     AND region = 0",
    // Columns renamed under the joins.
    "SELECT count(*) AS c, sum(amount) AS total \
     FROM (SELECT c_id AS who, c_nation AS place FROM gold.customers) AS c \
     JOIN gold.sales ON who = cust \
     JOIN (SELECT s_id AS id, s_nation AS place FROM gold.suppliers) AS s \
       ON supp = id AND c.place = s.place \
     JOIN gold.nations ON s.place = n WHERE region = 0",
    // Two columns of one name in the joins' output.
    "SELECT count(*) AS c, sum(amount) AS total \
     FROM (SELECT c_id AS id, c_nation AS nation FROM gold.customers) AS c \
     JOIN gold.sales ON c.id = cust \
     JOIN (SELECT s_id AS id, s_nation AS nation FROM gold.suppliers) AS s \
       ON supp = s.id AND c.nation = s.nation \
     JOIN gold.nations ON s.nation = n WHERE region = 0",
    // Null keys on both sides of the joins that make them equal.
    "SELECT count(*) AS c FROM gold.sales JOIN gold.customers ON cust = c_id \
     JOIN gold.nations ON c_nation = n WHERE region = 0 AND cust IS NULL",
];

/// Asserts that every query of [`JOINS_OF_EVERY_KIND`] answers as it does with no dynamic
/// filters, and finds rows.
async fn assert_every_kind_answers_alike(engine: &Engine) {
    for query in JOINS_OF_EVERY_KIND {
        let answer = rows(engine, query).await;
        assert_eq!(
            answer,
            answer_without_dynamic_filters(engine, query).await,
            "{query}"
        );
        assert!(!answer.is_empty(), "{query}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_copied_across_keys_never_change_an_answer() {
    let (_lake, engine) = lake_of_sales().await;
    assert_every_kind_answers_alike(&engine).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn partitioned_joins_filters_reach_the_rows_read_across_keys_and_change_no_answer() {
    // Both sides of every join split by a hash of the key over 4 partitions: each partition's
    // filter holds its own keys, and a copy must find a key's partition as the original does.
    let (_lake, engine) = lake_of_sales().await;
    for setting in [
        "datafusion.execution.target_partitions = 4",
        "datafusion.optimizer.hash_join_single_partition_threshold = 0",
        "datafusion.optimizer.hash_join_single_partition_threshold_rows = 0",
    ] {
        rows(&engine, &format!("SET {setting}")).await;
    }
    let plan = physical_plan(&engine, SALES_IN_ONE_REGION).await;
    assert!(plan.contains("mode=Partitioned"), "{plan}");
    // Region 0 has the nations 0, 5, 10, 15 and 20: of the 20,000 customers, those whose
    // number is a multiple of 5, but the 39 whose nation is unknown (multiples of 505). A
    // partitioned join starts reading a side only once the join above has built its table,
    // so the customers are read after the nations are known.
    let through = thousands_through(
        &engine,
        SALES_IN_ONE_REGION,
        "DynamicFiltersExec: DynamicFilter [ CASE hash_repartition % 4 WHEN 0 THEN c_nation",
    )
    .await;
    assert!(
        (3.96..5.0).contains(&through),
        "{through} K customers got through"
    );
    assert_every_kind_answers_alike(&engine).await;
}
