//! `table_changes`: the change data feed, as the `deltalake` Python package reads it.

use lakeshore_tests::{
    assert_same_rows, collect, delta_writer, engine_without_lake, query_error,
    read_changes_as_written,
};

use crate::delta_log::{HistoryLake, LATEST, commit_time};
use crate::lake_catalog::rows;

#[tokio::test(flavor = "multi_thread")]
async fn changes_read_as_the_writer_recorded_them() {
    let lake = HistoryLake::new().await;
    let table = lake.table("orders_cdf");
    for (start, end) in [(0, LATEST), (2, 4)] {
        let expected = read_changes_as_written(&table, start, end).await;
        let sql = format!("SELECT * FROM table_changes('silver.orders_cdf', {start}, {end})");
        let ours = collect(&lake.engine, &sql).await.unwrap();
        let schema = ours[0].schema();
        assert_same_rows(&sql, (&schema, &ours), (&expected.0, &expected.1));
    }
    // Without an end, up to the latest version.
    let all = rows(
        &lake.engine,
        "SELECT * FROM table_changes('silver.orders_cdf', 0)",
    )
    .await;
    let to_latest = rows(
        &lake.engine,
        &format!("SELECT * FROM table_changes('silver.orders_cdf', 0, {LATEST})"),
    )
    .await;
    assert_eq!(all, to_latest);

    // Deletes, updates (both images) and inserts, each at its own commit.
    let kinds = rows(
        &lake.engine,
        "SELECT _change_type, _commit_version, count(*) AS n \
         FROM table_changes('silver.orders_cdf', 2, 4) GROUP BY 1, 2",
    )
    .await;
    for kind in ["delete", "update_preimage", "update_postimage", "insert"] {
        assert!(
            kinds
                .iter()
                .any(|row| row.contains(&format!("_change_type={kind} "))),
            "{kind} missing from {kinds:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn changes_between_two_times() {
    let lake = HistoryLake::new().await;
    let table = lake.table("orders_cdf");
    let expected = read_changes_as_written(&table, 3, 4).await;
    let sql = format!(
        "SELECT * FROM table_changes('lake.silver.orders_cdf', '{}', '{}')",
        commit_time(&table, 3),
        commit_time(&table, 4)
    );
    let ours = collect(&lake.engine, &sql).await.unwrap();
    let schema = ours[0].schema();
    assert_same_rows(&sql, (&schema, &ours), (&expected.0, &expected.1));
}

#[tokio::test(flavor = "multi_thread")]
async fn tables_without_a_change_feed_and_bad_ranges_are_refused() {
    let lake = HistoryLake::new().await;
    let error = query_error(
        &lake.engine,
        "SELECT * FROM table_changes('silver.orders', 0)",
    )
    .await;
    assert!(error.contains("lake.silver.orders"), "{error}");
    assert!(error.contains("delta.enableChangeDataFeed"), "{error}");

    let error = query_error(
        &lake.engine,
        "SELECT * FROM table_changes('silver.orders_cdf', 9)",
    )
    .await;
    assert!(error.contains("lake.silver.orders_cdf"), "{error}");
    assert!(error.contains("versions 0 to 5 exist"), "{error}");

    let error = query_error(
        &lake.engine,
        "SELECT * FROM table_changes('silver.orders_cdf', 4, 2)",
    )
    .await;
    assert!(error.contains("before it starts"), "{error}");

    let error = query_error(
        &lake.engine,
        "SELECT * FROM table_changes('silver.nope', 0)",
    )
    .await;
    assert!(
        error.contains("silver.nope") && error.contains("not found"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn changes_can_be_sorted_and_filtered() {
    let lake = HistoryLake::new().await;
    let sql = "SELECT _commit_version, id, _change_type FROM table_changes('silver.orders_cdf', 2, 4) \
               ORDER BY _commit_version, id, _change_type";
    let sorted = collect(&lake.engine, sql).await.unwrap();
    let unsorted = rows(
        &lake.engine,
        "SELECT _commit_version, id, _change_type FROM table_changes('silver.orders_cdf', 2, 4)",
    )
    .await;
    assert_eq!(lakeshore_tests::canonical_rows(&sorted), unsorted);
    let updated = rows(
        &lake.engine,
        "SELECT id FROM table_changes('silver.orders_cdf', 0) \
         WHERE _change_type = 'update_postimage' AND _commit_version = 3",
    )
    .await;
    assert_eq!(updated, vec!["id=3".to_string()]);
}

#[tokio::test(flavor = "multi_thread")]
async fn changes_of_partitions_whose_values_are_escaped_in_folder_names() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("cities");
    // Folders such as `city=New%20York`, `city=a%3Ab` (a timestamp's colons) and `city=p%25q`.
    delta_writer("escaped-partitions", &table, None);
    let engine = engine_without_lake().await;
    let sql = format!(
        "SELECT _commit_version, _change_type, city, count(*) AS n \
         FROM table_changes('{}', 0) GROUP BY 1, 2, 3",
        table.display()
    );
    let cities = ["Amsterdam", "New York", "a:b", "p%q"];
    let mut expected: Vec<String> = [0, 1]
        .iter()
        .flat_map(|version| {
            cities.iter().map(move |city| {
                format!("_change_type=insert | _commit_version={version} | city={city} | n=1")
            })
        })
        .chain(["_change_type=delete | _commit_version=2 | city=New York | n=2".to_string()])
        .collect();
    expected.sort();
    let mut ours = rows(&engine, &sql).await;
    ours.sort();
    assert_eq!(ours, expected);
}
