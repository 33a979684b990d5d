//! Turning delta-rs and delta-kernel failures into messages that say what is wrong with the table,
//! without Rust debug dumps or backtraces.

use deltalake::DeltaTableError;

use crate::error::EngineError;

/// The error of the Delta table `table` that failed to load, with the cause in words a user can
/// act on.
pub(crate) fn table_error(table: impl Into<String>, source: &DeltaTableError) -> EngineError {
    EngineError::Table {
        table: table.into(),
        reason: describe_delta_error(source),
    }
}

/// The cause of a Delta failure, in words a user can act on. delta-rs' messages are kept, with
/// the common cases said plainly.
pub(crate) fn describe_delta_error(error: &DeltaTableError) -> String {
    match error {
        DeltaTableError::NotATable(_) => {
            "not a Delta table: the folder has no readable _delta_log".to_string()
        }
        DeltaTableError::InvalidJsonLog { .. } => {
            format!(
                "the transaction log is damaged: {}",
                plain(&error.to_string())
            )
        }
        // The kernel's own message, without delta-rs' "Kernel error:" before it.
        DeltaTableError::KernelError(kernel) => explain(&plain(&kernel.to_string())),
        other => explain(&plain(&other.to_string())),
    }
}

/// A failure message from a scan of the table, with the same care.
pub(crate) fn describe_message(message: &str) -> String {
    explain(&plain(message))
}

/// Messages from deep in the kernel, restated in terms of the table's log.
fn explain(message: &str) -> String {
    let message = message
        .strip_prefix("Generic delta kernel error: ")
        .unwrap_or(message);
    let json = message.strip_prefix("Arrow error: ").unwrap_or(message);
    if let Some(reason) = json.strip_prefix("Json error: ") {
        return format!("a JSON file of the _delta_log cannot be parsed: {reason}");
    }
    if message.contains("Expected contiguous commit files, but found gap") {
        let versions = versions_in(message);
        return match versions.as_slice() {
            [before, after, ..] => format!(
                "the _delta_log is missing commits: version {before} is followed by version {after}"
            ),
            _ => "the _delta_log is missing commits: its versions are not contiguous".to_string(),
        };
    }
    if let Some(field) = message
        .split("Found unmasked nulls for non-nullable StructArray field ")
        .nth(1)
    {
        let field = field.trim().trim_matches('"');
        return format!(
            "the checkpoint in the _delta_log is damaged or incomplete: the required field \
             {field} is missing (a checkpoint must hold the table's protocol and metadata)"
        );
    }
    message.to_string()
}

/// The message without a backtrace (delta-kernel appends one when `RUST_BACKTRACE` is set).
fn plain(message: &str) -> String {
    let mut kept = Vec::new();
    for line in message.lines() {
        let trimmed = line.trim_start();
        let is_frame = trimmed.split_once(':').is_some_and(|(number, _)| {
            !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())
        });
        if is_frame || trimmed.starts_with("at ") || trimmed == "disabled backtrace" {
            break;
        }
        kept.push(line);
    }
    kept.join("\n").trim_end().to_string()
}

/// The numbers written as `version: N` in a debug dump, in order.
fn versions_in(message: &str) -> Vec<u64> {
    message
        .split("version: ")
        .skip(1)
        .filter_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backtraces_are_cut_off() {
        let message = "Kernel error: bad json\n   0: with_backtrace\n             at src/error.rs:12\n   1: foo";
        assert_eq!(plain(message), "Kernel error: bad json");
    }

    #[test]
    fn a_damaged_commit_is_said_to_be_json_that_does_not_parse() {
        assert_eq!(
            explain("Arrow error: Json error: Truncated record whilst reading string"),
            "a JSON file of the _delta_log cannot be parsed: Truncated record whilst reading string"
        );
    }

    #[test]
    fn a_gap_in_the_log_names_the_versions_around_it() {
        let message = "Generic delta kernel error: Expected contiguous commit files, but found gap: \
            ParsedLogPath { location: FileMeta { }, version: 0, file_type: Commit } -> \
            ParsedLogPath { location: FileMeta { }, version: 2, file_type: Commit }";
        assert_eq!(
            explain(message),
            "the _delta_log is missing commits: version 0 is followed by version 2"
        );
    }
}
