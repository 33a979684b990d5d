//! The shell's own commands: psql's backslash forms, with the DuckDB shell's dot forms as
//! aliases.

use std::path::PathBuf;
use std::str::FromStr;

use clap::ValueEnum;

use crate::print_format::{Expanded, PrintFormat};

/// One command line starting with `\` or `.`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help,
    Quit,
    /// Tables whose name matches the pattern (`*` and `?` wildcards), with their layer,
    /// version, files and size.
    ListTables(Option<String>),
    /// Columns of one table, its partition columns and version.
    Describe(String),
    ListViews,
    /// The commits of one table.
    History(String),
    /// Runs the statements of a file.
    Include(PathBuf),
    /// Results to a file, or back to the terminal with none.
    Output(Option<PathBuf>),
    /// Elapsed time after each statement; toggles without an argument.
    Timing(Option<bool>),
    /// Switches the output format; shows it without an argument.
    Format(Option<PrintFormat>),
    /// Rows a table shows; 0 for all.
    MaxRows(usize),
    /// Expanded display; toggles without an argument.
    Expanded(Option<Expanded>),
    /// Lists the lake again (new tables, schemas and functions for completion).
    Refresh,
}

/// Every command, for `\?` and for completing command names: its forms, arguments and meaning.
pub const COMMANDS: &[(&[&str], &str, &str)] = &[
    (&["\\?", "\\help", ".help"], "", "this help"),
    (&["\\q", "\\quit", ".quit", ".exit"], "", "quit (or Ctrl-D)"),
    (
        &["\\dt", ".tables"],
        "[PATTERN]",
        "tables: layer, version, files, size",
    ),
    (
        &["\\d", ".schema"],
        "NAME",
        "columns of a table or view, partitioning, version",
    ),
    (&["\\dv", ".views"], "", "views"),
    (
        &["\\history", ".history"],
        "NAME",
        "commits of a table (DESCRIBE HISTORY)",
    ),
    (&["\\i", ".read"], "FILE", "run the statements of a file"),
    (
        &["\\o", ".output"],
        "[FILE]",
        "results to FILE; to the terminal without one",
    ),
    (
        &["\\timing", ".timer"],
        "[on|off]",
        "show how long each statement took",
    ),
    (
        &["\\format", ".mode"],
        "[FORMAT]",
        "table, csv, tsv, json, ndjson or markdown",
    ),
    (
        &["\\maxrows", ".maxrows"],
        "N",
        "rows a table shows (0: all)",
    ),
    (
        &["\\x", ".x"],
        "[on|off|auto]",
        "expanded display: one line per column",
    ),
    (&["\\refresh", ".refresh"], "", "list the lake again"),
];

impl FromStr for Command {
    type Err = String;

    fn from_str(line: &str) -> Result<Self, String> {
        let line = line.trim().trim_end_matches(';').trim_end();
        let (name, argument) = match line.split_once(char::is_whitespace) {
            Some((name, rest)) => (name, Some(rest.trim()).filter(|rest| !rest.is_empty())),
            None => (line, None),
        };
        let required = |what: &str| {
            argument
                .map(str::to_string)
                .ok_or_else(|| format!("{name} needs {what}"))
        };
        let command = match name {
            "\\?" | "\\h" | "\\help" | ".help" => Command::Help,
            "\\q" | "\\quit" | ".quit" | ".exit" => Command::Quit,
            "\\dt" | ".tables" => Command::ListTables(argument.map(str::to_string)),
            // Without a name, `\\d` (like psql) and `.schema` (like DuckDB) list the tables.
            "\\d" | ".schema" => match argument {
                Some(table) => Command::Describe(table.to_string()),
                None => Command::ListTables(None),
            },
            "\\dv" | ".views" => Command::ListViews,
            "\\history" | ".history" => Command::History(required("a table name")?),
            "\\i" | "\\include" | ".read" => Command::Include(PathBuf::from(required("a file")?)),
            "\\o" | "\\out" | ".output" => Command::Output(argument.map(PathBuf::from)),
            "\\timing" | ".timer" => Command::Timing(argument.map(on_off).transpose()?),
            "\\format" | "\\pset" | ".mode" => Command::Format(
                argument
                    .map(|format| {
                        PrintFormat::from_str(format, true).map_err(|_| {
                            format!(
                                "unknown format '{format}'; use table, csv, tsv, json, ndjson or markdown"
                            )
                        })
                    })
                    .transpose()?,
            ),
            "\\maxrows" | ".maxrows" => {
                let count = required("a number of rows")?;
                Command::MaxRows(
                    count
                        .parse()
                        .map_err(|_| format!("'{count}' is not a number of rows"))?,
                )
            }
            "\\x" | ".x" => Command::Expanded(
                argument
                    .map(|mode| {
                        Expanded::from_str(mode, true)
                            .map_err(|_| format!("'{mode}' is not on, off or auto"))
                    })
                    .transpose()?,
            ),
            "\\refresh" | ".refresh" => Command::Refresh,
            other => return Err(format!("unknown command {other}; \\? lists the commands")),
        };
        Ok(command)
    }
}

fn on_off(word: &str) -> Result<bool, String> {
    match word.to_ascii_lowercase().as_str() {
        "on" | "true" | "1" => Ok(true),
        "off" | "false" | "0" => Ok(false),
        _ => Err(format!("'{word}' is not on or off")),
    }
}

/// The text of `\?`.
pub fn help_text() -> String {
    let mut text = String::from(
        "SQL statements end with ';' and may span lines. Tab completes; Ctrl-C cancels a query \
         or clears the line; Ctrl-D quits.\n\n",
    );
    for (forms, arguments, meaning) in COMMANDS {
        let usage = format!("{} {arguments}", forms.join(" "));
        text.push_str(&format!("  {usage:<36} {meaning}\n"));
    }
    text
}

/// Whether `line` is a shell command rather than SQL.
pub fn is_command(line: &str) -> bool {
    let line = line.trim_start();
    line.starts_with('\\') || line.starts_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backslash_and_dot_forms_are_the_same_command() {
        assert_eq!("\\dt".parse(), Ok(Command::ListTables(None)));
        assert_eq!(".tables".parse(), Ok(Command::ListTables(None)));
        assert_eq!(
            "\\dt sil*".parse(),
            Ok(Command::ListTables(Some("sil*".into())))
        );
        assert_eq!(
            ".schema silver.updates".parse(),
            Ok(Command::Describe("silver.updates".into()))
        );
        assert_eq!(
            ".mode csv".parse(),
            Ok(Command::Format(Some(PrintFormat::Csv)))
        );
        assert_eq!(".timer on".parse(), Ok(Command::Timing(Some(true))));
        assert_eq!("\\x".parse(), Ok(Command::Expanded(None)));
        assert_eq!(
            "\\x auto".parse(),
            Ok(Command::Expanded(Some(Expanded::Auto)))
        );
        assert_eq!("\\maxrows 5;".parse(), Ok(Command::MaxRows(5)));
        assert_eq!("\\o".parse(), Ok(Command::Output(None)));
    }

    #[test]
    fn mistakes_are_explained() {
        assert!(Command::from_str("\\nope").unwrap_err().contains("\\?"));
        assert!(
            Command::from_str("\\format xml")
                .unwrap_err()
                .contains("csv")
        );
        assert!(Command::from_str("\\d").is_ok());
        assert!(
            Command::from_str("\\history")
                .unwrap_err()
                .contains("table")
        );
        assert!(
            Command::from_str("\\maxrows many")
                .unwrap_err()
                .contains("many")
        );
    }
}
