//! The store systems: customers registered at the till and their order lines, in two loads.

use chrono::{Days, NaiveDate};

use super::reference::{FIRST_NAMES, LAST_NAMES, PRODUCTS, STORE_COUNTRIES, STREETS};
use super::{CANCELLED, COMPLETED, StoreCustomer, StoreLoad, StoreOrder, currency};
use crate::random::SplitMix64;

const SEED: u64 = 0x5702E;
const INITIAL_CUSTOMERS: usize = 300;
const INCREMENTAL_CUSTOMERS: usize = 30;
const INITIAL_ORDERS: usize = 2_400;
const INCREMENTAL_ORDERS: usize = 300;
/// Orders of the first load that the second load sends again, now cancelled.
const LATE_CANCELLATIONS: usize = 20;
const FIRST_ORDER_ID: i64 = 100_001;

/// The first load (orders of 2023 to September 2024) and the incremental load (new customers,
/// orders of the last quarter of 2024, and late cancellations of earlier orders).
pub(super) fn generate(scale: usize) -> (StoreLoad, StoreLoad) {
    let mut random = SplitMix64::new(SEED);
    let mut countries = Vec::new();
    let initial_customers = customers(&mut random, 1, INITIAL_CUSTOMERS * scale, &mut countries);
    let initial_orders = orders(
        &mut random,
        FIRST_ORDER_ID,
        INITIAL_ORDERS * scale,
        (date(2023, 1, 1), date(2024, 9, 30)),
        &countries,
    );

    let next_customer = initial_customers.len() as i64 + 1;
    let new_customers = customers(
        &mut random,
        next_customer,
        INCREMENTAL_CUSTOMERS * scale,
        &mut countries,
    );
    let mut new_orders = orders(
        &mut random,
        FIRST_ORDER_ID + initial_orders.len() as i64,
        INCREMENTAL_ORDERS * scale,
        (date(2024, 10, 1), date(2024, 12, 31)),
        &countries,
    );
    let completed: Vec<&StoreOrder> = initial_orders
        .iter()
        .filter(|order| order.status == COMPLETED)
        .collect();
    for index in 0..LATE_CANCELLATIONS * scale {
        // Spread over the first load, each order at most once.
        let mut order = completed[index * completed.len() / (LATE_CANCELLATIONS * scale)].clone();
        order.status = CANCELLED;
        new_orders.push(order);
    }

    let initial = StoreLoad {
        customers: initial_customers,
        orders: initial_orders,
    };
    let incremental = StoreLoad {
        customers: new_customers,
        orders: new_orders,
    };
    (initial, incremental)
}

/// `count` customers from id `first_id`; each one's country index is pushed to `countries`.
fn customers(
    random: &mut SplitMix64,
    first_id: i64,
    count: usize,
    countries: &mut Vec<usize>,
) -> Vec<StoreCustomer> {
    (0..count as i64)
        .map(|offset| {
            let id = first_id + offset;
            let country_index = random.weighted(&[50, 20, 15, 15]);
            countries.push(country_index);
            let country = &STORE_COUNTRIES[country_index];
            let first_name = *random.pick(FIRST_NAMES);
            let last_name = *random.pick(LAST_NAMES);
            let email = match random.between(0, 2) {
                0 => format!("{first_name}.{last_name}{id}@Example.com"),
                1 => format!("{first_name}{id}@MAIL.example.org").to_uppercase(),
                _ => format!("{}.{}{id}@example.com", first_name, last_name).to_lowercase(),
            };
            StoreCustomer {
                id,
                first_name: first_name.to_string(),
                last_name: last_name.to_string(),
                email,
                phone: format!(
                    "+{} 555 {:04}",
                    random.between(1, 99),
                    random.between(0, 9999)
                ),
                country: random.pick(country.spellings).to_string(),
                address: format!("{} {}", random.between(1, 250), random.pick(STREETS)),
                credit_card: format!(
                    "4{:03} {:04} {:04} {:04}",
                    random.between(0, 999),
                    random.between(0, 9999),
                    random.between(0, 9999),
                    random.between(0, 9999)
                ),
            }
        })
        .collect()
}

/// `count` order lines from id `first_id`, dated within `dates`, by customers whose country
/// indexes are `countries` (customer id = index + 1).
fn orders(
    random: &mut SplitMix64,
    first_id: i64,
    count: usize,
    dates: (NaiveDate, NaiveDate),
    countries: &[usize],
) -> Vec<StoreOrder> {
    let days = (dates.1 - dates.0).num_days();
    (0..count as i64)
        .map(|offset| {
            let customer_index = random.between(0, countries.len() as i64 - 1) as usize;
            let store_currency = STORE_COUNTRIES[countries[customer_index]].currency;
            let rate_e4 = currency(store_currency).map_or(10_000, |c| c.rate_e4);
            let product = random.pick(PRODUCTS);
            let units = random.between(1, 4) as i32;
            let discount_percent = random.between(0, 15);
            let usd_cents =
                product.list_price_cents * i64::from(units) * (100 - discount_percent) / 100;
            StoreOrder {
                id: first_id + offset,
                customer_id: customer_index as i64 + 1,
                product_id: product.id,
                date: dates.0 + Days::new(random.between(0, days) as u64),
                units,
                sale_price_cents: usd_cents * rate_e4 / 10_000,
                currency: store_currency,
                status: if random.chance(5) {
                    CANCELLED
                } else {
                    COMPLETED
                },
            }
        })
        .collect()
}

/// A calendar date that is valid by construction.
pub(super) fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_incremental_load_cancels_orders_of_the_first_load() {
        let (initial, incremental) = generate(1);
        let late: Vec<&StoreOrder> = incremental
            .orders
            .iter()
            .filter(|order| order.id < FIRST_ORDER_ID + initial.orders.len() as i64)
            .collect();
        assert_eq!(late.len(), LATE_CANCELLATIONS);
        assert!(late.iter().all(|order| order.status == CANCELLED));
        let mut ids: Vec<i64> = late.iter().map(|order| order.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), LATE_CANCELLATIONS);
    }

    #[test]
    fn every_order_is_priced_in_its_customers_currency() {
        let (initial, _) = generate(1);
        let first = &initial.orders[0];
        let customer = &initial.customers[(first.customer_id - 1) as usize];
        let country = STORE_COUNTRIES
            .iter()
            .find(|c| c.spellings.contains(&customer.country.as_str()))
            .map(|c| c.currency);
        assert_eq!(country, Some(first.currency));
    }
}
