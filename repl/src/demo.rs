//! The Electroniz demo lake: `--demo [LOCATION]` and `lakeshore demo create LOCATION`, where
//! the location is a local folder or an object-store URI reached with the storage options of
//! `--storage-option` and `--config`.

use std::io::IsTerminal;

use anyhow::{Context, Result};
use lakeshore_demo::display_location;
use lakeshore_engine::StorageOptions;

/// `lakeshore demo create LOCATION`: creates the demo lake at `location` and says how to open
/// it.
pub async fn create(location: &str, storage: &StorageOptions, scale: u32) -> Result<()> {
    build(location, storage, scale).await?;
    let shown = display_location(location);
    // Named, not printed: the options hold credentials.
    let options = if storage.global.is_empty() && storage.by_prefix.is_empty() {
        ""
    } else {
        " and the same --storage-option and --config"
    };
    println!(
        "Created the Electroniz demo lake in {shown}; open it with: lakeshore --demo {shown}{options}"
    );
    Ok(())
}

/// `--demo [LOCATION]`: the demo lake at `location`, created first when missing; returns its
/// location.
pub async fn open_or_create(location: &str, storage: &StorageOptions) -> Result<String> {
    let exists = lakeshore_demo::exists(location, storage)
        .await
        .with_context(|| {
            format!(
                "cannot open the demo lake at {}",
                display_location(location)
            )
        })?;
    if !exists {
        // Only a person at a terminal is told; a script's standard error stays for errors.
        if std::io::stderr().is_terminal() {
            eprintln!(
                "Creating the Electroniz demo lake in {} ...",
                display_location(location)
            );
        }
        build(location, storage, 1).await?;
    }
    Ok(location.to_string())
}

async fn build(location: &str, storage: &StorageOptions, scale: u32) -> Result<()> {
    lakeshore_demo::create(location, storage, scale)
        .await
        .with_context(|| {
            format!(
                "cannot create the demo lake in {}",
                display_location(location)
            )
        })
}
