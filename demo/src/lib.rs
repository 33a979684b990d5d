//! The Electroniz demo lakehouse: the retailer of "Data Engineering with Apache Spark, Delta
//! Lake, and Lakehouse" (Kukreja, Packt), as a small deterministic lake of Delta tables.
//!
//! [`create`] generates the business's records from a fixed seed ([`dataset`]), lands them in
//! bronze as they arrive ([`bronze`]), curates silver with real Delta history: a first load, an
//! incremental MERGE, an UPDATE and a DELETE ([`silver`]), then builds gold by running
//! `sql/electroniz/*.sql` through the engine ([`gold`]).

mod bronze;
mod columns;
mod dataset;
mod delta;
mod error;
mod gold;
mod random;
mod silver;

use std::path::Path;

pub use error::DemoError;
pub use gold::GOLD_SCRIPTS;

/// The folder `lakeshore --demo` uses when none is given.
pub const DEFAULT_DIR: &str = "lakeshore-demo";

/// Whether `dir` holds a demo lake: its gold layer, the last step of [`create`], was written.
pub fn exists(dir: &Path) -> bool {
    dir.join("gold").is_dir()
}

/// Creates the demo lake in `dir`, which must be missing or empty, with every table's row
/// count multiplied by `scale` (1: a few thousand rows, created in seconds). The same `scale`
/// always gives the same rows.
pub async fn create(dir: &Path, scale: u32) -> Result<(), DemoError> {
    if scale == 0 {
        return Err(DemoError::InvalidScale);
    }
    let existed = ensure_empty(dir)?;
    // Delta tables are addressed by absolute URLs.
    let dir = dir.canonicalize().map_err(|source| DemoError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let built = build(&dir, scale).await;
    if built.is_err() {
        // Leave nothing half-written: the folder as it was (empty, or absent).
        let _ = std::fs::remove_dir_all(&dir);
        if existed {
            let _ = std::fs::create_dir(&dir);
        }
    }
    built
}

async fn build(dir: &Path, scale: u32) -> Result<(), DemoError> {
    let data = dataset::Dataset::generate(scale);
    bronze::land(dir, &data).await?;
    silver::curate(dir, &data).await?;
    gold::build(dir).await
}

/// Creates `dir` if it is missing; refuses a folder that holds anything. Returns whether the
/// folder existed.
fn ensure_empty(dir: &Path) -> Result<bool, DemoError> {
    let io_error = |source| DemoError::Io {
        path: dir.display().to_string(),
        source,
    };
    if dir.exists() {
        if dir.read_dir().map_err(io_error)?.next().is_some() {
            return Err(DemoError::NotEmpty(dir.display().to_string()));
        }
        return Ok(true);
    }
    std::fs::create_dir_all(dir).map_err(io_error)?;
    Ok(false)
}
