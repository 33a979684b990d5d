//! Where `tpch-gen` puts things in its lake, which `tpch` reads back: the tables in the schema
//! `tpch`, and the scale factor in a file beside them (a file, not a folder, so the engine
//! does not take it for a schema).

use std::path::Path;

use anyhow::{Context, Result};

pub const SCHEMA: &str = "tpch";

pub const TABLES: &[&str] = &[
    "nation", "region", "part", "supplier", "partsupp", "customer", "orders", "lineitem",
];

const SCALE_FACTOR_FILE: &str = "_tpch_scale_factor";

pub fn write_scale_factor(lake: &Path, sf: f64) -> Result<()> {
    let path = lake.join(SCALE_FACTOR_FILE);
    std::fs::write(&path, format!("{sf}\n"))
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The scale factor `tpch-gen` wrote the lake with; `None` for a lake it did not write.
pub fn read_scale_factor(lake: &Path) -> Result<Option<f64>> {
    let path = lake.join(SCALE_FACTOR_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let sf = text.trim().parse().with_context(|| {
        format!(
            "{} holds {:?}, not a scale factor",
            path.display(),
            text.trim()
        )
    })?;
    Ok(Some(sf))
}
