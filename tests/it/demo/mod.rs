//! The Electroniz demo lake (`lakeshore --demo`): built from scratch, the same rows every time,
//! every gold table equal to aggregates this test computes itself from the silver rows, and the
//! silver history (time travel, change data feed) as the curation left it.

mod gold;
mod rows;
mod silver;

use std::path::{Path, PathBuf};

use lakeshore_engine::{Engine, EngineConfig, StorageOptions};
use lakeshore_tests::{canonical_rows, collect, workspace_root};

use rows::Rows;

/// The demo lake at scale 1 in a fresh temporary folder, and an engine over it.
struct DemoLake {
    _dir: tempfile::TempDir,
    path: PathBuf,
    engine: Engine,
}

impl DemoLake {
    async fn create() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path().join("lakeshore-demo");
        let location = lake.to_str().expect("temporary folder names are UTF-8");
        let storage = StorageOptions::default();
        lakeshore_demo::create(location, &storage, 1)
            .await
            .unwrap_or_else(|error| panic!("the demo lake should build: {error}"));
        assert!(lakeshore_demo::exists(location, &storage).await.unwrap());
        let engine = Engine::open(EngineConfig::for_lake(lake.display().to_string()))
            .await
            .unwrap();
        Self {
            _dir: dir,
            path: lake,
            engine,
        }
    }

    async fn rows(&self, sql: &str) -> Rows {
        let batches = collect(&self.engine, sql)
            .await
            .unwrap_or_else(|error| panic!("`{sql}` failed: {error}"));
        Rows(batches)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_builds_the_same_rows_every_time() {
    let (first, second) = (DemoLake::create().await, DemoLake::create().await);
    let listing = "SELECT table_schema, table_name FROM information_schema.tables \
                   WHERE table_schema IN ('bronze', 'silver', 'gold') ORDER BY 1, 2";
    let tables = first.rows(listing).await;
    assert_eq!(
        canonical_rows(&tables.0),
        canonical_rows(&second.rows(listing).await.0)
    );
    let names: Vec<String> = tables
        .strings("table_schema")
        .iter()
        .zip(tables.strings("table_name"))
        .map(|(schema, table)| format!("{schema}.{table}"))
        .collect();
    for expected in [
        "bronze.sales_store_orders",
        "bronze.esalesns",
        "bronze.logs",
        "bronze.currency",
        "silver.sales_store_customers",
        "silver.sales_store_orders",
        "silver.sales_products",
        "silver.currency",
        "silver.geolocation",
        "silver.logs",
        "silver.esalesns",
        "silver.customers",
        "silver.orders",
        "gold.aggregated_sales",
        "gold.total_website_hits",
        "gold.advertising_budgets",
        "gold.aggregated_products_by_quarter",
    ] {
        assert!(
            names.contains(&expected.to_string()),
            "{expected} missing from {names:?}"
        );
    }
    for table in &names {
        let sql = format!("SELECT * FROM {table}");
        let rows = canonical_rows(&first.rows(&sql).await.0);
        assert!(!rows.is_empty(), "{table} is empty");
        assert_eq!(
            rows,
            canonical_rows(&second.rows(&sql).await.0),
            "{table} differs"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_runs_every_script_of_sql_electroniz() {
    let folder = workspace_root().join("sql").join("electroniz");
    let mut on_disk: Vec<(String, String)> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "sql"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    on_disk.sort();
    let built_in: Vec<(String, String)> = lakeshore_demo::GOLD_SCRIPTS
        .iter()
        .map(|(name, text)| (name.to_string(), text.to_string()))
        .collect();
    assert_eq!(
        built_in, on_disk,
        "the demo must run exactly the scripts of {folder:?}"
    );

    // Run through the engine again, as a user would with `-f`: the views are replaced, and
    // the gold tables written anew into an emptied gold layer.
    let lake = DemoLake::create().await;
    std::fs::remove_dir_all(lake.path.join("gold")).unwrap();
    for (name, script) in lakeshore_demo::GOLD_SCRIPTS {
        for statement in lakeshore_engine::split_statements(script).unwrap() {
            collect(&lake.engine, &statement)
                .await
                .unwrap_or_else(|error| panic!("{name}: `{statement}` failed: {error}"));
        }
    }
    let rebuilt = lake
        .rows("SELECT * FROM gold.aggregated_products_by_quarter")
        .await;
    assert!(!rebuilt.ints("units_sold").is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_existing_folder_with_files_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), "mine").unwrap();
    let storage = StorageOptions::default();
    let location = dir
        .path()
        .to_str()
        .expect("temporary folder names are UTF-8");
    let error = lakeshore_demo::create(location, &storage, 1)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("not empty"), "{error}");
    assert!(Path::new(&dir.path().join("keep.txt")).exists());

    let empty = tempfile::tempdir().unwrap();
    let location = empty
        .path()
        .to_str()
        .expect("temporary folder names are UTF-8");
    let error = lakeshore_demo::create(location, &storage, 0)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("at least 1"), "{error}");
}
