//! Silver's store tables: customers cleaned and masked, order lines typed and priced in US
//! dollars.

use arrow::array::RecordBatch;

use super::curation::{mask, normalize_country};
use crate::columns::{batch, dates, int32s, int64s, money, strings};
use crate::dataset::{StoreCustomer, StoreOrder, currency, to_usd_cents};
use crate::error::DemoError;

pub(crate) const CUSTOMERS: &str = "silver/sales/store_customers";
pub(crate) const ORDERS: &str = "silver/sales/store_orders";

pub(crate) fn customers(rows: &[StoreCustomer]) -> Result<RecordBatch, DemoError> {
    batch(
        CUSTOMERS,
        vec![
            ("customer_id", Ok(int64s(rows.iter().map(|c| c.id)))),
            (
                "first_name",
                Ok(strings(rows.iter().map(|c| &c.first_name))),
            ),
            ("last_name", Ok(strings(rows.iter().map(|c| &c.last_name)))),
            (
                "email",
                Ok(strings(rows.iter().map(|c| c.email.to_lowercase()))),
            ),
            ("phone", Ok(strings(rows.iter().map(|c| mask(&c.phone))))),
            (
                "country",
                Ok(strings(rows.iter().map(|c| normalize_country(&c.country)))),
            ),
            (
                "address",
                Ok(strings(rows.iter().map(|c| mask(&c.address)))),
            ),
            (
                "credit_card",
                Ok(strings(rows.iter().map(|c| mask(&c.credit_card)))),
            ),
        ],
    )
}

/// Order lines with `sale_price_usd` at the first load's rates.
pub(crate) fn orders(rows: &[StoreOrder]) -> Result<RecordBatch, DemoError> {
    let usd = rows.iter().map(|order| {
        let rate = currency(order.currency).map_or(10_000, |c| c.rate_e4);
        to_usd_cents(order.sale_price_cents, rate)
    });
    batch(
        ORDERS,
        vec![
            ("order_id", Ok(int64s(rows.iter().map(|o| o.id)))),
            (
                "customer_id",
                Ok(int64s(rows.iter().map(|o| o.customer_id))),
            ),
            ("product_id", Ok(int64s(rows.iter().map(|o| o.product_id)))),
            ("order_date", Ok(dates(rows.iter().map(|o| o.date)))),
            ("units", Ok(int32s(rows.iter().map(|o| o.units)))),
            ("sale_price", money(rows.iter().map(|o| o.sale_price_cents))),
            ("sale_price_usd", money(usd)),
            ("currency", Ok(strings(rows.iter().map(|o| o.currency)))),
            ("order_status", Ok(strings(rows.iter().map(|o| o.status)))),
        ],
    )
}
