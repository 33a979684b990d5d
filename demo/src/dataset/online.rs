//! The website: orders placed online by registered web customers, priced in US dollars.

use chrono::Days;

use super::OnlineOrder;
use super::reference::{FIRST_NAMES, LAST_NAMES, PRODUCTS, STORE_COUNTRIES};
use super::store::date;
use crate::random::SplitMix64;

const SEED: u64 = 0xE5A1E5;
const CUSTOMERS: usize = 200;
const ORDERS: usize = 1_500;
const FIRST_CUSTOMER_ID: i64 = 500_001;
const FIRST_ORDER_ID: i64 = 900_001;

/// A web customer: the website sends the same details with each order.
struct WebCustomer {
    id: i64,
    first_name: &'static str,
    last_name: &'static str,
    country: &'static str,
}

pub(super) fn generate(scale: usize) -> Vec<OnlineOrder> {
    let mut random = SplitMix64::new(SEED);
    let customers: Vec<WebCustomer> = (0..(CUSTOMERS * scale) as i64)
        .map(|offset| WebCustomer {
            id: FIRST_CUSTOMER_ID + offset,
            first_name: random.pick::<&str>(FIRST_NAMES),
            last_name: random.pick::<&str>(LAST_NAMES),
            country: STORE_COUNTRIES[random.weighted(&[55, 15, 15, 15])].code,
        })
        .collect();
    let first_day = date(2023, 1, 1);
    let days = (date(2024, 12, 31) - first_day).num_days();
    (0..(ORDERS * scale) as i64)
        .map(|offset| {
            let customer = random.pick(&customers);
            let product = random.pick(PRODUCTS);
            let units = random.between(1, 3) as i32;
            let discount_percent = random.between(0, 10);
            OnlineOrder {
                id: FIRST_ORDER_ID + offset,
                date: first_day + Days::new(random.between(0, days) as u64),
                customer_id: customer.id,
                first_name: customer.first_name,
                last_name: customer.last_name,
                email: format!(
                    "{}.{}{}@shop.example.net",
                    customer.first_name, customer.last_name, customer.id
                )
                .to_lowercase(),
                country: customer.country,
                product_name: product.name.to_lowercase(),
                units,
                sale_price_usd_cents: product.list_price_cents
                    * i64::from(units)
                    * (100 - discount_percent)
                    / 100,
            }
        })
        .collect()
}
