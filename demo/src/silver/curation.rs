//! The cleaning rules of the book's curation notebook, as plain functions.

use std::fmt::Write;

use sha2::{Digest, Sha256};

use crate::dataset::reference::STORE_COUNTRIES;

/// A personal value replaced by the hex of its SHA-256, so rows stay joinable on it but the
/// value is not readable.
pub(crate) fn mask(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// A country as typed at a till (`United States`, `u.k.`, `ca`) as one of USA, UK, CAN, IND;
/// anything else unchanged.
pub(crate) fn normalize_country(raw: &str) -> String {
    STORE_COUNTRIES
        .iter()
        .find(|country| {
            country
                .spellings
                .iter()
                .any(|spelling| spelling.eq_ignore_ascii_case(raw.trim()))
        })
        .map_or_else(|| raw.to_string(), |country| country.code.to_string())
}

/// An IPv4 address as the number the geolocation ranges use (a 64-bit integer: addresses
/// past 127.255.255.255 do not fit the 32-bit int the book uses).
pub(crate) fn ip_number(ip: u32) -> i64 {
    i64::from(ip)
}

/// The dotted form of an IPv4 address, as the access log writes it.
pub(crate) fn dotted(ip: u32) -> String {
    std::net::Ipv4Addr::from(ip).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_is_sha256_in_hex() {
        assert_eq!(
            mask("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn country_spellings_become_one_code() {
        for (raw, code) in [
            ("United States", "USA"),
            ("u.k.", "UK"),
            ("ca", "CAN"),
            ("INDIA", "IND"),
        ] {
            assert_eq!(normalize_country(raw), code);
        }
        assert_eq!(normalize_country("Mars"), "Mars");
    }

    #[test]
    fn high_addresses_stay_positive() {
        assert_eq!(ip_number(u32::MAX), 4_294_967_295);
        assert_eq!(dotted(0xCB00_7109), "203.0.113.9");
    }
}
