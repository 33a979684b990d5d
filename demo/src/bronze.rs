//! Bronze: the landing tables, holding what arrived as it arrived. Store extracts carry dates
//! as `MM/dd/yyyy` text and prices as text; the website's order events, the web servers' log
//! lines (nginx JSON) and the rates API's answers are JSON strings. The store extracts and
//! the rates arrive in two loads (two versions each).

use arrow::array::RecordBatch;
use serde_json::json;

use crate::columns::{batch, int32s, int64s, money_text, strings};
use crate::dataset::{
    CURRENCIES, Currency, Dataset, IpRange, LogLine, OnlineOrder, PRODUCTS, REVISED_RATE,
    StoreCustomer, StoreOrder,
};
use crate::delta::DemoTable;
use crate::error::DemoError;
use crate::location::Lake;
use crate::silver::dotted;

const CUSTOMERS: &str = "bronze/sales/store_customers";
const ORDERS: &str = "bronze/sales/store_orders";
const PRODUCTS_TABLE: &str = "bronze/sales/products";
const ONLINE_ORDERS: &str = "bronze/esalesns";
const LOGS: &str = "bronze/logs";
const CURRENCY: &str = "bronze/currency";
const GEOLOCATION: &str = "bronze/geolocation";

/// The day each load of rates was fetched.
const FIRST_RATES_DAY: &str = "2024-10-01";
const REVISED_RATES_DAY: &str = "2024-12-31";

pub(crate) async fn land(lake: &Lake<'_>, data: &Dataset) -> Result<(), DemoError> {
    let customers = DemoTable::new(lake, CUSTOMERS);
    customers
        .create(store_customers(&data.initial.customers)?, &[], &[])
        .await?;
    customers
        .append(store_customers(&data.incremental.customers)?)
        .await?;

    let orders = DemoTable::new(lake, ORDERS);
    orders
        .create(store_orders(&data.initial.orders)?, &[], &[])
        .await?;
    orders
        .append(store_orders(&data.incremental.orders)?)
        .await?;

    let rates = DemoTable::new(lake, CURRENCY);
    rates
        .create(rates_answer(FIRST_RATES_DAY, CURRENCIES)?, &[], &[])
        .await?;
    rates
        .append(rates_answer(REVISED_RATES_DAY, &[REVISED_RATE])?)
        .await?;

    DemoTable::new(lake, PRODUCTS_TABLE)
        .create(products()?, &[], &[])
        .await?;
    DemoTable::new(lake, ONLINE_ORDERS)
        .create(order_events(&data.online_orders)?, &[], &[])
        .await?;
    DemoTable::new(lake, LOGS)
        .create(log_lines(&data.log_lines)?, &[], &[])
        .await?;
    DemoTable::new(lake, GEOLOCATION)
        .create(geolocation(&data.ip_ranges)?, &[], &[])
        .await
}

fn store_customers(rows: &[StoreCustomer]) -> Result<RecordBatch, DemoError> {
    batch(
        CUSTOMERS,
        vec![
            ("customer_id", Ok(int64s(rows.iter().map(|c| c.id)))),
            (
                "first_name",
                Ok(strings(rows.iter().map(|c| &c.first_name))),
            ),
            ("last_name", Ok(strings(rows.iter().map(|c| &c.last_name)))),
            ("email", Ok(strings(rows.iter().map(|c| &c.email)))),
            ("phone", Ok(strings(rows.iter().map(|c| &c.phone)))),
            ("country", Ok(strings(rows.iter().map(|c| &c.country)))),
            ("address", Ok(strings(rows.iter().map(|c| &c.address)))),
            (
                "credit_card",
                Ok(strings(rows.iter().map(|c| &c.credit_card))),
            ),
        ],
    )
}

