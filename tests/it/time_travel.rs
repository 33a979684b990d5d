//! Time travel: `VERSION AS OF`, `TIMESTAMP AS OF` and `delta_scan(.., version => n)` read the
//! rows each version held, as an independent reader (the `deltalake` Python package) reads them,
//! and as Spark's golden tables' logs say.

use std::path::Path;

use lakeshore_tests::{
    assert_same_rows, canonical_rows, collect, delta_writer, golden_table, query_error,
    read_parquet, read_version_as_written,
};

use crate::delta_log::{HistoryLake, LATEST, active_files, commit_millis, commit_time, ids};
use crate::lake_catalog::rows;

fn path_literal(table: &Path) -> String {
    table.display().to_string().replace('\'', "''")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_version_reads_as_the_writer_wrote_it() {
    let lake = HistoryLake::new().await;
    let table = lake.table("orders");
    for version in 0..=LATEST {
        let expected = read_version_as_written(&table, version).await;
        for sql in [
            format!("SELECT * FROM silver.orders VERSION AS OF {version}"),
            format!(
                "SELECT * FROM delta_scan('{}', version => {version})",
                path_literal(&table)
            ),
        ] {
            let ours = collect(&lake.engine, &sql).await.unwrap();
            let schema = ours[0].schema();
            assert_same_rows(&sql, (&schema, &ours), (&expected.0, &expected.1));
        }
    }
    // The latest version is still what a plain query reads.
    let latest = rows(&lake.engine, "SELECT * FROM silver.orders").await;
    let at_latest = rows(
        &lake.engine,
        &format!("SELECT * FROM lake.silver.orders VERSION AS OF {LATEST}"),
    )
    .await;
    assert_eq!(latest, at_latest);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_timestamp_reads_the_version_committed_at_or_before_it() {
    let lake = HistoryLake::new().await;
    let table = lake.table("orders");
    let version_3 = rows(&lake.engine, "SELECT * FROM silver.orders VERSION AS OF 3").await;
    let at_commit = commit_time(&table, 3);
    // Half-way between the commits of versions 3 and 4: still version 3.
    let between_millis = (commit_millis(&table, 3) + commit_millis(&table, 4)) / 2;
    let between = arrow::temporal_conversions::timestamp_ms_to_datetime(between_millis)
        .unwrap()
        .format("%Y-%m-%d %H:%M:%S%.3f")
        .to_string();
    for at in [&at_commit, &between] {
        let sql = format!("SELECT * FROM silver.orders TIMESTAMP AS OF '{at}'");
        assert_eq!(rows(&lake.engine, &sql).await, version_3, "{sql}");
        let by_path = format!(
            "SELECT * FROM delta_scan('{}', timestamp => '{at}')",
            path_literal(&table)
        );
        assert_eq!(rows(&lake.engine, &by_path).await, version_3, "{by_path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn old_versions_join_each_other_and_the_latest_inside_subqueries() {
    let lake = HistoryLake::new().await;
    let table = lake.table("orders");
    let amounts = |rows: Vec<String>| -> Vec<(i64, String)> {
        rows.iter()
            .map(|row| {
                let cell = |name: &str| {
                    row.split(" | ")
                        .find_map(|c| c.strip_prefix(&format!("{name}=")).map(str::to_string))
                        .unwrap()
                };
                (cell("id").parse().unwrap(), cell("amount"))
            })
            .collect()
    };
    let before = amounts(canonical_rows(&read_version_as_written(&table, 2).await.1));
    let after = amounts(canonical_rows(&read_version_as_written(&table, 3).await.1));
    let mut expected: Vec<String> = before
        .iter()
        .filter_map(|(id, old)| {
            let new = &after.iter().find(|(other, _)| other == id)?.1;
            (old != new).then(|| format!("after={new} | before={old} | id={id}"))
        })
        .collect();
    expected.sort();
    assert!(!expected.is_empty(), "version 3 updates a row of version 2");

    let sql = format!(
        "SELECT a.id, a.amount AS before, b.amount AS after \
         FROM silver.orders VERSION AS OF 2 a \
         JOIN (SELECT * FROM silver.orders TIMESTAMP AS OF '{}') b ON a.id = b.id \
         WHERE a.amount <> b.amount",
        commit_time(&table, 3)
    );
    assert_eq!(rows(&lake.engine, &sql).await, expected);

    // Version 1 beside the latest, in an IN subquery; the table's own name qualifies columns.
    let at_1 = ids(&canonical_rows(&read_version_as_written(&table, 1).await.1));
    let latest = ids(&rows(&lake.engine, "SELECT id FROM silver.orders").await);
    let kept: Vec<String> = at_1
        .intersection(&latest)
        .map(|id| format!("id={id}"))
        .collect();
    let sql = "SELECT orders.id FROM silver.orders \
               WHERE id IN (SELECT id FROM silver.orders VERSION AS OF 1)";
    assert_eq!(rows(&lake.engine, sql).await, kept);
    let sql = "SELECT count(*) AS n FROM silver.orders VERSION AS OF 1 \
               WHERE orders.id IN (SELECT id FROM silver.orders VERSION AS OF 4)";
    let at_4 = ids(&canonical_rows(&read_version_as_written(&table, 4).await.1));
    assert_eq!(
        rows(&lake.engine, sql).await,
        vec![format!("n={}", at_1.intersection(&at_4).count())]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_versions_counted_in_one_statement_stay_apart() {
    // Scalar subqueries of one table at two versions look alike to the optimizer, which once
    // merged them into one scan and answered both with the same count.
    let lake = HistoryLake::new().await;
    let table = lake.table("orders");
    let at_0 = canonical_rows(&read_version_as_written(&table, 0).await.1).len();
    let latest = canonical_rows(&read_version_as_written(&table, LATEST).await.1).len();
    assert_ne!(at_0, latest, "the history changes the row count");
    for sql in [
        "SELECT (SELECT count(*) FROM silver.orders VERSION AS OF 0) AS old, \
                (SELECT count(*) FROM silver.orders) AS new",
        "SELECT (SELECT count(*) FROM silver.orders) AS new, \
                (SELECT count(*) FROM silver.orders VERSION AS OF 0) AS old",
    ] {
        let found = rows(&lake.engine, sql).await;
        assert_eq!(found, vec![format!("new={latest} | old={at_0}")], "{sql}");
    }
    let sql = format!(
        "SELECT (SELECT count(*) FROM delta_scan('{0}', version => 0)) AS old, \
                (SELECT count(*) FROM delta_scan('{0}')) AS new",
        path_literal(&table)
    );
    assert_eq!(
        rows(&lake.engine, &sql).await,
        vec![format!("new={latest} | old={at_0}")]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stored_view_may_time_travel_and_read_history() {
    let lake = HistoryLake::new().await;
    let table = lake.table("orders");
    let at_1 = canonical_rows(&read_version_as_written(&table, 1).await.1).len();
    for sql in [
        "CREATE VIEW silver.orders_at_1 AS SELECT count(*) AS n FROM silver.orders VERSION AS OF 1",
        "CREATE VIEW silver.orders_log AS \
         SELECT version FROM delta_history('silver.orders') WHERE version <= 1",
    ] {
        collect(&lake.engine, sql).await.unwrap();
    }
    // Read by an engine opened afterwards, which loads what the views read when it plans them.
    let later = crate::lake_catalog::open_lake(lake.dir.path()).await;
    assert_eq!(
        rows(&later, "SELECT * FROM silver.orders_at_1").await,
        vec![format!("n={at_1}")]
    );
    assert_eq!(
        rows(&later, "SELECT * FROM silver.orders_log ORDER BY version").await,
        vec!["version=0".to_string(), "version=1".to_string()]
    );
}

/// The rows of `version` of a golden table, from its log: the parquet files then active.
async fn golden_rows_at(table: &Path, version: u64) -> Vec<String> {
    let mut rows = Vec::new();
    for (file, _) in active_files(table, version) {
        let (_, batches) = read_parquet(&table.join(file)).await;
        rows.extend(canonical_rows(&batches));
    }
    rows.sort();
    rows
}

#[tokio::test(flavor = "multi_thread")]
async fn spark_golden_tables_read_at_each_version() {
    let engine = lakeshore_tests::engine_without_lake().await;
    let table = golden_table("time-travel-start-start20");
    let path = path_literal(&table);
    for version in 0..=1 {
        let sql = format!("SELECT * FROM delta_scan('{path}', version => {version})");
        let ours = canonical_rows(&collect(&engine, &sql).await.unwrap());
        assert_eq!(ours, golden_rows_at(&table, version).await, "{sql}");
    }
    // Between the two commits, as their commitInfo records them (the files' own times were
    // lost when the tables were copied).
    let between = arrow::temporal_conversions::timestamp_ms_to_datetime(
        (commit_millis(&table, 0) + commit_millis(&table, 1)) / 2,
    )
    .unwrap()
    .format("%Y-%m-%d %H:%M:%S%.3f")
    .to_string();
    let sql = format!("SELECT * FROM delta_scan('{path}', timestamp => '{between}')");
    let ours = canonical_rows(&collect(&engine, &sql).await.unwrap());
    assert_eq!(ours, golden_rows_at(&table, 0).await, "{sql}");

    // A table whose partition columns changed: version 0 was partitioned by part5.
    let table = golden_table("time-travel-partition-changes-b");
    let sql = format!(
        "SELECT * FROM delta_scan('{}', version => 0)",
        path_literal(&table)
    );
    let ours = canonical_rows(&collect(&engine, &sql).await.unwrap());
    let mut expected = Vec::new();
    for (file, _) in active_files(&table, 0) {
        let part5 = file
            .split('/')
            .find_map(|dir| dir.strip_prefix("part5="))
            .unwrap()
            .to_string();
        let (_, batches) = read_parquet(&table.join(&file)).await;
        for row in canonical_rows(&batches) {
            expected.push(format!("{row} | part5={part5}"));
        }
    }
    expected.sort();
    assert_eq!(ours, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn versions_and_times_out_of_range_say_what_exists() {
    let lake = HistoryLake::new().await;
    let table = lake.table("orders");
    let error = query_error(&lake.engine, "SELECT * FROM silver.orders VERSION AS OF 9").await;
    assert!(error.contains("lake.silver.orders"), "{error}");
    assert!(error.contains("version 9 does not exist"), "{error}");
    assert!(error.contains("versions 0 to 5 exist"), "{error}");

    let sql = format!(
        "SELECT * FROM delta_scan('{}', version => 6)",
        path_literal(&table)
    );
    let error = query_error(&lake.engine, &sql).await;
    assert!(error.contains(&table.display().to_string()), "{error}");
    assert!(error.contains("versions 0 to 5 exist"), "{error}");

    let error = query_error(
        &lake.engine,
        "SELECT * FROM silver.orders TIMESTAMP AS OF '2001-01-01 00:00:00'",
    )
    .await;
    assert!(error.contains("lake.silver.orders"), "{error}");
    assert!(error.contains("the first commit (version 0)"), "{error}");

    let error = query_error(
        &lake.engine,
        "SELECT * FROM silver.orders TIMESTAMP AS OF '2999-01-01'",
    )
    .await;
    assert!(
        error.contains("after the latest commit (version 5"),
        "{error}"
    );

    let error = query_error(
        &lake.engine,
        "SELECT * FROM silver.orders TIMESTAMP AS OF 'last tuesday'",
    )
    .await;
    assert!(error.contains("'last tuesday' is not a time"), "{error}");

    let error = query_error(&lake.engine, "SELECT * FROM silver.nope VERSION AS OF 1").await;
    assert!(
        error.contains("silver.nope") && error.contains("not found"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vacuumed_version_is_an_error_naming_the_table_and_version() {
    let lake = HistoryLake::new().await;
    delta_writer("vacuum", &lake.table("orders"), None);
    let error = query_error(&lake.engine, "SELECT * FROM silver.orders VERSION AS OF 1").await;
    assert!(error.contains("lake.silver.orders"), "{error}");
    assert!(error.contains("version 1"), "{error}");
    assert!(error.contains("VACUUM"), "{error}");
    // The latest version keeps its files.
    assert_eq!(
        rows(
            &lake.engine,
            "SELECT count(*) AS n FROM silver.orders VERSION AS OF 5"
        )
        .await,
        rows(&lake.engine, "SELECT count(*) AS n FROM silver.orders").await
    );
}
