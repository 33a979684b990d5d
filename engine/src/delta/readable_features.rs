//! Reading tables that list reader features delta-rs refuses although its scan reads them.
//!
//! delta-rs 1.1 checks a table's reader features against a fixed list before it scans, and
//! refuses every feature outside it. Two that Spark writes are missing from that list:
//!
//! - `vacuumProtocolCheck` is a reader-writer feature only so that old clients, which would not
//!   know to check the protocol before a VACUUM, refuse the table; the Delta protocol asks
//!   nothing of readers for it.
//! - `typeWidening` (and `typeWidening-preview`): a column's type was widened (int to long,
//!   float to double, a wider decimal, date to timestamp_ntz, ...). Files written before keep
//!   the narrow physical type; the scan reads them as the table's wide type, and statistics and
//!   partition values are read in the wide type too (see tests/it/type_widening.rs).
//!
//! This object store shows delta-rs each commit's protocol action without those features, so
//! such a table reads as the protocol intends. Checkpoints are shown as they are: a table whose
//! checkpoint lists such a feature is still refused, with an error that names the feature,
//! never read wrongly. The store is for reading: a writer must see the protocol as it is
//! (writes go through a store without this filter).

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, GetResultPayload, ListResult, MultipartUpload, ObjectMeta,
    ObjectStore, PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};
use serde_json::Value;

/// Reader features that delta-rs refuses and its scan reads, as the protocol spells them.
const READABLE_FEATURES: &[&str] = &[
    "vacuumProtocolCheck",
    "typeWidening",
    "typeWidening-preview",
];

/// An object store that serves `_delta_log/*.json` commits without [`READABLE_FEATURES`].
#[derive(Debug)]
pub(crate) struct ReadableFeaturesHidden {
    inner: Arc<dyn ObjectStore>,
}

impl ReadableFeaturesHidden {
    pub(crate) fn new(inner: Arc<dyn ObjectStore>) -> Self {
        Self { inner }
    }
}

impl fmt::Display for ReadableFeaturesHidden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.inner)
    }
}

fn is_commit(location: &Path) -> bool {
    let mut parts = location.parts().collect::<Vec<_>>().into_iter().rev();
    let file = parts.next();
    let folder = parts.next();
    folder.is_some_and(|f| f.as_ref() == "_delta_log")
        && file.is_some_and(|f| f.as_ref().ends_with(".json"))
}

/// The commit with readable features removed from its protocol action, or `None` when it
/// names none (the common case: then the bytes are served untouched).
fn without_readable_features(commit: &[u8]) -> Option<Bytes> {
    let text = std::str::from_utf8(commit).ok()?;
    if !READABLE_FEATURES
        .iter()
        .any(|feature| text.contains(feature))
    {
        return None;
    }
    let mut changed = false;
    let mut lines = Vec::new();
    for line in text.lines() {
        match strip_protocol_line(line) {
            Some(stripped) => {
                changed = true;
                lines.push(stripped);
            }
            None => lines.push(line.to_string()),
        }
    }
    changed.then(|| Bytes::from(lines.join("\n") + "\n"))
}

/// The protocol action on `line` without readable features, in both feature lists (the
/// kernel requires a reader-writer feature to be in both or neither).
fn strip_protocol_line(line: &str) -> Option<String> {
    let mut action: Value = serde_json::from_str(line).ok()?;
    let protocol = action.get_mut("protocol")?;
    let mut changed = false;
    for list in ["readerFeatures", "writerFeatures"] {
        if let Some(features) = protocol.get_mut(list).and_then(Value::as_array_mut) {
            let before = features.len();
            features.retain(|f| {
                f.as_str()
                    .is_none_or(|name| !READABLE_FEATURES.contains(&name))
            });
            changed |= features.len() != before;
        }
    }
    changed
        .then(|| serde_json::to_string(&action).ok())
        .flatten()
}

#[async_trait]
impl ObjectStore for ReadableFeaturesHidden {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        if !is_commit(location) || options.head || options.range.is_some() {
            return self.inner.get_opts(location, options).await;
        }
        let result = self.inner.get_opts(location, options).await?;
        let meta = result.meta.clone();
        let attributes = result.attributes.clone();
        let range = result.range.clone();
        let bytes = result.bytes().await?;
        let (bytes, meta, range) = match without_readable_features(&bytes) {
            Some(stripped) => {
                let size = stripped.len() as u64;
                (
                    stripped,
                    ObjectMeta { size, ..meta },
                    Range {
                        start: 0,
                        end: size,
                    },
                )
            }
            None => (bytes, meta, range),
        };
        Ok(GetResult {
            payload: GetResultPayload::Stream(
                futures::stream::once(async move { Ok(bytes) }).boxed(),
            ),
            meta,
            range,
            attributes,
        })
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list_with_offset(prefix, offset)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_protocol_action_loses_the_feature() {
        let commit = concat!(
            r#"{"commitInfo":{"operation":"vacuumProtocolCheck mentioned"}}"#,
            "\n",
            r#"{"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["vacuumProtocolCheck","deletionVectors"],"writerFeatures":["vacuumProtocolCheck","deletionVectors"]}}"#,
            "\n"
        );
        let stripped = without_readable_features(commit.as_bytes()).unwrap();
        let text = std::str::from_utf8(&stripped).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            r#"{"commitInfo":{"operation":"vacuumProtocolCheck mentioned"}}"#
        );
        let protocol: Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(
            protocol["protocol"]["readerFeatures"],
            serde_json::json!(["deletionVectors"])
        );
        assert_eq!(
            protocol["protocol"]["writerFeatures"],
            serde_json::json!(["deletionVectors"])
        );
    }

    #[test]
    fn commits_without_the_feature_are_untouched() {
        let commit = br#"{"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["deletionVectors"],"writerFeatures":["deletionVectors"]}}"#;
        assert!(without_readable_features(commit).is_none());
    }

    #[test]
    fn only_log_commits_are_read_through_the_filter() {
        assert!(is_commit(&Path::from(
            "lake/t/_delta_log/00000000000000000001.json"
        )));
        assert!(!is_commit(&Path::from("lake/t/part-0.json")));
        assert!(!is_commit(&Path::from(
            "lake/t/_delta_log/00000000000000000010.checkpoint.parquet"
        )));
    }
}
