//! The web servers: the IP ranges of the geolocation file, and access-log lines from visitors
//! spread over the countries by their share of the traffic.

use chrono::{Duration, NaiveDateTime};

use super::reference::{PRODUCTS, USER_AGENTS, VISITOR_COUNTRIES};
use super::store::date;
use super::{IpRange, LogLine};
use crate::random::SplitMix64;

const SEED: u64 = 0x106_5EED;
const LINES: usize = 4_000;
/// First octets that are not assigned to any country (this network, private, loopback,
/// multicast and reserved): `-` in the geolocation file.
const RESERVED_FIRST_OCTETS: &[u32] = &[0, 10, 127];
const FIRST_RESERVED_HIGH_OCTET: u32 = 224;

/// One range per first octet (a /8): reserved ones marked `-`, the others dealt to the visitor
/// countries in turn, so every country owns ranges both below and above 128.0.0.0 (where
/// 32-bit signed IP numbers overflow).
pub(super) fn ip_ranges() -> Vec<IpRange> {
    let mut next_country = 0;
    (0..=255u32)
        .map(|octet| {
            let (country_code, country_name) =
                if RESERVED_FIRST_OCTETS.contains(&octet) || octet >= FIRST_RESERVED_HIGH_OCTET {
                    ("-", "-")
                } else {
                    let country = &VISITOR_COUNTRIES[next_country % VISITOR_COUNTRIES.len()];
                    next_country += 1;
                    (country.code, country.name)
                };
            IpRange {
                from: octet << 24,
                to: (octet << 24) | 0x00FF_FFFF,
                country_code,
                country_name,
            }
        })
        .collect()
}

pub(super) fn generate(scale: usize, ranges: &[IpRange]) -> Vec<LogLine> {
    let mut random = SplitMix64::new(SEED);
    let weights: Vec<u64> = VISITOR_COUNTRIES.iter().map(|c| c.weight).collect();
    let start: NaiveDateTime = date(2024, 1, 1).and_hms_opt(0, 0, 0).unwrap_or_default();
    let seconds_in_2024 = 366 * 24 * 3600 - 1;
    (0..LINES * scale)
        .map(|_| {
            let country = &VISITOR_COUNTRIES[random.weighted(&weights)];
            let owned: Vec<&IpRange> = ranges
                .iter()
                .filter(|range| range.country_code == country.code)
                .collect();
            let range = random.pick(&owned);
            let ip = range.from + random.between(1, 0x00FF_FFFE) as u32;
            let page = match random.between(0, 9) {
                0 => "/".to_string(),
                1 => "/cart".to_string(),
                _ => format!("/products/{}", slug(random.pick(PRODUCTS).name)),
            };
            let method = if page == "/cart" { "POST" } else { "GET" };
            let response = match random.between(0, 99) {
                0..=87 => 200,
                88..=93 => 304,
                94..=98 => 404,
                _ => 500,
            };
            LogLine {
                time: start + Duration::seconds(random.between(0, seconds_in_2024)),
                ip,
                request: format!("{method} {page} HTTP/1.1"),
                response,
                agent: random.pick::<&str>(USER_AGENTS),
            }
        })
        .collect()
}

/// A product name as it appears in a URL: `Nova Phone 12` is `nova-phone-12`.
fn slug(name: &str) -> String {
    name.to_lowercase().replace(' ', "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_every_address_once() {
        let ranges = ip_ranges();
        assert_eq!(ranges[0].from, 0);
        assert_eq!(ranges[255].to, u32::MAX);
        assert!(ranges.windows(2).all(|pair| pair[0].to + 1 == pair[1].from));
    }

    #[test]
    fn visitors_come_from_addresses_above_the_signed_32_bit_range() {
        let lines = generate(1, &ip_ranges());
        assert!(lines.iter().any(|line| line.ip > i32::MAX as u32));
        assert!(lines.iter().any(|line| line.ip < i32::MAX as u32));
    }
}
