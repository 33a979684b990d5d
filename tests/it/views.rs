//! Views and external tables defined in SQL: kept in the lake's catalog folder, seen by every
//! engine that opens the lake, never a silent loss when a definition file is damaged.

use std::path::Path;

use lakeshore_engine::{Engine, EngineConfig};
use lakeshore_tests::{
    assert_same_rows, collect, golden_root, golden_table, query_error, read_parquet, write_lake,
};

use crate::lake_catalog::{open_lake, rows};

const EUR_VIEW: &str = "CREATE VIEW silver.eur_orders AS \
     SELECT order_id, customer FROM silver.sales_store_orders WHERE currency = 'EUR'";

fn eur_rows() -> Vec<String> {
    vec![
        "customer=customer-0 | order_id=6".to_string(),
        "customer=customer-1 | order_id=1".to_string(),
        "customer=customer-2 | order_id=2".to_string(),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_view_persists_and_every_engine_on_the_lake_sees_it() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let first = open_lake(lake.path()).await;
    let second = open_lake(lake.path()).await;

    collect(&first, EUR_VIEW).await.unwrap();
    assert!(
        lake.path()
            .join("_lakeshore/catalog/silver/eur_orders.json")
            .is_file()
    );
    // The other engine was open already: it sees the view on its next statement.
    assert_eq!(
        rows(&second, "SELECT * FROM silver.eur_orders").await,
        eur_rows()
    );
    // So does an engine opened later (a restart).
    drop(first);
    let third = open_lake(lake.path()).await;
    assert_eq!(
        rows(&third, "SELECT * FROM silver.eur_orders").await,
        eur_rows()
    );
    assert_eq!(
        rows(
            &third,
            "SELECT table_type FROM information_schema.tables \
             WHERE table_schema = 'silver' AND table_name = 'eur_orders'"
        )
        .await,
        vec!["table_type=VIEW".to_string()]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn views_are_replaced_only_when_asked_and_dropped_for_everyone() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let first = open_lake(lake.path()).await;
    let second = open_lake(lake.path()).await;

    collect(&first, "CREATE VIEW gold.answer AS SELECT 41 AS n")
        .await
        .unwrap();
    let again = query_error(&second, "CREATE VIEW gold.answer AS SELECT 0 AS n").await;
    assert!(again.contains("already exists"), "{again}");
    collect(
        &second,
        "CREATE OR REPLACE VIEW gold.answer AS SELECT 42 AS n",
    )
    .await
    .unwrap();
    assert_eq!(
        rows(&first, "SELECT n FROM gold.answer").await,
        vec!["n=42".to_string()]
    );

    collect(&first, "DROP VIEW gold.answer").await.unwrap();
    let gone = query_error(&second, "SELECT n FROM gold.answer").await;
    assert!(
        gone.contains("answer") && gone.contains("not found"),
        "{gone}"
    );
    collect(&second, "DROP VIEW IF EXISTS gold.answer")
        .await
        .unwrap();
    let missing = query_error(&second, "DROP VIEW gold.answer").await;
    assert!(missing.contains("answer"), "{missing}");
}

/// Copies the golden table `name` into `dir` (tests never write into the shared copies).
fn copy_golden(name: &str, dir: &Path) -> std::path::PathBuf {
    let target = dir.join(name);
    copy_dir(&golden_table(name), &target);
    target
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_external_table_reads_its_location_and_dropping_it_keeps_the_data() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let outside = tempfile::tempdir().unwrap();
    let table = copy_golden("basic-decimal-table", outside.path());
    let engine = open_lake(lake.path()).await;

    collect(
        &engine,
        &format!(
            "CREATE EXTERNAL TABLE ext.decimals STORED AS DELTA LOCATION '{}'",
            table.display()
        ),
    )
    .await
    .unwrap();
    let other = open_lake(lake.path()).await;
    let ours = collect(&other, "SELECT * FROM ext.decimals").await.unwrap();
    let expected = read_parquet(&golden_root().join("basic-decimal-table/expected")).await;
    assert_same_rows(
        "ext.decimals",
        (&ours[0].schema(), &ours),
        (&expected.0, &expected.1),
    );
    assert_eq!(
        rows(
            &other,
            "SELECT table_type FROM information_schema.tables \
             WHERE table_schema = 'ext' AND table_name = 'decimals'"
        )
        .await,
        vec!["table_type=BASE TABLE".to_string()]
    );

    let not_a_view = query_error(&other, "DROP VIEW ext.decimals").await;
    assert!(not_a_view.contains("DROP TABLE"), "{not_a_view}");
    collect(&other, "DROP TABLE ext.decimals").await.unwrap();
    assert!(table.join("_delta_log").is_dir(), "the data must stay");
    let gone = query_error(&engine, "SELECT * FROM ext.decimals").await;
    assert!(gone.contains("decimals"), "{gone}");

    let not_delta = query_error(
        &engine,
        &format!(
            "CREATE EXTERNAL TABLE ext.nothing STORED AS DELTA LOCATION '{}'",
            outside.path().display()
        ),
    )
    .await;
    assert!(not_delta.contains("not a Delta table"), "{not_delta}");

    // Credentials would be kept in the stored definition, for every reader: refused.
    for with_credentials in [
        format!(
            "CREATE EXTERNAL TABLE ext.keyed STORED AS DELTA LOCATION '{}' \
             OPTIONS ('aws_secret_access_key' 'not-to-be-kept')",
            table.display()
        ),
        "CREATE EXTERNAL TABLE ext.keyed STORED AS DELTA \
         LOCATION 'az://container/t?sv=2024&sig=not-to-be-kept'"
            .to_string(),
    ] {
        let refused = query_error(&engine, &with_credentials).await;
        assert!(
            refused.contains("ext.keyed") && refused.contains("--storage-option"),
            "{refused}"
        );
        assert!(!refused.contains("not-to-be-kept"), "{refused}");
    }
    let never_made = query_error(&engine, "SELECT * FROM ext.keyed").await;
    assert!(never_made.contains("keyed"), "{never_made}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_view_over_a_dropped_table_names_the_view_and_the_table() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let outside = tempfile::tempdir().unwrap();
    let table = copy_golden("basic-decimal-table", outside.path());
    let engine = open_lake(lake.path()).await;
    collect(
        &engine,
        &format!(
            "CREATE EXTERNAL TABLE ext.decimals STORED AS DELTA LOCATION '{}'",
            table.display()
        ),
    )
    .await
    .unwrap();
    collect(
        &engine,
        "CREATE VIEW gold.decimal_view AS SELECT * FROM ext.decimals",
    )
    .await
    .unwrap();
    collect(&engine, "DROP TABLE ext.decimals").await.unwrap();

    let error = query_error(&engine, "SELECT * FROM gold.decimal_view").await;
    assert!(
        error.contains("lake.gold.decimal_view") && error.contains("ext.decimals"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_definition_file_is_an_error_naming_the_file() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;
    collect(&engine, EUR_VIEW).await.unwrap();
    let file = lake
        .path()
        .join("_lakeshore/catalog/silver/eur_orders.json");
    std::fs::write(&file, "{\"format_version\": 1, \"kind\": \"vi").unwrap();

    let restarted = open_lake(lake.path()).await;
    for engine in [&engine, &restarted] {
        let error = query_error(engine, "SELECT * FROM silver.eur_orders").await;
        let canonical = std::fs::canonicalize(&file).unwrap();
        assert!(
            error.contains(&canonical.display().to_string()) && error.contains("damaged"),
            "{error}"
        );
        // The rest of the lake still works, and the object is still listed.
        let listed = rows(engine, "SHOW TABLES").await;
        assert!(
            listed.iter().any(|row| row.contains("eur_orders")),
            "{listed:?}"
        );
    }
    // Dropping it removes the damaged file; creating it again works.
    collect(&restarted, "DROP VIEW silver.eur_orders")
        .await
        .unwrap();
    collect(&restarted, EUR_VIEW).await.unwrap();
    assert_eq!(
        rows(&engine, "SELECT * FROM silver.eur_orders").await,
        eur_rows()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_configured_catalog_folder_holds_the_definitions() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let state = tempfile::tempdir().unwrap();
    let folder = state.path().join("catalog-state");
    let config = EngineConfig {
        catalog_location: Some(folder.display().to_string()),
        ..EngineConfig::for_lake(lake.path().display().to_string())
    };
    let engine = Engine::open(config.clone()).await.unwrap();
    collect(&engine, EUR_VIEW).await.unwrap();
    assert!(folder.join("catalog/silver/eur_orders.json").is_file());
    assert!(!lake.path().join("_lakeshore").exists());

    let again = Engine::open(config).await.unwrap();
    assert_eq!(
        rows(&again, "SELECT * FROM silver.eur_orders").await,
        eur_rows()
    );
    // An engine with the default folder does not see them.
    let default = open_lake(lake.path()).await;
    let error = query_error(&default, "SELECT * FROM silver.eur_orders").await;
    assert!(error.contains("not found"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn views_over_history_time_travel_and_paths_are_listed_with_their_columns() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake(lake.path()).await;
    let by_path = lake.path().join("silver/customers");
    for sql in [
        "CREATE VIEW gold.customer_versions AS SELECT version, operation FROM delta_history('silver.customers')".to_string(),
        "CREATE VIEW gold.first_customers AS SELECT id, name FROM silver.customers VERSION AS OF 0".to_string(),
        format!("CREATE VIEW gold.customers_by_path AS SELECT id, country FROM delta_scan('{}')", by_path.display()),
    ] {
        rows(&engine, &sql).await;
    }
    // information_schema plans each view while its listing runs, outside the statement that
    // asked: the view's own reads must still be loaded.
    let mut columns = rows(
        &engine,
        "SELECT table_name, column_name FROM information_schema.columns \
         WHERE table_schema = 'gold' AND table_name <> 'summary'",
    )
    .await;
    columns.sort();
    assert_eq!(
        columns,
        [
            "column_name=country | table_name=customers_by_path",
            "column_name=id | table_name=customers_by_path",
            "column_name=id | table_name=first_customers",
            "column_name=name | table_name=first_customers",
            "column_name=operation | table_name=customer_versions",
            "column_name=version | table_name=customer_versions",
        ]
    );
    let mut views = rows(
        &engine,
        "SELECT table_name FROM information_schema.views \
         WHERE table_schema = 'gold' AND table_name <> 'summary'",
    )
    .await;
    views.sort();
    assert_eq!(
        views,
        [
            "table_name=customer_versions",
            "table_name=customers_by_path",
            "table_name=first_customers"
        ]
    );
}
