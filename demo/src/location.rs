//! Where the demo lake goes: the location a user names (a local folder or an object-store
//! URI), and the lake root that delta-rs and the engine address, with its store's options.

use std::path::PathBuf;

use lakeshore_engine::{Engine, EngineConfig, StorageOptions, register_store_handlers};
use url::Url;

use crate::error::DemoError;

/// The location of the demo lake as given.
pub(crate) enum Location {
    /// A folder on this machine: a path, or a `file://` URI (the same folder, so the same
    /// rules: it is created when missing, and removed again if the creation fails).
    Local(PathBuf),
    /// A folder of an object store: `s3://`, `az://`, `abfss://`, `gs://` ...
    Store(Url),
}

impl Location {
    pub(crate) fn parse(location: &str) -> Result<Self, DemoError> {
        if !location.contains("://") {
            return Ok(Location::Local(PathBuf::from(location)));
        }
        let invalid = |reason: String| DemoError::InvalidLocation {
            location: display_location(location),
            reason,
        };
        let url = Url::parse(location).map_err(|e| invalid(e.to_string()))?;
        if url.scheme() == "file" {
            return url
                .to_file_path()
                .map(Location::Local)
                .map_err(|()| invalid("not a path on this machine".to_string()));
        }
        Ok(Location::Store(url))
    }
}

/// `location` as messages show it: a URI without the password or query in which a credential
/// (a SAS token, say) might travel.
pub fn display_location(location: &str) -> String {
    match Url::parse(location) {
        Ok(url) if location.contains("://") => lakeshore_engine::display_url(&url),
        _ => location.to_string(),
    }
}

/// The root of the demo lake as delta-rs and the engine address it, and the object-store
/// options (credentials, endpoints) for the locations below it.
pub(crate) struct Lake<'a> {
    root: Url,
    storage: &'a StorageOptions,
}

impl<'a> Lake<'a> {
    pub(crate) fn new(mut root: Url, storage: &'a StorageOptions) -> Self {
        // A folder's URL ends in `/`, so joining a table's folder onto it keeps the root.
        if !root.path().ends_with('/') {
            let path = format!("{}/", root.path());
            root.set_path(&path);
        }
        // delta-rs finds a URI's store by scheme in a registry that this fills.
        register_store_handlers();
        Self { root, storage }
    }

    /// An engine over the lake, with its store's options.
    pub(crate) async fn engine(&self) -> Result<Engine, DemoError> {
        Engine::open(EngineConfig {
            lake: Some(self.root.to_string()),
            storage: self.storage.clone(),
            ..EngineConfig::default()
        })
        .await
        .map_err(DemoError::Lake)
    }

    pub(crate) fn root(&self) -> &Url {
        &self.root
    }

    pub(crate) fn storage(&self) -> &StorageOptions {
        self.storage
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_are_local_folders_and_other_uris_are_stores() {
        assert!(matches!(
            Location::parse("file:///tmp/demo"),
            Ok(Location::Local(path)) if path == std::path::Path::new("/tmp/demo")
        ));
        assert!(matches!(
            Location::parse("lakeshore-demo"),
            Ok(Location::Local(_))
        ));
        assert!(matches!(
            Location::parse("s3://bucket/demo"),
            Ok(Location::Store(_))
        ));
    }

    #[test]
    fn shown_locations_carry_no_password_or_query() {
        let shown = display_location("az://user:secret@container/demo?sig=token");
        assert!(
            !shown.contains("secret") && !shown.contains("token"),
            "{shown}"
        );
        assert_eq!(display_location("./demo"), "./demo");
        assert_eq!(display_location("s3://bucket/demo/"), "s3://bucket/demo");
    }

    #[test]
    fn table_folders_join_below_the_root() {
        let storage = StorageOptions::default();
        let lake = Lake::new(Url::parse("s3://bucket/demo").unwrap(), &storage);
        assert_eq!(
            lake.root().join("silver/logs").unwrap().as_str(),
            "s3://bucket/demo/silver/logs"
        );
    }
}
