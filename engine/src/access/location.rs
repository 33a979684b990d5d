//! Locations compared as the places they are, not as the text that names them: a local path
//! is made absolute with symbolic links resolved, a URI is split into scheme, bucket and path
//! segments, and `..` never climbs out of a prefix.

use std::path::{Component, Path, PathBuf};

use url::Url;

/// A place a statement reads or writes: a local path or a folder or file in an object store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Place {
    /// `file` for local paths; otherwise the URI's scheme, lower-case, with aliases merged
    /// (`s3a` is `s3`), so one store has one name.
    scheme: String,
    /// The bucket, container or account (with the port), lower-case; empty for local paths.
    authority: String,
    /// The path, one decoded segment each, without empty segments.
    segments: Vec<String>,
}

impl Place {
    /// The place `text` names, as a path or a URI, or why it cannot be told. Paths with `..`
    /// that cannot be resolved (in URIs, or below a folder that does not exist yet) are
    /// refused rather than guessed.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("the location is empty".to_string());
        }
        // Whatever parses as a URI is one (`file:/etc/passwd` too, as DataFusion reads it);
        // a one-letter scheme is a Windows drive.
        match Url::parse(text) {
            Ok(url) if url.scheme().len() > 1 => Self::of_url(&url),
            _ if text.contains("://") => Err(format!("{text} is not a URI")),
            _ => Self::of_path(Path::new(text)),
        }
    }

    /// The place of a URL.
    pub(crate) fn of_url(url: &Url) -> Result<Self, String> {
        let scheme = url.scheme().to_ascii_lowercase();
        let mut segments = Vec::new();
        for raw in url.path().split('/').filter(|segment| !segment.is_empty()) {
            let segment = percent_decoded(raw)?;
            if segment == "." || segment == ".." || segment.contains('/') {
                return Err(format!("the path segment {raw:?} is not allowed in a URI"));
            }
            segments.push(segment);
        }
        if scheme == "file" {
            let mut path = PathBuf::from("/");
            path.extend(&segments);
            return Self::of_path(&path);
        }
        let scheme = match scheme.as_str() {
            "s3a" => "s3".to_string(),
            "azure" | "abfs" | "abfss" | "adl" => "az".to_string(),
            _ => scheme,
        };
        let mut authority = url.host_str().unwrap_or_default().to_ascii_lowercase();
        if let Some(port) = url.port() {
            authority = format!("{authority}:{port}");
        }
        // `abfss://container@account.dfs.core.windows.net/` names the container before the @.
        if !url.username().is_empty() {
            authority = format!("{}@{authority}", url.username().to_ascii_lowercase());
        }
        Ok(Self {
            scheme,
            authority,
            segments,
        })
    }

    /// The place of a local path: absolute, with symbolic links of the part that exists
    /// resolved, so a link inside an allowed folder cannot point out of it.
    pub(crate) fn of_path(path: &Path) -> Result<Self, String> {
        let absolute = std::path::absolute(path)
            .map_err(|error| format!("cannot make the path absolute: {error}"))?;
        let resolved = resolve_existing(&absolute)?;
        let mut segments = Vec::new();
        for component in resolved.components() {
            match component {
                Component::Normal(part) => segments.push(part.to_string_lossy().into_owned()),
                Component::RootDir | Component::Prefix(_) | Component::CurDir => {}
                Component::ParentDir => {
                    return Err("a path may not climb with '..' below a missing folder".to_string());
                }
            }
        }
        Ok(Self {
            scheme: "file".to_string(),
            authority: String::new(),
            segments,
        })
    }

    /// The segments of `self` below `prefix`, when `self` is `prefix` or inside it. Whole
    /// segments are compared: `/lake` does not hold `/lake2`.
    pub(crate) fn below<'a>(&'a self, prefix: &Place) -> Option<&'a [String]> {
        (self.scheme == prefix.scheme
            && self.authority == prefix.authority
            && self.segments.starts_with(&prefix.segments))
        .then(|| &self.segments[prefix.segments.len()..])
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.scheme == "file" {
            write!(f, "/{}", self.segments.join("/"))
        } else {
            write!(
                f,
                "{}://{}/{}",
                self.scheme,
                self.authority,
                self.segments.join("/")
            )
        }
    }
}

/// `path` with its longest existing ancestor canonicalized and the rest (which does not exist,
/// so holds no link) normalized by hand.
fn resolve_existing(path: &Path) -> Result<PathBuf, String> {
    let mut existing = path.to_path_buf();
    let mut rest = Vec::new();
    loop {
        match std::fs::canonicalize(&existing) {
            Ok(canonical) => {
                let mut resolved = canonical;
                for part in rest.iter().rev() {
                    resolved.push(part);
                }
                return Ok(resolved);
            }
            Err(_) => {
                let Some(last) = existing.file_name().map(std::ffi::OsStr::to_os_string) else {
                    return Err("no part of the path exists".to_string());
                };
                rest.push(last);
                if !existing.pop() {
                    return Err("no part of the path exists".to_string());
                }
            }
        }
    }
}

