//! The Electroniz demo lake (`lakeshore --demo`): built from scratch, the same rows every time,
//! every gold table equal to aggregates this test computes itself from the silver rows, and the
//! silver history (time travel, change data feed) as the curation left it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Date32Type, Decimal128Type, Float64Type, Int64Type};
use chrono::{Datelike, NaiveDate};
use lakeshore_engine::{Engine, EngineConfig};
use lakeshore_tests::{canonical_rows, collect, workspace_root};

/// The threshold of `sql/electroniz/03_website_hits.sql`: countries need more hits than this.
const HITS_THRESHOLD: i64 = 100;

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
        lakeshore_demo::create(&lake, 1)
            .await
            .unwrap_or_else(|error| panic!("the demo lake should build: {error}"));
        assert!(lakeshore_demo::exists(&lake));
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

/// A query's result, read column by column.
struct Rows(Vec<RecordBatch>);

impl Rows {
    fn column(&self, name: &str) -> Vec<arrow::array::ArrayRef> {
        self.0
            .iter()
            .map(|batch| {
                batch
                    .column_by_name(name)
                    .unwrap_or_else(|| panic!("no column {name}"))
                    .clone()
            })
            .collect()
    }

    fn strings(&self, name: &str) -> Vec<String> {
        self.column(name)
            .iter()
            .flat_map(|array| {
                let text = cast(array, &DataType::Utf8).unwrap();
                let text = text.as_string::<i32>();
                (0..text.len())
                    .map(|i| text.value(i).to_string())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    fn ints(&self, name: &str) -> Vec<i64> {
        self.column(name)
            .iter()
            .flat_map(|array| {
                let ints = cast(array, &DataType::Int64).unwrap();
                ints.as_primitive::<Int64Type>().values().to_vec()
            })
            .collect()
    }

    /// A decimal column's unscaled values (cents for money).
    fn unscaled(&self, name: &str) -> Vec<i128> {
        self.column(name)
            .iter()
            .flat_map(|array| array.as_primitive::<Decimal128Type>().values().to_vec())
            .collect()
    }

    fn floats(&self, name: &str) -> Vec<f64> {
        self.column(name)
            .iter()
            .flat_map(|array| array.as_primitive::<Float64Type>().values().to_vec())
            .collect()
    }

    fn dates(&self, name: &str) -> Vec<NaiveDate> {
        self.column(name)
            .iter()
            .flat_map(|array| {
                let dates = array.as_primitive::<Date32Type>();
                (0..dates.len())
                    .map(|i| dates.value_as_date(i).unwrap())
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

/// An order line of either channel, as the `orders` view should see it.
struct Sale {
    date: NaiveDate,
    product_name: String,
    category: String,
    units: i64,
    usd_cents: i128,
}

/// Every sale of both channels, joined in Rust: store orders to their customers and products by
/// id, website orders to products by name compared without case.
async fn sales_from_silver(lake: &DemoLake) -> Vec<Sale> {
    let products = lake.rows("SELECT * FROM silver.sales_products").await;
    let by_id: BTreeMap<i64, (String, String)> = products
        .ints("product_id")
        .into_iter()
        .zip(
            products
                .strings("product_name")
                .into_iter()
                .zip(products.strings("product_category")),
        )
        .collect();
    let by_name: BTreeMap<String, (String, String)> = by_id
        .values()
        .map(|(name, category)| (name.to_lowercase(), (name.clone(), category.clone())))
        .collect();
    let customers: BTreeSet<i64> = lake
        .rows("SELECT customer_id FROM silver.sales_store_customers")
        .await
        .ints("customer_id")
        .into_iter()
        .collect();

    let mut sales = Vec::new();
    let store = lake.rows("SELECT * FROM silver.sales_store_orders").await;
    let (customer_ids, product_ids) = (store.ints("customer_id"), store.ints("product_id"));
    let (dates, units, usd) = (
        store.dates("order_date"),
        store.ints("units"),
        store.unscaled("sale_price_usd"),
    );
    for row in 0..dates.len() {
        if !customers.contains(&customer_ids[row]) {
            continue;
        }
        if let Some((name, category)) = by_id.get(&product_ids[row]) {
            sales.push(Sale {
                date: dates[row],
                product_name: name.clone(),
                category: category.clone(),
                units: units[row],
                usd_cents: usd[row],
            });
        }
    }
    let online = lake.rows("SELECT * FROM silver.esalesns").await;
    let names = online.strings("product_name");
    let (dates, units, usd) = (
        online.dates("order_date"),
        online.ints("units"),
        online.unscaled("sale_price_usd"),
    );
    for row in 0..dates.len() {
        if let Some((name, category)) = by_name.get(&names[row].to_lowercase()) {
            sales.push(Sale {
                date: dates[row],
                product_name: name.clone(),
                category: category.clone(),
                units: units[row],
                usd_cents: usd[row],
            });
        }
    }
    sales
}

fn quarter(date: NaiveDate) -> i64 {
    i64::from(date.month0() / 3 + 1)
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
async fn gold_tables_hold_the_aggregates_of_silver() {
    let lake = DemoLake::create().await;
    let sales = sales_from_silver(&lake).await;

    let mut by_quarter: BTreeMap<(i64, i64), i128> = BTreeMap::new();
    let mut units: BTreeMap<(String, String, i64, i64), i64> = BTreeMap::new();
    for sale in &sales {
        let (year, quarter) = (i64::from(sale.date.year()), quarter(sale.date));
        *by_quarter.entry((year, quarter)).or_default() += sale.usd_cents;
        *units
            .entry((
                sale.category.clone(),
                sale.product_name.clone(),
                year,
                quarter,
            ))
            .or_default() += sale.units;
    }
    let gold = lake.rows("SELECT * FROM gold.aggregated_sales").await;
    let got: BTreeMap<(i64, i64), i128> = gold
        .ints("year")
        .into_iter()
        .zip(gold.ints("quarter"))
        .zip(gold.unscaled("total_sales_usd"))
        .collect();
    assert_eq!(got, by_quarter);
    assert_eq!(got.len(), 8, "two years of quarters");

    let gold = lake
        .rows("SELECT * FROM gold.aggregated_products_by_quarter")
        .await;
    let keys = gold
        .strings("product_category")
        .into_iter()
        .zip(gold.strings("product_name"))
        .zip(gold.ints("year").into_iter().zip(gold.ints("quarter")))
        .map(|((category, name), (year, quarter))| (category, name, year, quarter));
    let got: BTreeMap<_, i64> = keys.zip(gold.ints("units_sold")).collect();
    assert_eq!(got, units);

    let logs = lake.rows("SELECT country_name FROM silver.logs").await;
    let mut hits: BTreeMap<String, i64> = BTreeMap::new();
    for country in logs.strings("country_name") {
        *hits.entry(country).or_default() += 1;
    }
    hits.retain(|_, count| *count > HITS_THRESHOLD);
    assert!(hits.len() > 1, "{hits:?}");
    let total: i64 = hits.values().sum();
    let gold = lake.rows("SELECT * FROM gold.total_website_hits").await;
    assert_eq!(gold.ints("total_hits"), vec![total]);

    let gold = lake.rows("SELECT * FROM gold.advertising_budgets").await;
    let got: BTreeMap<String, (i64, f64)> = gold
        .strings("country_name")
        .into_iter()
        .zip(gold.ints("hits").into_iter().zip(gold.floats("budget_pct")))
        .collect();
    let expected: BTreeMap<String, (i64, f64)> = hits
        .iter()
        .map(|(country, count)| {
            let percent = 100.0 * *count as f64 / total as f64;
            (country.clone(), (*count, (percent * 100.0).round() / 100.0))
        })
        .collect();
    assert_eq!(got, expected);
}

/// The rate of each currency in `silver.currency` at `version`, times 10,000.
async fn rates(lake: &DemoLake, version: &str) -> BTreeMap<String, i128> {
    let rows = lake
        .rows(&format!("SELECT * FROM silver.currency {version}"))
        .await;
    rows.strings("currency_code")
        .into_iter()
        .zip(rows.unscaled("exchange_rate"))
        .collect()
}

/// Checks that every order of `orders` is priced in dollars at `rates`, rounded half up.
fn assert_priced_at(orders: &Rows, rates: &BTreeMap<String, i128>) {
    let currencies = orders.strings("currency");
    let local = orders.unscaled("sale_price");
    let usd = orders.unscaled("sale_price_usd");
    for row in 0..usd.len() {
        let rate = rates[&currencies[row]];
        let expected = (2 * local[row] * 10_000 + rate) / (2 * rate);
        assert_eq!(usd[row], expected, "row {row} in {}", currencies[row]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn silver_orders_keep_their_history() {
    let lake = DemoLake::create().await;
    let history = lake
        .rows("SELECT version, operation FROM delta_history('silver.sales_store_orders')")
        .await;
    let operations: BTreeMap<i64, String> = history
        .ints("version")
        .into_iter()
        .zip(history.strings("operation"))
        .collect();
    let expected: BTreeMap<i64, String> =
        [(0, "WRITE"), (1, "MERGE"), (2, "UPDATE"), (3, "DELETE")]
            .into_iter()
            .map(|(v, op)| (v, op.to_string()))
            .collect();
    assert_eq!(operations, expected);

    // Version 0: the first load, cancelled orders included, rupees at the first rate.
    let first = lake
        .rows("SELECT * FROM silver.sales_store_orders VERSION AS OF 0")
        .await;
    let first_rates = rates(&lake, "VERSION AS OF 0").await;
    assert_priced_at(&first, &first_rates);
    assert!(
        first
            .strings("order_status")
            .iter()
            .any(|s| s == "CANCELLED")
    );

    // Now: the incremental load merged, rupee orders re-priced at the revised rate, no
    // cancelled orders.
    let latest = lake.rows("SELECT * FROM silver.sales_store_orders").await;
    let latest_rates = rates(&lake, "").await;
    assert_ne!(
        first_rates["INR"], latest_rates["INR"],
        "the rupee rate was revised"
    );
    assert_priced_at(&latest, &latest_rates);
    assert!(
        latest
            .strings("order_status")
            .iter()
            .all(|s| s == "COMPLETED")
    );
    let first_ids: BTreeSet<i64> = first.ints("order_id").into_iter().collect();
    assert!(
        latest
            .ints("order_id")
            .iter()
            .any(|id| !first_ids.contains(id)),
        "new orders"
    );

    // The change data feed of the DELETE holds exactly the orders cancelled before it.
    let before_delete = lake
        .rows("SELECT * FROM silver.sales_store_orders VERSION AS OF 2")
        .await;
    let cancelled: BTreeSet<i64> = before_delete
        .ints("order_id")
        .into_iter()
        .zip(before_delete.strings("order_status"))
        .filter(|(_, status)| status == "CANCELLED")
        .map(|(id, _)| id)
        .collect();
    let changes = lake
        .rows("SELECT order_id, _change_type FROM table_changes('silver.sales_store_orders', 3, 3)")
        .await;
    assert!(
        changes
            .strings("_change_type")
            .iter()
            .all(|t| t == "delete")
    );
    let deleted: BTreeSet<i64> = changes.ints("order_id").into_iter().collect();
    assert_eq!(deleted, cancelled);
    assert!(!deleted.is_empty());
    assert_eq!(
        before_delete.ints("order_id").len() - deleted.len(),
        latest.ints("order_id").len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn store_customers_are_cleaned_and_masked() {
    let lake = DemoLake::create().await;
    let customers = lake
        .rows("SELECT * FROM silver.sales_store_customers")
        .await;
    let countries: BTreeSet<String> = customers.strings("country").into_iter().collect();
    let expected: BTreeSet<String> = ["CAN", "IND", "UK", "USA"]
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(countries, expected);
    assert!(
        customers
            .strings("email")
            .iter()
            .all(|e| *e == e.to_lowercase())
    );
    for column in ["phone", "address", "credit_card"] {
        assert!(
            customers
                .strings(column)
                .iter()
                .all(|v| v.len() == 64 && v.chars().all(|c| c.is_ascii_hexdigit())),
            "{column} should be a SHA-256 in hex"
        );
    }
    // The bronze rows these came from still show the spellings of the tills.
    let raw = lake
        .rows("SELECT DISTINCT country FROM bronze.sales_store_customers")
        .await;
    assert!(raw.strings("country").len() > 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn log_addresses_past_the_32_bit_range_find_their_country() {
    let lake = DemoLake::create().await;
    let high = lake
        .rows(
            "SELECT l.ip_number, l.country_name, g.country_name AS range_country \
             FROM silver.logs AS l JOIN silver.geolocation AS g \
               ON l.ip_number BETWEEN g.ip_from AND g.ip_to \
             WHERE l.ip_number > 2147483647",
        )
        .await;
    assert!(!high.ints("ip_number").is_empty());
    assert_eq!(high.strings("country_name"), high.strings("range_country"));
    assert!(high.strings("country_name").iter().all(|c| c != "-"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_existing_folder_with_files_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), "mine").unwrap();
    let error = lakeshore_demo::create(dir.path(), 1).await.unwrap_err();
    assert!(error.to_string().contains("not empty"), "{error}");
    assert!(Path::new(&dir.path().join("keep.txt")).exists());
}
