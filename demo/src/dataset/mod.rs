//! The Electroniz business as plain Rust records, generated from a fixed seed: what its store
//! systems, website and web servers produce, before any lake sees it. Bronze lands these
//! records as they arrive; silver curates them.

mod online;
pub(crate) mod reference;
mod store;
mod weblog;

use chrono::{NaiveDate, NaiveDateTime};

pub(crate) use reference::{CURRENCIES, Currency, PRODUCTS, REVISED_RATE};

/// A customer as the store systems record it: e-mail and country as typed at the till,
/// phone, address and card in the clear.
pub(crate) struct StoreCustomer {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub country: String,
    pub address: String,
    pub credit_card: String,
}

/// An order line of a store, priced in the store's currency.
#[derive(Clone)]
pub(crate) struct StoreOrder {
    pub id: i64,
    pub customer_id: i64,
    pub product_id: i64,
    pub date: NaiveDate,
    pub units: i32,
    pub sale_price_cents: i64,
    pub currency: &'static str,
    pub status: &'static str,
}

pub(crate) const COMPLETED: &str = "COMPLETED";
pub(crate) const CANCELLED: &str = "CANCELLED";

/// What one load from the store systems brings: new customers, new orders, and orders sent
/// again because their status changed.
pub(crate) struct StoreLoad {
    pub customers: Vec<StoreCustomer>,
    pub orders: Vec<StoreOrder>,
}

/// An order placed on the website, priced in US dollars. The website sends product names in
/// lower case.
pub(crate) struct OnlineOrder {
    pub id: i64,
    pub date: NaiveDate,
    pub customer_id: i64,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub email: String,
    pub country: &'static str,
    pub product_name: String,
    pub units: i32,
    pub sale_price_usd_cents: i64,
}

/// One request in the web servers' access log.
pub(crate) struct LogLine {
    pub time: NaiveDateTime,
    pub ip: u32,
    pub request: String,
    pub response: i32,
    pub agent: &'static str,
}

/// A range of IPv4 addresses (as numbers) and the country it is assigned to, as in the
/// IP2Location DB1 file the book uses. `-` marks reserved ranges.
pub(crate) struct IpRange {
    pub from: u32,
    pub to: u32,
    pub country_code: &'static str,
    pub country_name: &'static str,
}

/// Everything the demo lake is made of.
pub(crate) struct Dataset {
    pub initial: StoreLoad,
    pub incremental: StoreLoad,
    pub online_orders: Vec<OnlineOrder>,
    pub log_lines: Vec<LogLine>,
    pub ip_ranges: Vec<IpRange>,
}

impl Dataset {
    /// The dataset for `scale` (1 gives a few thousand rows per table; row counts grow with it).
    pub(crate) fn generate(scale: u32) -> Self {
        let scale = scale as usize;
        let (initial, incremental) = store::generate(scale);
        let ip_ranges = weblog::ip_ranges();
        Self {
            initial,
            incremental,
            online_orders: online::generate(scale),
            log_lines: weblog::generate(scale, &ip_ranges),
            ip_ranges,
        }
    }
}

/// The currency with this code at the first load.
pub(crate) fn currency(code: &str) -> Option<&'static Currency> {
    CURRENCIES.iter().find(|currency| currency.code == code)
}

/// A price in `cents` of a currency converted to US cents at `rate_e4`, rounded half up.
pub(crate) fn to_usd_cents(cents: i64, rate_e4: i64) -> i64 {
    (2 * cents * 10_000 + rate_e4) / (2 * rate_e4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversion_to_dollars_rounds_half_up() {
        assert_eq!(to_usd_cents(7_900, 7_900), 10_000);
        // 1 GBP cent at 0.79 per dollar is 1.2658 US cents.
        assert_eq!(to_usd_cents(1, 7_900), 1);
        // 1 INR paisa at 83.15 per dollar is 0.012 US cents; 50 paise 0.6013.
        assert_eq!(to_usd_cents(50, 831_500), 1);
        assert_eq!(to_usd_cents(41, 831_500), 0);
    }

    #[test]
    fn the_same_scale_gives_the_same_dataset() {
        let a = Dataset::generate(1);
        let b = Dataset::generate(1);
        let orders = |d: &Dataset| -> Vec<(i64, i64, String, i64)> {
            d.initial
                .orders
                .iter()
                .map(|o| (o.id, o.product_id, o.date.to_string(), o.sale_price_cents))
                .collect()
        };
        assert_eq!(orders(&a), orders(&b));
        assert_eq!(a.log_lines.len(), b.log_lines.len());
        assert!(
            a.log_lines
                .iter()
                .zip(&b.log_lines)
                .all(|(x, y)| x.ip == y.ip)
        );
    }

    #[test]
    fn scale_multiplies_the_row_counts() {
        let one = Dataset::generate(1);
        let three = Dataset::generate(3);
        assert_eq!(three.initial.orders.len(), 3 * one.initial.orders.len());
        assert_eq!(three.online_orders.len(), 3 * one.online_orders.len());
        assert_eq!(three.log_lines.len(), 3 * one.log_lines.len());
    }
}