/// `%xx` escapes decoded; a malformed escape or bytes that are not UTF-8 are refused.
fn percent_decoded(segment: &str) -> Result<String, String> {
    let bytes = segment.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = segment
                .get(index + 1..index + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .ok_or_else(|| format!("bad escape in {segment:?}"))?;
            decoded.push(hex);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).map_err(|_| format!("{segment:?} is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(text: &str) -> Place {
        Place::parse(text).unwrap()
    }

    fn inside(text: &str, prefix: &str) -> bool {
        match Place::parse(text) {
            Ok(found) => found.below(&place(prefix)).is_some(),
            Err(_) => false,
        }
    }

    #[test]
    fn a_prefix_holds_whole_segments_only() {
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path().join("lake");
        std::fs::create_dir_all(lake.join("gold")).unwrap();
        std::fs::create_dir_all(dir.path().join("lake2")).unwrap();
        let lake = lake.to_str().unwrap();
        let root = dir.path().to_str().unwrap();
        assert!(inside(&format!("{lake}/gold/t"), lake));
        assert!(inside(lake, lake));
        assert!(inside(&format!("{lake}/"), lake));
        assert!(!inside(&format!("{root}/lake2/t"), lake));
        assert!(!inside(&format!("{root}/lake2"), lake));
        assert!(!inside(&format!("{root}/lak"), lake));
    }

    #[test]
    fn dot_dot_does_not_climb_out() {
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path().join("lake");
        std::fs::create_dir_all(lake.join("gold")).unwrap();
        std::fs::write(dir.path().join("secret.csv"), "a\n1\n").unwrap();
        let lake = lake.to_str().unwrap();
        assert!(!inside(&format!("{lake}/../secret.csv"), lake));
        assert!(!inside(&format!("{lake}/gold/../../secret.csv"), lake));
        assert!(inside(&format!("{lake}/gold/../gold/x"), lake));
        // Below a folder that does not exist, '..' cannot be resolved: refused.
        assert!(Place::parse(&format!("{lake}/missing/../../secret.csv")).is_err());
        assert!(!inside(&format!("file://{lake}/../secret.csv"), lake));
        assert!(!inside(&format!("file://{lake}/%2e%2e/secret.csv"), lake));
        assert!(!inside("file:/etc/passwd", lake));
        assert!(!inside(&format!("file:{lake}/../secret.csv"), lake));
        // The URL parser resolves dot segments (escaped too) as the stores will.
        assert!(!inside("s3://bucket/lake/%2E%2E/other", "s3://bucket/lake"));
        assert!(!inside("s3://bucket/lake/../other/t", "s3://bucket/lake"));
    }

    #[test]
    fn symbolic_links_are_followed_to_where_they_point() {
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path().join("lake");
        std::fs::create_dir_all(&lake).unwrap();
        std::fs::write(dir.path().join("secret.csv"), "a\n1\n").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret.csv"), lake.join("link.csv")).unwrap();
        let lake = lake.to_str().unwrap();
        assert!(!inside(&format!("{lake}/link.csv"), lake));
    }

    #[test]
    fn file_uris_and_paths_are_one_place() {
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path().to_str().unwrap();
        assert_eq!(
            place(&format!("file://{lake}/x")),
            place(&format!("{lake}/x"))
        );
        assert!(inside(&format!("file://{lake}/x"), lake));
        assert!(inside(&format!("{lake}/x"), &format!("file://{lake}")));
    }

    #[test]
    fn schemes_and_buckets_must_match_case_aside() {
        assert!(inside("s3://bucket/lake/gold/t", "s3://bucket/lake"));
        assert!(inside("S3://Bucket/lake/gold/t", "s3://bucket/lake"));
        assert!(inside("s3a://bucket/lake/gold/t", "s3://bucket/lake"));
        assert!(!inside("s3://bucket/LAKE/gold/t", "s3://bucket/lake"));
        assert!(!inside("s3://other/lake/gold/t", "s3://bucket/lake"));
        assert!(!inside("gs://bucket/lake/gold/t", "s3://bucket/lake"));
        assert!(!inside("s3://bucket/lake2/t", "s3://bucket/lake"));
        assert!(!inside("/bucket/lake/t", "s3://bucket/lake"));
        assert!(inside(
            "abfss://data@acct.dfs.core.windows.net/lake/t",
            "abfss://data@acct.dfs.core.windows.net/lake"
        ));
        assert!(!inside(
            "abfss://other@acct.dfs.core.windows.net/lake/t",
            "abfss://data@acct.dfs.core.windows.net/lake"
        ));
    }

    #[test]
    fn local_paths_keep_their_case() {
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path().join("lake");
        std::fs::create_dir_all(&lake).unwrap();
        let upper = dir.path().join("LAKE");
        assert!(!inside(upper.to_str().unwrap(), lake.to_str().unwrap()));
    }
}
