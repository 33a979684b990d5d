//! Turning what a user types (a path or a URI) into the URL that delta-rs and object stores use.

use std::path::Path;

use url::Url;

use crate::error::{EngineError, Result};

/// The URL schemes whose object stores are built in: local disk, S3 (and S3-compatible
/// stores), ADLS Gen2 and Azure Blob, and Google Cloud Storage.
const SUPPORTED_SCHEMES: &[&str] = &[
    "file", "s3", "s3a", "az", "azure", "abfs", "abfss", "adl", "gs",
];

/// The URL of a folder (a lake root or a table root), always ending in `/` so that joining a
/// child name keeps the folder. Local paths must exist; object-store URIs are taken as they are.
pub(crate) fn folder_url(location: &str) -> Result<Url> {
    let invalid = |reason: String| EngineError::InvalidLocation {
        location: Url::parse(location)
            .map_or_else(|_| location.to_string(), |url| display_url(&url)),
        reason,
    };
    let trimmed = location.trim();
    if trimmed.is_empty() {
        return Err(invalid("the location is empty".to_string()));
    }
    let mut url = if trimmed.contains("://") {
        let url = Url::parse(trimmed).map_err(|e| invalid(e.to_string()))?;
        if !SUPPORTED_SCHEMES.contains(&url.scheme()) {
            return Err(invalid(format!(
                "{}:// is not a store Lakeshore reads; use a local path, file://, s3://, \
                 s3a://, az://, abfs://, abfss://, adl:// or gs://",
                url.scheme()
            )));
        }
        if url.host_str().is_none_or(str::is_empty) && url.scheme() != "file" {
            return Err(invalid(
                "the URI names no bucket or container, as in s3://bucket/lake".to_string(),
            ));
        }
        url
    } else {
        let path = Path::new(trimmed);
        let absolute = std::fs::canonicalize(path).map_err(|e| invalid(e.to_string()))?;
        if !absolute.is_dir() {
            return Err(invalid("not a folder".to_string()));
        }
        Url::from_directory_path(&absolute)
            .map_err(|()| invalid("not an absolute path".to_string()))?
    };
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// A URL for messages: what the user typed, without credentials a URI might carry (a password,
/// or a query such as a SAS token).
pub fn display_url(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_password(None);
    shown.set_query(None);
    if url.scheme() == "file" {
        return url.path().trim_end_matches('/').to_string();
    }
    shown.as_str().trim_end_matches('/').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_folder_becomes_a_file_url_with_a_trailing_slash() {
        let dir = std::env::temp_dir();
        let url = folder_url(dir.to_str().unwrap()).unwrap();
        assert_eq!(url.scheme(), "file");
        assert!(url.path().ends_with('/'));
    }

    #[test]
    fn missing_local_folder_is_an_error_naming_it() {
        let err = folder_url("/no/such/lakeshore/folder")
            .unwrap_err()
            .to_string();
        assert!(err.contains("/no/such/lakeshore/folder"), "{err}");
    }

    #[test]
    fn file_uris_are_folders_too() {
        let dir = std::env::temp_dir();
        let uri = format!("file://{}", dir.display());
        assert!(folder_url(&uri).unwrap().path().ends_with('/'));
    }

    #[test]
    fn object_store_uris_are_folders() {
        for uri in [
            "s3://bucket/lake",
            "s3a://bucket/lake/",
            "az://container/lake",
            "abfss://container@account.dfs.core.windows.net/lake",
            "gs://bucket",
        ] {
            let url = folder_url(uri).unwrap();
            assert!(url.path().ends_with('/'), "{url}");
        }
    }

    #[test]
    fn unknown_schemes_are_refused_clearly_and_without_credentials() {
        let err = folder_url("ftp://user:secret@host/lake?sig=token")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("ftp:// is not a store Lakeshore reads"),
            "{err}"
        );
        assert!(!err.contains("secret"), "{err}");
        let url = Url::parse("az://user:secret@container/lake/?sv=1&sig=token").unwrap();
        let shown = display_url(&url);
        assert!(
            !shown.contains("secret") && !shown.contains("token"),
            "{shown}"
        );
        assert!(folder_url("s3:///lake").is_err());
    }
}
