//! Silver as the curation leaves it: the history of the store orders (time travel, the change
//! data feed of the delete), cleaned and masked customers, and IP numbers past 32 bits.

use std::collections::{BTreeMap, BTreeSet};

use super::DemoLake;
use super::rows::Rows;

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