fn store_orders(rows: &[StoreOrder]) -> Result<RecordBatch, DemoError> {
    batch(
        ORDERS,
        vec![
            ("order_id", Ok(int64s(rows.iter().map(|o| o.id)))),
            (
                "customer_id",
                Ok(int64s(rows.iter().map(|o| o.customer_id))),
            ),
            ("product_id", Ok(int64s(rows.iter().map(|o| o.product_id)))),
            (
                "order_date",
                Ok(strings(
                    rows.iter().map(|o| o.date.format("%m/%d/%Y").to_string()),
                )),
            ),
            ("units", Ok(int32s(rows.iter().map(|o| o.units)))),
            (
                "sale_price",
                Ok(strings(rows.iter().map(|o| money_text(o.sale_price_cents)))),
            ),
            ("currency", Ok(strings(rows.iter().map(|o| o.currency)))),
            ("order_status", Ok(strings(rows.iter().map(|o| o.status)))),
        ],
    )
}

fn products() -> Result<RecordBatch, DemoError> {
    batch(
        PRODUCTS_TABLE,
        vec![
            ("product_id", Ok(int64s(PRODUCTS.iter().map(|p| p.id)))),
            ("product_name", Ok(strings(PRODUCTS.iter().map(|p| p.name)))),
            (
                "product_category",
                Ok(strings(PRODUCTS.iter().map(|p| p.category))),
            ),
            (
                "list_price",
                Ok(strings(
                    PRODUCTS.iter().map(|p| money_text(p.list_price_cents)),
                )),
            ),
        ],
    )
}

/// One answer of the rates API: `{"base": "USD", "date": ..., "rates": {"GBP": 0.79, ...}}`.
fn rates_answer(day: &str, currencies: &[Currency]) -> Result<RecordBatch, DemoError> {
    let rates: serde_json::Map<String, serde_json::Value> = currencies
        .iter()
        .map(|c| (c.code.to_string(), json!(c.rate_e4 as f64 / 10_000.0)))
        .collect();
    let body = json!({ "base": "USD", "date": day, "rates": rates }).to_string();
    batch(CURRENCY, vec![("body", Ok(strings([body])))])
}

/// The website's order events, one JSON document each, numbered as the event hub did.
fn order_events(rows: &[OnlineOrder]) -> Result<RecordBatch, DemoError> {
    let bodies = rows.iter().map(|o| {
        json!({
            "order_id": o.id,
            "order_date": o.date.to_string(),
            "customer": {
                "id": o.customer_id,
                "first_name": o.first_name,
                "last_name": o.last_name,
                "email": o.email,
                "country": o.country,
            },
            "product_name": o.product_name,
            "units": o.units,
            "sale_price_usd": money_text(o.sale_price_usd_cents),
        })
        .to_string()
    });
    batch(
        ONLINE_ORDERS,
        vec![
            ("sequence_number", Ok(int64s(0..rows.len() as i64))),
            ("body", Ok(strings(bodies))),
        ],
    )
}

/// nginx access-log lines in its JSON log format.
fn log_lines(lines: &[LogLine]) -> Result<RecordBatch, DemoError> {
    let values = lines.iter().map(|l| {
        json!({
            "time": l.time.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
            "remote_ip": dotted(l.ip),
            "request": l.request,
            "response": l.response,
            "agent": l.agent,
        })
        .to_string()
    });
    batch(LOGS, vec![("value", Ok(strings(values)))])
}

/// The IP2Location file's rows, numbers as text.
fn geolocation(ranges: &[IpRange]) -> Result<RecordBatch, DemoError> {
    batch(
        GEOLOCATION,
        vec![
            (
                "ip_from",
                Ok(strings(ranges.iter().map(|r| r.from.to_string()))),
            ),
            (
                "ip_to",
                Ok(strings(ranges.iter().map(|r| r.to.to_string()))),
            ),
            (
                "country_code",
                Ok(strings(ranges.iter().map(|r| r.country_code))),
            ),
            (
                "country_name",
                Ok(strings(ranges.iter().map(|r| r.country_name))),
            ),
        ],
    )
}
