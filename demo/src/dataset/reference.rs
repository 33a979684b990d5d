//! Electroniz's fixed reference data: its products, the currencies its stores sell in, and the
//! countries its website visitors come from.

/// A product of the catalogue, with its list price in US cents.
pub(crate) struct Product {
    pub id: i64,
    pub name: &'static str,
    pub category: &'static str,
    pub list_price_cents: i64,
}

/// A currency and its rate: units of the currency per US dollar, times 10,000.
#[derive(Clone, Copy)]
pub(crate) struct Currency {
    pub code: &'static str,
    pub name: &'static str,
    pub rate_e4: i64,
}

/// A country a store sells in: its code in silver, the currency of its stores, and the ways
/// the store systems spell it (which curation normalizes).
pub(crate) struct StoreCountry {
    pub code: &'static str,
    pub currency: &'static str,
    pub spellings: &'static [&'static str],
}

/// A country website visitors come from, and its share of the traffic.
pub(crate) struct VisitorCountry {
    pub code: &'static str,
    pub name: &'static str,
    pub weight: u64,
}

pub(crate) const PRODUCTS: &[Product] = &[
    product(1, "Nova Phone 12", "Phones", 69_900),
    product(2, "Nova Phone 12 Pro", "Phones", 99_900),
    product(3, "Pixelite 8", "Phones", 59_900),
    product(4, "Orbit Mini", "Phones", 39_900),
    product(5, "AirBook 14", "Laptops", 119_900),
    product(6, "ProBook 16", "Laptops", 249_900),
    product(7, "ZenTop 13", "Laptops", 89_900),
    product(8, "Gamer X17", "Laptops", 189_900),
    product(9, "Vista OLED 55", "TVs", 149_900),
    product(10, "Vista QLED 65", "TVs", 129_900),
    product(11, "Cinema 4K 50", "TVs", 49_900),
    product(12, "Cinema 8K 75", "TVs", 299_900),
    product(13, "BassPods", "Audio", 12_900),
    product(14, "Studio Buds", "Audio", 17_900),
    product(15, "SoundBar 300", "Audio", 39_900),
    product(16, "Echo Speaker", "Audio", 9_900),
    product(17, "SnapCam Z5", "Cameras", 79_900),
    product(18, "ActionCam 4", "Cameras", 29_900),
    product(19, "Lens 50mm", "Cameras", 24_900),
    product(20, "Drone Air 2", "Cameras", 99_900),
    product(21, "USB-C Charger", "Accessories", 2_900),
    product(22, "Laptop Sleeve", "Accessories", 3_900),
    product(23, "HDMI Cable 2m", "Accessories", 1_500),
    product(24, "Screen Protector", "Accessories", 1_900),
];

const fn product(id: i64, name: &'static str, category: &'static str, cents: i64) -> Product {
    Product {
        id,
        name,
        category,
        list_price_cents: cents,
    }
}

/// The rates of the first load.
pub(crate) const CURRENCIES: &[Currency] = &[
    Currency {
        code: "USD",
        name: "US Dollar",
        rate_e4: 10_000,
    },
    Currency {
        code: "GBP",
        name: "British Pound",
        rate_e4: 7_900,
    },
    Currency {
        code: "CAD",
        name: "Canadian Dollar",
        rate_e4: 13_600,
    },
    Currency {
        code: "INR",
        name: "Indian Rupee",
        rate_e4: 831_500,
    },
];

/// The rate revision that the price update applies to the store orders already loaded.
pub(crate) const REVISED_RATE: Currency = Currency {
    code: "INR",
    name: "Indian Rupee",
    rate_e4: 835_000,
};

pub(crate) const STORE_COUNTRIES: &[StoreCountry] = &[
    StoreCountry {
        code: "USA",
        currency: "USD",
        spellings: &["USA", "United States", "us", "U.S.A."],
    },
    StoreCountry {
        code: "UK",
        currency: "GBP",
        spellings: &["UK", "United Kingdom", "u.k.", "Great Britain"],
    },
    StoreCountry {
        code: "CAN",
        currency: "CAD",
        spellings: &["CAN", "Canada", "ca", "CANADA"],
    },
    StoreCountry {
        code: "IND",
        currency: "INR",
        spellings: &["IND", "India", "in", "INDIA"],
    },
];

pub(crate) const VISITOR_COUNTRIES: &[VisitorCountry] = &[
    visitor("US", "United States of America", 300),
    visitor("IN", "India", 200),
    visitor(
        "GB",
        "United Kingdom of Great Britain and Northern Ireland",
        120,
    ),
    visitor("CA", "Canada", 100),
    visitor("DE", "Germany", 80),
    visitor("FR", "France", 60),
    visitor("JP", "Japan", 50),
    visitor("BR", "Brazil", 40),
    visitor("AU", "Australia", 30),
    visitor("NG", "Nigeria", 8),
    visitor("IS", "Iceland", 4),
];

const fn visitor(code: &'static str, name: &'static str, weight: u64) -> VisitorCountry {
    VisitorCountry { code, name, weight }
}

pub(crate) const FIRST_NAMES: &[&str] = &[
    "Olivia", "Liam", "Emma", "Noah", "Amelia", "Oliver", "Ava", "Elijah", "Sophia", "James",
    "Isabella", "Aarav", "Priya", "Arjun", "Ananya", "Harry", "Poppy", "Jack", "Isla", "Chloe",
    "Ethan", "Maya", "Lucas", "Zoe",
];

pub(crate) const LAST_NAMES: &[&str] = &[
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Patel",
    "Sharma", "Singh", "Kumar", "Taylor", "Wilson", "Evans", "Thomas", "Roberts", "Tremblay",
    "Gagnon", "Roy", "Martin", "Lee", "Walker", "Hall",
];

pub(crate) const STREETS: &[&str] = &[
    "Main Street",
    "Oak Avenue",
    "High Street",
    "Maple Road",
    "MG Road",
    "King Street",
    "Station Road",
    "Park Lane",
];

pub(crate) const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
];
