//! The Electroniz demo lake: `--demo [DIR]` and `lakeshore demo create DIR`.

use std::path::Path;

use anyhow::{Result, bail};

/// Creates the demo lake in `dir`.
pub async fn create(dir: &Path, scale: u32) -> Result<()> {
    let _ = scale;
    bail!(
        "cannot create the demo lake in {}: not available yet",
        dir.display()
    )
}

/// The demo lake in `dir`, created first when missing; returns its location.
pub async fn open_or_create(dir: &Path) -> Result<String> {
    bail!(
        "cannot open the demo lake in {}: not available yet",
        dir.display()
    )
}
