//! Each gold table against the aggregates this test computes in Rust from the silver rows.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};

use super::DemoLake;

/// The threshold of `sql/electroniz/03_website_hits.sql`: countries need more hits than this.
const HITS_THRESHOLD: i64 = 100;

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
