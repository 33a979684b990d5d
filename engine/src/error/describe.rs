//! DataFusion's errors in words a user reads: without the internal prefixes (`SQL error:`,
//! `Error during planning:`, `Arrow error: Csv error:`), debug forms (`TokenizerError("...")`)
//! and the layers of context that repeat the same words, and with our own errors (carried
//! through DataFusion as external errors) shown as they are.

use std::collections::HashSet;

use arrow::error::ArrowError;
use datafusion::common::SchemaError;
use datafusion::error::DataFusionError;
use datafusion::sql::sqlparser::parser::ParserError;

use super::EngineError;

/// How many column names a "no column named" message lists at most.
const LISTED_COLUMNS: usize = 30;

/// DataFusion's prefixes, which it also writes into the text of errors it builds from others
/// (a function that matches no signature quotes each planning error it met).
const INTERNAL_PREFIXES: &[&str] = &[
    "Error during planning: ",
    "Execution error: ",
    "Schema error: ",
    "Arrow error: ",
    "External error: ",
    "SQL error: ",
    "Internal error: ",
];

/// The sentence DataFusion adds to its internal errors, naming its own issue tracker.
const BUG_REPORT_SENTENCE: &str = "This issue was likely caused by a bug in DataFusion's code. \
     Please help us to resolve this by filing a bug report in our issue tracker: \
     https://github.com/apache/datafusion/issues";

pub(super) fn describe_datafusion(error: &DataFusionError) -> String {
    scrub(&describe(error))
}

/// `message` without DataFusion's prefixes and bug-report sentence, wherever they are.
fn scrub(message: &str) -> String {
    let mut message = message.replace(&format!("\n{BUG_REPORT_SENTENCE}"), "");
    message = message.replace(BUG_REPORT_SENTENCE, "");
    for prefix in INTERNAL_PREFIXES {
        message = message.replace(prefix, "");
    }
    message
}

fn describe(error: &DataFusionError) -> String {
    match error {
        DataFusionError::External(inner) => match inner.downcast_ref::<EngineError>() {
            Some(engine) => engine.to_string(),
            None => match inner.downcast_ref::<DataFusionError>() {
                Some(error) => describe_datafusion(error),
                None => inner.to_string(),
            },
        },
        // Which of DataFusion's rewrites met the error says nothing to a user.
        DataFusionError::Context(context, inner)
            if context.starts_with("Optimizer rule")
                || context.starts_with("Analyzer rule")
                || context == "type_coercion" =>
        {
            describe_datafusion(inner)
        }
        DataFusionError::Context(context, inner) => {
            format!("{context}: {}", describe_datafusion(inner))
        }
        DataFusionError::Shared(inner) => describe_datafusion(inner),
        DataFusionError::Diagnostic(_, inner) => describe_datafusion(inner),
        DataFusionError::Collection(errors) => errors
            .first()
            .map_or_else(|| "the statement failed".to_string(), describe_datafusion),
        DataFusionError::SQL(error, _) => describe_syntax(error),
        DataFusionError::SchemaError(error, _) => describe_schema(error),
        DataFusionError::ArrowError(error, _) => describe_arrow(error),
        DataFusionError::ParquetError(error) => {
            format!(
                "cannot read a Parquet file: {}",
                after_prefix(&error.to_string())
            )
        }
        DataFusionError::ObjectStore(error) => format!("storage request failed: {error}"),
        DataFusionError::IoError(error) => format!("file system error: {error}"),
        DataFusionError::NotImplemented(message) => format!("not supported: {message}"),
        DataFusionError::Plan(message)
        | DataFusionError::Execution(message)
        | DataFusionError::Configuration(message) => message.clone(),
        DataFusionError::ResourcesExhausted(message) => {
            format!("resources exhausted: {message}")
        }
        DataFusionError::Internal(message) => format!(
            "internal error: {message} (a bug in Lakeshore or DataFusion; please report the \
             statement)"
        ),
        other => other.strip_backtrace(),
    }
}

/// `SQL error: ParserError("Expected ...")` as `syntax error: Expected ...`.
fn describe_syntax(error: &ParserError) -> String {
    match error {
        ParserError::TokenizerError(message) | ParserError::ParserError(message) => {
            format!("syntax error: {message}")
        }
        ParserError::RecursionLimitExceeded => {
            "syntax error: the statement nests too deeply".to_string()
        }
    }
}

