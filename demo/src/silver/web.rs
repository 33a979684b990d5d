//! Silver's web tables: the access log with each visitor's country, and the website's orders.

use arrow::array::RecordBatch;

use super::curation::{dotted, ip_number};
use crate::columns::{batch, dates, int32s, int64s, money, strings, utc_timestamps};
use crate::dataset::{IpRange, LogLine, OnlineOrder};
use crate::error::DemoError;

pub(crate) const LOGS: &str = "silver/logs";
pub(crate) const ONLINE_ORDERS: &str = "silver/esalesns";

/// Log lines with the visitor's address as a number and the country whose range holds it.
pub(crate) fn logs(lines: &[LogLine], ranges: &[IpRange]) -> Result<RecordBatch, DemoError> {
    batch(
        LOGS,
        vec![
            ("time", Ok(utc_timestamps(lines.iter().map(|l| l.time)))),
            ("remote_ip", Ok(strings(lines.iter().map(|l| dotted(l.ip))))),
            (
                "ip_number",
                Ok(int64s(lines.iter().map(|l| ip_number(l.ip)))),
            ),
            ("request", Ok(strings(lines.iter().map(|l| &l.request)))),
            ("response", Ok(int32s(lines.iter().map(|l| l.response)))),
            ("agent", Ok(strings(lines.iter().map(|l| l.agent)))),
            (
                "country_name",
                Ok(strings(lines.iter().map(|l| country_of(l.ip, ranges)))),
            ),
        ],
    )
}

/// The country of the range that holds `ip` (ranges are sorted and cover every address).
fn country_of(ip: u32, ranges: &[IpRange]) -> &'static str {
    let index = ranges.partition_point(|range| range.to < ip);
    ranges.get(index).map_or("-", |range| range.country_name)
}

pub(crate) fn online_orders(rows: &[OnlineOrder]) -> Result<RecordBatch, DemoError> {
    batch(
        ONLINE_ORDERS,
        vec![
            ("order_id", Ok(int64s(rows.iter().map(|o| o.id)))),
            ("order_date", Ok(dates(rows.iter().map(|o| o.date)))),
            (
                "customer_id",
                Ok(int64s(rows.iter().map(|o| o.customer_id))),
            ),
            ("first_name", Ok(strings(rows.iter().map(|o| o.first_name)))),
            ("last_name", Ok(strings(rows.iter().map(|o| o.last_name)))),
            ("email", Ok(strings(rows.iter().map(|o| &o.email)))),
            ("country", Ok(strings(rows.iter().map(|o| o.country)))),
            (
                "product_name",
                Ok(strings(rows.iter().map(|o| &o.product_name))),
            ),
            ("units", Ok(int32s(rows.iter().map(|o| o.units)))),
            (
                "sale_price_usd",
                money(rows.iter().map(|o| o.sale_price_usd_cents)),
            ),
        ],
    )
}
