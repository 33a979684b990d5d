//! The 22 TPC-H queries, kept as SQL files in the repository (`sql/tpch/qNN.sql`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

pub const QUERY_COUNT: u32 = 22;

/// `sql/tpch` of the repository this binary was built from.
pub fn sql_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../sql/tpch")
}

/// The text of query `number`, without its closing semicolon.
pub fn query_text(number: u32) -> Result<String> {
    if !(1..=QUERY_COUNT).contains(&number) {
        bail!("TPC-H has queries 1 to {QUERY_COUNT}, not {number}");
    }
    let path = sql_dir().join(format!("q{number:02}.sql"));
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(text.trim().trim_end_matches(';').to_string())
}

/// The queries asked for, or all 22.
pub fn selected(asked: &[u32]) -> Vec<u32> {
    if asked.is_empty() {
        (1..=QUERY_COUNT).collect()
    } else {
        asked.to_vec()
    }
}