/// A missing column says which columns there are, each once.
fn describe_schema(error: &SchemaError) -> String {
    let SchemaError::FieldNotFound {
        field,
        valid_fields,
    } = error
    else {
        return error.to_string();
    };
    let mut message = format!("no column named {}", field.quoted_flat_name());
    // DataFusion's own message holds its suggestion ("Did you mean 'x'?") and the hint about
    // case; keep those sentences, and list the columns once each.
    let original = error.to_string();
    let mut lines = original.lines();
    if let Some(hint) = lines.next().and_then(|line| line.split_once(". ")) {
        message.push_str(". ");
        message.push_str(hint.1.trim_end_matches('.'));
    }
    for sentence in lines.filter(|line| !line.starts_with("Valid fields are")) {
        message.push_str(". ");
        message.push_str(sentence.trim_end_matches('.'));
    }
    let mut seen = HashSet::new();
    let names: Vec<String> = valid_fields
        .iter()
        .map(|column| column.quoted_flat_name())
        .filter(|name| seen.insert(name.clone()))
        .collect();
    if !names.is_empty() {
        let shown = names.iter().take(LISTED_COLUMNS).cloned();
        let more = names.len().saturating_sub(LISTED_COLUMNS);
        message.push_str("; the columns are ");
        message.push_str(&shown.collect::<Vec<_>>().join(", "));
        if more > 0 {
            message.push_str(&format!(" and {more} more"));
        }
    }
    message
}

/// An Arrow failure in words, without the library's prefix (`Invalid argument error: `).
pub(crate) fn describe_arrow(error: &ArrowError) -> String {
    match error {
        ArrowError::ExternalError(inner) => match inner.downcast_ref::<DataFusionError>() {
            Some(error) => describe_datafusion(error),
            None => inner.to_string(),
        },
        ArrowError::DivideByZero => "division by zero".to_string(),
        ArrowError::CastError(message) => format!("cannot convert the value: {message}"),
        ArrowError::ArithmeticOverflow(message) => format!("arithmetic overflow: {message}"),
        ArrowError::CsvError(message) => format!("cannot read or write CSV: {message}"),
        ArrowError::JsonError(message) => format!("cannot read or write JSON: {message}"),
        ArrowError::ParseError(message)
        | ArrowError::ComputeError(message)
        | ArrowError::InvalidArgumentError(message)
        | ArrowError::SchemaError(message)
        | ArrowError::NotYetImplemented(message) => message.clone(),
        other => other.to_string(),
    }
}

/// The message after a library's `Kind error: ` prefix, if it has one.
fn after_prefix(message: &str) -> &str {
    match message.split_once(" error: ") {
        Some((prefix, rest)) if prefix.split(' ').count() <= 3 => rest,
        _ => message,
    }
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::SessionContext;

    use super::describe_datafusion;

    async fn message_of(sql: &str) -> String {
        let ctx = SessionContext::new();
        let result = async { ctx.sql(sql).await?.collect().await }.await;
        describe_datafusion(&result.expect_err(sql))
    }

    #[tokio::test]
    async fn messages_carry_no_internal_prefixes_or_debug_forms() {
        let unterminated = message_of("SELECT 'oops").await;
        assert!(unterminated.starts_with("syntax error: "), "{unterminated}");
        assert!(!unterminated.contains("TokenizerError"), "{unterminated}");
        let unparsable = message_of("SELEC 1").await;
        assert!(unparsable.starts_with("syntax error: "), "{unparsable}");
        assert!(!unparsable.contains("ParserError"), "{unparsable}");
        let cast = message_of("SELECT CAST('x' AS INT)").await;
        assert!(!cast.contains("Optimizer rule"), "{cast}");
        assert!(cast.contains("'x'"), "{cast}");
        let missing_table = message_of("SELECT * FROM nowhere").await;
        assert!(
            !missing_table.contains("Error during planning"),
            "{missing_table}"
        );
        assert!(missing_table.contains("nowhere"), "{missing_table}");
    }

    #[tokio::test]
    async fn a_missing_column_lists_each_column_once() {
        let message = message_of(
            "SELECT all_of_it FROM (SELECT 1 AS a, 2 AS b) t \
             WHERE EXISTS (SELECT 1 FROM (SELECT 3 AS a) u WHERE u.a = t.a)",
        )
        .await;
        assert!(
            message.starts_with("no column named all_of_it"),
            "{message}"
        );
        assert!(!message.contains("Schema error"), "{message}");
        let listed = message.split("the columns are ").nth(1).unwrap_or_default();
        let names: Vec<&str> = listed.split(", ").collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(names.len(), unique.len(), "{message}");
    }
}
