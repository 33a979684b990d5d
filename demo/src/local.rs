//! A demo lake in a local folder: created when missing, refused when it holds anything, and
//! removed again (back to how it was) when the creation fails, so nothing is half-written.

use std::path::Path;

use lakeshore_engine::StorageOptions;
use url::Url;

use crate::error::DemoError;
use crate::location::Lake;

/// Whether the gold layer, the last step of a creation, was written in `dir`.
pub(crate) fn exists(dir: &Path) -> bool {
    dir.join("gold").is_dir()
}

pub(crate) async fn create(
    dir: &Path,
    storage: &StorageOptions,
    scale: u32,
) -> Result<(), DemoError> {
    let existed = ensure_empty(dir)?;
    // Delta tables are addressed by absolute URLs.
    let absolute = dir.canonicalize().map_err(|source| DemoError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let root = Url::from_directory_path(&absolute).map_err(|()| DemoError::InvalidLocation {
        location: dir.display().to_string(),
        reason: "not a path a URL can name".to_string(),
    })?;
    let built = crate::build(&Lake::new(root, storage), scale).await;
    if built.is_err() {
        // Leave nothing half-written: the folder as it was (empty, or absent).
        let _ = std::fs::remove_dir_all(&absolute);
        if existed {
            let _ = std::fs::create_dir(&absolute);
        }
    }
    built
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
