//! Silver's reference tables: products, currency rates and the IP geolocation ranges.

use arrow::array::RecordBatch;

use super::curation::ip_number;
use crate::columns::{batch, decimals, int64s, money, strings};
use crate::dataset::{CURRENCIES, IpRange, PRODUCTS};
use crate::error::DemoError;

pub(crate) const PRODUCTS_TABLE: &str = "silver/sales/products";
pub(crate) const CURRENCY_TABLE: &str = "silver/currency";
pub(crate) const GEOLOCATION_TABLE: &str = "silver/geolocation";

/// Exchange rates keep four decimals.
pub(crate) const RATE_PRECISION: u8 = 12;
pub(crate) const RATE_SCALE: i8 = 4;

pub(crate) fn products() -> Result<RecordBatch, DemoError> {
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
                "list_price_usd",
                money(PRODUCTS.iter().map(|p| p.list_price_cents)),
            ),
        ],
    )
}

/// The first load's rates: units of each currency per US dollar.
pub(crate) fn currency() -> Result<RecordBatch, DemoError> {
    batch(
        CURRENCY_TABLE,
        vec![
            (
                "currency_code",
                Ok(strings(CURRENCIES.iter().map(|c| c.code))),
            ),
            (
                "currency_name",
                Ok(strings(CURRENCIES.iter().map(|c| c.name))),
            ),
            (
                "exchange_rate",
                decimals(
                    CURRENCIES.iter().map(|c| c.rate_e4),
                    RATE_PRECISION,
                    RATE_SCALE,
                ),
            ),
        ],
    )
}

pub(crate) fn geolocation(ranges: &[IpRange]) -> Result<RecordBatch, DemoError> {
    batch(
        GEOLOCATION_TABLE,
        vec![
            (
                "ip_from",
                Ok(int64s(ranges.iter().map(|r| ip_number(r.from)))),
            ),
            ("ip_to", Ok(int64s(ranges.iter().map(|r| ip_number(r.to))))),
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

/// A rate (units per dollar, times 10,000) as SQL text of the rate column's type.
pub(crate) fn rate_literal(rate_e4: i64) -> String {
    format!(
        "CAST('{}.{:04}' AS DECIMAL({RATE_PRECISION}, {RATE_SCALE}))",
        rate_e4 / 10_000,
        rate_e4 % 10_000
    )
}
