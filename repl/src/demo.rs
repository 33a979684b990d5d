//! The Electroniz demo lake: `--demo [DIR]` and `lakeshore demo create DIR`.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Context, Result};

/// `lakeshore demo create DIR`: creates the demo lake in `dir` and says how to open it.
pub async fn create(dir: &Path, scale: u32) -> Result<()> {
    build(dir, scale).await?;
    println!(
        "Created the Electroniz demo lake in {}; open it with: lakeshore --demo {}",
        dir.display(),
        dir.display()
    );
    Ok(())
}

/// `--demo [DIR]`: the demo lake in `dir`, created first when missing; returns its location.
pub async fn open_or_create(dir: &Path) -> Result<String> {
    if !lakeshore_demo::exists(dir) {
        // Only a person at a terminal is told; a script's standard error stays for errors.
        if std::io::stderr().is_terminal() {
            eprintln!("Creating the Electroniz demo lake in {} ...", dir.display());
        }
        build(dir, 1).await?;
    }
    Ok(dir.display().to_string())
}

async fn build(dir: &Path, scale: u32) -> Result<()> {
    lakeshore_demo::create(dir, scale)
        .await
        .with_context(|| format!("cannot create the demo lake in {}", dir.display()))
}
