//! Running scripts: the text of a -c, a -f file or standard input, one statement at a time.

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::{Result, anyhow};
use lakeshore_engine::split_statements;

use crate::backend::Backend;
use crate::print_format::Printer;
use crate::progress::execute_and_print;

/// Where a script's text comes from.
#[derive(Debug, Clone)]
pub enum Script {
    /// The text of a `-c`.
    Inline(String),
    /// A file named by `-f`.
    File(PathBuf),
    /// Everything piped on standard input.
    Stdin,
}

impl Script {
    /// The script's text. A file is read only now, when its turn comes, so the scripts before
    /// it have already run.
    pub fn text(&self) -> Result<String> {
        match self {
            Script::Inline(sql) => Ok(sql.clone()),
            Script::File(path) => std::fs::read_to_string(path)
                .map_err(|error| anyhow!("cannot read {}: {error}", path.display())),
            Script::Stdin => {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .map_err(|error| anyhow!("cannot read standard input: {error}"))?;
                Ok(text)
            }
        }
    }
}

/// Runs `scripts` in order, each statement's result printed to `out` before the next statement
/// starts. Stops at the first statement that fails and returns its error.
pub async fn run_scripts(
    backend: &dyn Backend,
    scripts: &[Script],
    printer: &Printer,
    out: &mut impl Write,
) -> Result<()> {
    for script in scripts {
        for statement in split_statements(&script.text()?)? {
            // Each result appears in full (flushed) before the next statement runs or its
            // error shows.
            execute_and_print(backend, &statement, printer, out).await?;
        }
    }
    Ok(())
}
