//! Commits (`_delta_log/*.json`, and JSON checkpoints) shown without readable features: only
//! the protocol action changes, and a commit that names none is served untouched.

use bytes::Bytes;
use object_store::path::Path;
use serde_json::Value;

use super::READABLE_FEATURES;

pub(super) fn is_commit(location: &Path) -> bool {
    let mut parts = location.parts().collect::<Vec<_>>().into_iter().rev();
    let file = parts.next();
    let folder = parts.next();
    folder.is_some_and(|f| f.as_ref() == "_delta_log")
        && file.is_some_and(|f| f.as_ref().ends_with(".json"))
}

/// The commit with readable features removed from its protocol action, or `None` when it
/// names none (the common case: then the bytes are served untouched).
pub(super) fn without_readable_features(commit: &[u8]) -> Option<Bytes> {
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
