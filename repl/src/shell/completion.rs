//! Tab completion: SQL keywords, functions, schemas, tables and columns from the live catalog,
//! file paths inside quotes, and the shell's command names.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use rustyline::completion::{FilenameCompleter, Pair};
use tokio::runtime::Handle;

use super::command::COMMANDS;
use crate::backend::{Backend, TableName};

/// Keywords offered for completion: the ones people type, not all that the parser knows.
const KEYWORDS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP BY",
    "ORDER BY",
    "HAVING",
    "LIMIT",
    "OFFSET",
    "JOIN",
    "LEFT JOIN",
    "RIGHT JOIN",
    "FULL JOIN",
    "INNER JOIN",
    "CROSS JOIN",
    "ON",
    "USING",
    "AS",
    "AND",
    "OR",
    "NOT",
    "IN",
    "IS",
    "NULL",
    "LIKE",
    "ILIKE",
    "BETWEEN",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "DISTINCT",
    "UNION",
    "UNION ALL",
    "EXCEPT",
    "INTERSECT",
    "WITH",
    "ASC",
    "DESC",
    "NULLS FIRST",
    "NULLS LAST",
    "OVER",
    "PARTITION BY",
    "CAST",
    "TRUE",
    "FALSE",
    "INSERT INTO",
    "VALUES",
    "CREATE",
    "TABLE",
    "VIEW",
    "EXTERNAL",
    "OR REPLACE",
    "DROP",
    "IF EXISTS",
    "STORED AS",
    "LOCATION",
    "PARTITIONED BY",
    "COPY",
    "TO",
    "EXPLAIN",
    "ANALYZE",
    "DESCRIBE",
    "HISTORY",
    "DETAIL",
    "SHOW",
    "TABLES",
    "COLUMNS",
    "SET",
    "VERSION AS OF",
    "TIMESTAMP AS OF",
    "INTERVAL",
    "DELTA",
];

/// After these words a name is a table (or a schema on the way to one).
const BEFORE_TABLE: &[&str] = &[
    "FROM", "JOIN", "INTO", "TABLE", "UPDATE", "DESCRIBE", "HISTORY", "DETAIL", "VIEW",
];

/// Commands whose argument is a table, and those whose argument is a file.
const TABLE_COMMANDS: &[&str] = &["\\d", "\\dt", ".schema", ".tables", "\\history", ".history"];
const FILE_COMMANDS: &[&str] = &["\\i", "\\include", ".read", "\\o", "\\out", ".output"];

/// The catalog's names, kept between key presses and listed again on `\refresh` and after
/// statements that may change the catalog. Columns are fetched per table, when first needed.
#[derive(Default)]
struct Names {
    tables: Vec<TableName>,
    functions: Vec<String>,
    columns: HashMap<TableName, Vec<String>>,
}

pub struct Completion {
    names: Arc<Mutex<Names>>,
    backend: Arc<dyn Backend>,
    /// Completion runs on the editor's thread, outside the runtime: it blocks on the backend
    /// through this handle.
    runtime: Handle,
    files: FilenameCompleter,
}

impl Completion {
    pub fn new(backend: Arc<dyn Backend>, runtime: Handle) -> Self {
        Self {
            names: Arc::default(),
            backend,
            runtime,
            files: FilenameCompleter::new(),
        }
    }

    /// Lists tables and functions again, and forgets the columns fetched so far; returns the
    /// number of tables. A backend that cannot list them leaves completion without them.
    pub async fn refresh(&self) -> usize {
        let tables = self.backend.tables().await.unwrap_or_default();
        let count = tables.len();
        let functions = self.backend.functions().await.unwrap_or_default();
        let mut names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        *names = Names {
            tables,
            functions,
            columns: HashMap::new(),
        };
        count
    }

    /// The start of the word before `pos` and what it may become.
    pub fn complete(&self, line: &str, pos: usize) -> (usize, Vec<Pair>) {
        let before = &line[..pos];
        let trimmed = before.trim_start();
        if trimmed.starts_with('\\') || trimmed.starts_with('.') {
            return self.complete_command(line, pos);
        }
        if inside_single_quotes(before) {
            return self.complete_path(line, pos);
        }
        let start = word_start(before);
        let word = &before[start..];
        let previous = before[..start]
            .split_whitespace()
            .next_back()
            .unwrap_or("")
            .to_ascii_uppercase();
        let mut candidates = self.table_candidates(word);
        if !BEFORE_TABLE.contains(&previous.as_str()) {
            candidates.extend(self.column_candidates(line, word));
            let names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
            candidates.extend(matching(names.functions.iter().map(String::as_str), word));
            let lowercase = word.chars().all(|c| !c.is_ascii_uppercase()) && !word.is_empty();
            candidates.extend(matching(KEYWORDS.iter().copied(), word).into_iter().map(
                |keyword| {
                    if lowercase {
                        keyword.to_lowercase()
                    } else {
                        keyword
                    }
                },
            ));
        }
        candidates.sort();
        candidates.dedup();
        (start, candidates.into_iter().map(pair).collect())
    }

