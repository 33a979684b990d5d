//! Silver: the curated tables, as the book's curation notebook leaves them, with the history
//! of their loads. Every step is its own Delta commit:
//!
//! - `sales_store_customers`: v0 the first load, v1 a MERGE of the incremental load;
//! - `sales_store_orders` (partitioned by currency, change data feed on): v0 the first load,
//!   v1 a MERGE of the incremental load (new orders, late cancellations), v2 an UPDATE of the
//!   rupee orders' `sale_price_usd` after the rate revision, v3 a DELETE of cancelled orders;
//! - `currency`: v0 the first rates, v1 the rupee rate revised;
//! - `sales_products`, `geolocation`, `logs`, `esalesns`: one load each.

mod curation;

mod reference;
mod store;
mod web;

use crate::dataset::{CANCELLED, Dataset, REVISED_RATE};
use crate::delta::DemoTable;
use crate::error::DemoError;
use crate::location::Lake;

pub(crate) use curation::dotted;

pub(crate) async fn curate(lake: &Lake<'_>, data: &Dataset) -> Result<(), DemoError> {
    let customers = DemoTable::new(lake, store::CUSTOMERS);
    customers
        .create(store::customers(&data.initial.customers)?, &[], &[])
        .await?;
    customers
        .upsert(
            store::customers(&data.incremental.customers)?,
            "customer_id",
        )
        .await?;

    let orders = DemoTable::new(lake, store::ORDERS);
    orders
        .create(
            store::orders(&data.initial.orders)?,
            &["currency"],
            &[("delta.enableChangeDataFeed", "true")],
        )
        .await?;
    orders
        .upsert(store::orders(&data.incremental.orders)?, "order_id")
        .await?;
    let revised_rate = reference::rate_literal(REVISED_RATE.rate_e4);
    orders
        .update(
            &format!("currency = '{}'", REVISED_RATE.code),
            "sale_price_usd",
            &format!("CAST(sale_price / {revised_rate} AS DECIMAL(12, 2))"),
        )
        .await?;
    orders
        .delete(&format!("order_status = '{CANCELLED}'"))
        .await?;

    let currency = DemoTable::new(lake, reference::CURRENCY_TABLE);
    currency.create(reference::currency()?, &[], &[]).await?;
    currency
        .update(
            &format!("currency_code = '{}'", REVISED_RATE.code),
            "exchange_rate",
            &revised_rate,
        )
        .await?;

    DemoTable::new(lake, reference::PRODUCTS_TABLE)
        .create(reference::products()?, &[], &[])
        .await?;
    DemoTable::new(lake, reference::GEOLOCATION_TABLE)
        .create(reference::geolocation(&data.ip_ranges)?, &[], &[])
        .await?;
    DemoTable::new(lake, web::LOGS)
        .create(web::logs(&data.log_lines, &data.ip_ranges)?, &[], &[])
        .await?;
    DemoTable::new(lake, web::ONLINE_ORDERS)
        .create(web::online_orders(&data.online_orders)?, &[], &[])
        .await
}
