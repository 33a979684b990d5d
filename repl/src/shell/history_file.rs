//! Where the shell keeps the statements typed, across sessions.

use std::path::PathBuf;

/// `$LAKESHORE_HISTORY` when set (empty: keep no history), else `lakeshore/history` in the
/// user's data directory (`~/.local/share` on Linux).
pub fn history_path() -> Option<PathBuf> {
    match std::env::var_os("LAKESHORE_HISTORY") {
        Some(path) if path.is_empty() => None,
        Some(path) => Some(PathBuf::from(path)),
        None => dirs::data_dir().map(|dir| dir.join("lakeshore").join("history")),
    }
}
