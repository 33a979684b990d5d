//! The Electroniz demo lakehouse: the retailer of "Data Engineering with Apache Spark, Delta
//! Lake, and Lakehouse" (Kukreja, Packt), as a small deterministic lake of Delta tables.
//!
//! [`create`] generates the business's records from a fixed seed ([`dataset`]), lands them in
//! bronze as they arrive ([`bronze`]), curates silver with real Delta history: a first load, an
//! incremental MERGE, an UPDATE and a DELETE ([`silver`]), then builds gold by running
//! `sql/electroniz/*.sql` through the engine ([`gold`]). The lake goes in a local folder
//! ([`local`]) or an object store ([`remote`]).

mod bronze;
mod columns;
mod dataset;
mod delta;
mod error;
mod gold;
mod local;
mod location;
mod random;
mod remote;
mod silver;

use lakeshore_engine::StorageOptions;

pub use error::DemoError;
pub use gold::GOLD_SCRIPTS;
pub use location::display_location;

use crate::location::{Lake, Location};

/// The folder `lakeshore --demo` uses when none is given.
pub const DEFAULT_DIR: &str = "lakeshore-demo";

/// Whether `location` (a local path or an object-store URI, reached with `storage`) holds a
/// demo lake: its gold layer, the last step of [`create`], was written.
pub async fn exists(location: &str, storage: &StorageOptions) -> Result<bool, DemoError> {
    match Location::parse(location)? {
        Location::Local(dir) => Ok(local::exists(&dir)),
        Location::Store(url) => remote::exists(&Lake::new(url, storage)).await,
    }
}

/// Creates the demo lake at `location`, a local path or an object-store URI (reached with
/// `storage`), which must be missing or empty, with every table's row count multiplied by
/// `scale` (1: a few thousand rows, created in seconds). The same `scale` always gives the
/// same rows.
pub async fn create(location: &str, storage: &StorageOptions, scale: u32) -> Result<(), DemoError> {
    if scale == 0 {
        return Err(DemoError::InvalidScale);
    }
    match Location::parse(location)? {
        Location::Local(dir) => local::create(&dir, storage, scale).await,
        Location::Store(url) => remote::create(&Lake::new(url, storage), scale).await,
    }
}

/// Writes every layer of the lake, in order: each reads the one before.
async fn build(lake: &Lake<'_>, scale: u32) -> Result<(), DemoError> {
    let data = dataset::Dataset::generate(scale);
    bronze::land(lake, &data).await?;
    silver::curate(lake, &data).await?;
    gold::build(lake).await
}