    /// A command's name, or its argument: a table for `\d`, a file for `\i`.
    fn complete_command(&self, line: &str, pos: usize) -> (usize, Vec<Pair>) {
        let before = &line[..pos];
        let indent = before.len() - before.trim_start().len();
        match before.trim_start().split_once(char::is_whitespace) {
            None => {
                let forms = COMMANDS
                    .iter()
                    .flat_map(|(forms, _, _)| forms.iter().copied());
                (
                    indent,
                    matching(forms, &before[indent..])
                        .into_iter()
                        .map(pair)
                        .collect(),
                )
            }
            Some((name, _)) if TABLE_COMMANDS.contains(&name) => {
                let start = word_start(before);
                let candidates = self.table_candidates(&before[start..]);
                (start, candidates.into_iter().map(pair).collect())
            }
            Some((name, _)) if FILE_COMMANDS.contains(&name) => self.complete_path(line, pos),
            Some(_) => (pos, Vec::new()),
        }
    }

    fn complete_path(&self, line: &str, pos: usize) -> (usize, Vec<Pair>) {
        self.files
            .complete_path(line, pos)
            .unwrap_or((pos, Vec::new()))
    }

    /// Schemas and tables that `word` may be the start of: `sil` gives `silver.`, `silver.up`
    /// gives `silver.updates`, and `upd` gives `silver.updates` too.
    fn table_candidates(&self, word: &str) -> Vec<String> {
        let names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        let mut candidates = Vec::new();
        for table in &names.tables {
            let qualified = format!("{}.{}", table.schema, table.table);
            if word.contains('.') {
                let full = table.to_string();
                candidates.extend(
                    [qualified, full]
                        .into_iter()
                        .filter(|name| starts_with_ignoring_case(name, word)),
                );
            } else {
                if starts_with_ignoring_case(&table.schema, word) {
                    candidates.push(format!("{}.", table.schema));
                }
                if starts_with_ignoring_case(&table.table, word) {
                    candidates.push(qualified);
                }
            }
        }
        candidates.sort();
        candidates.dedup();
        candidates
    }

    /// Columns of the tables the statement names. `u.na` completes the columns after an alias
    /// or table name `u.`.
    fn column_candidates(&self, line: &str, word: &str) -> Vec<String> {
        let (qualifier, column_prefix) = match word.rsplit_once('.') {
            Some((qualifier, column)) => (Some(qualifier), column),
            None => (None, word),
        };
        let mut candidates = Vec::new();
        for table in self.tables_named_in(line) {
            for column in self.columns_of(&table) {
                if starts_with_ignoring_case(&column, column_prefix) {
                    candidates.push(match qualifier {
                        Some(qualifier) => format!("{qualifier}.{column}"),
                        None => column,
                    });
                }
            }
        }
        candidates
    }

    /// The known tables that `line` names, as `schema.table`, `catalog.schema.table` or a
    /// bare table name.
    fn tables_named_in(&self, line: &str) -> Vec<TableName> {
        let names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        let words: Vec<String> = line
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .map(str::to_ascii_lowercase)
            .collect();
        names
            .tables
            .iter()
            .filter(|table| {
                let qualified = format!("{}.{}", table.schema, table.table).to_ascii_lowercase();
                let full = table.to_string().to_ascii_lowercase();
                let bare = table.table.to_ascii_lowercase();
                words
                    .iter()
                    .any(|word| *word == qualified || *word == full || *word == bare)
            })
            .cloned()
            .collect()
    }

    /// A table's columns, fetched from the backend the first time.
    fn columns_of(&self, table: &TableName) -> Vec<String> {
        if let Some(columns) = self
            .names
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .columns
            .get(table)
        {
            return columns.clone();
        }
        let columns = self
            .runtime
            .block_on(self.backend.columns(table))
            .unwrap_or_default();
        self.names
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .columns
            .insert(table.clone(), columns.clone());
        columns
    }
}

fn pair(candidate: String) -> Pair {
    Pair {
        display: candidate.clone(),
        replacement: candidate,
    }
}

fn matching<'a>(names: impl Iterator<Item = &'a str>, word: &str) -> Vec<String> {
    names
        .filter(|name| starts_with_ignoring_case(name, word))
        .map(str::to_string)
        .collect()
}

fn starts_with_ignoring_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.is_char_boundary(prefix.len())
        && text[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Where the name being typed at the end of `before` starts (letters, digits, `_`, `.`).
fn word_start(before: &str) -> usize {
    before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_' || *c == '.')
        .last()
        .map_or(before.len(), |(index, _)| index)
}

/// Whether `before` ends inside a '...' string (a path, most likely). Double-quoted names and
/// `--` comments are skipped.
fn inside_single_quotes(before: &str) -> bool {
    let mut single = false;
    let mut double = false;
    let mut chars = before.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '-' if !single && !double && chars.peek() == Some(&'-') => {
                // A comment runs to the end of its line.
                for skipped in chars.by_ref() {
                    if skipped == '\n' {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    single
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_start_after_spaces_and_punctuation() {
        assert_eq!(word_start("SELECT * FROM silver.up"), 14);
        assert_eq!(word_start("SELECT max(co"), 11);
        assert_eq!(word_start("SELECT "), 7);
    }

    #[test]
    fn quotes_are_tracked() {
        assert!(inside_single_quotes("SELECT * FROM delta_scan('/data/"));
        assert!(!inside_single_quotes("SELECT 'it''s' FROM "));
        assert!(!inside_single_quotes("SELECT \"it's\" FROM "));
        assert!(!inside_single_quotes("-- it's\nSELECT "));
    }
}
