//! The interactive shell: read a statement or a command, run it, print its result, again.

mod catalog_commands;
mod command;
mod completion;
mod highlight;
mod history_file;
mod input;
mod output;
mod statement;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use lakeshore_engine::{StatementKind, split_statements, statement_kind};
use rustyline::config::Configurer;
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{CompletionType, Config, Editor};
use tokio::runtime::Runtime;

use self::command::{Command, help_text, is_command};
use self::completion::Completion;
use self::input::SqlInput;
use self::output::Output;
use self::statement::until_ctrl_c;
use crate::backend::Backend;
use crate::print_format::{Expanded, Printer};
use crate::progress::execute_and_print;
use crate::script::Script;

const PROMPT: &str = "lakeshore> ";

pub struct Shell<'r> {
    runtime: &'r Runtime,
    backend: Arc<dyn Backend>,
    editor: Editor<SqlInput, FileHistory>,
    /// The format and its settings; the width is filled in before each result.
    printer: Printer,
    timing: bool,
    output: Output,
    history: Option<PathBuf>,
}

impl<'r> Shell<'r> {
    pub fn new(runtime: &'r Runtime, backend: Arc<dyn Backend>, printer: Printer) -> Result<Self> {
        let config = Config::builder()
            .completion_type(CompletionType::List)
            .auto_add_history(false)
            .max_history_size(10_000)?
            .build();
        let mut editor = Editor::with_config(config)?;
        let completion = Completion::new(backend.clone(), runtime.handle().clone());
        runtime.block_on(completion.refresh());
        editor.set_helper(Some(SqlInput { completion }));
        let history = history_file::history_path();
        if let Some(path) = history.as_ref().filter(|path| path.exists())
            && let Err(error) = editor.load_history(path)
        {
            eprintln!("(history not loaded from {}: {error})", path.display());
        }
        editor.set_history_ignore_space(true);
        Ok(Self {
            runtime,
            backend,
            editor,
            printer,
            timing: false,
            output: Output::Terminal,
            history,
        })
    }

    /// Runs until `\q` or Ctrl-D.
    pub fn run(mut self, greeting: &str) -> Result<()> {
        println!("{greeting}");
        loop {
            match self.editor.readline(PROMPT) {
                Ok(input) if input.trim().is_empty() => {}
                Ok(input) => {
                    self.remember(&input);
                    if is_command(&input) {
                        match input.parse::<Command>() {
                            Ok(Command::Quit) => break,
                            Ok(command) => self.run_command(command),
                            Err(message) => eprintln!("{message}"),
                        }
                    } else {
                        self.run_sql(&input);
                    }
                }
                // Ctrl-C at the prompt drops what was typed.
                Err(ReadlineError::Interrupted) => {}
                Err(ReadlineError::Eof) => break,
                Err(error) => return Err(error.into()),
            }
        }
        self.output.flush()
    }

    /// Adds `input` to the history, and to the history file at once, so a session that ends
    /// badly keeps it too.
    fn remember(&mut self, input: &str) {
        if self.editor.add_history_entry(input).unwrap_or(false)
            && let Some(path) = &self.history
        {
            let saved = path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .map_err(ReadlineError::from)
                .and_then(|()| self.editor.append_history(path));
            if let Err(error) = saved {
                eprintln!("(history not saved to {}: {error})", path.display());
                self.history = None;
            }
        }
    }

    /// Runs the statements of `text` in order; stops at the first that fails or is
    /// cancelled. Returns whether all ran.
    fn run_sql(&mut self, text: &str) -> bool {
        let statements = match split_statements(text) {
            Ok(statements) => statements,
            Err(error) => {
                eprintln!("Error: {error}");
                return false;
            }
        };
        for sql in statements {
            let started = Instant::now();
            let requests = self.backend.watch_requests();
            let printer = self.printer_now();
            let mut out = self.output.writer();
            let outcome = self.runtime.block_on(until_ctrl_c(execute_and_print(
                self.backend.as_ref(),
                &sql,
                &printer,
                &mut out,
            )));
            drop(out);
            if !self.report(outcome) {
                return false;
            }
            if self.timing {
                let elapsed = started.elapsed().as_secs_f64();
                match requests {
                    Some(requests) => {
                        println!("Time: {elapsed:.3} s, {}", requests.elapsed());
                    }
                    None => println!("Time: {elapsed:.3} s"),
                }
            }
            if may_change_catalog(&sql) {
                self.refresh_names();
            }
        }
        true
    }

    /// Says how a statement or command ended, when not well; returns whether it succeeded.
    fn report(&mut self, outcome: Option<Result<()>>) -> bool {
        let flushed = self.output.flush();
        match outcome {
            None => {
                eprintln!("Cancelled.");
                false
            }
            Some(Err(error)) => {
                eprintln!("Error: {error:#}");
                false
            }
            Some(Ok(())) => match flushed {
                Ok(()) => true,
                Err(error) => {
                    eprintln!("Error: {error:#}");
                    false
                }
            },
        }
    }

    fn run_command(&mut self, command: Command) {
        let printer = self.printer_now();
        let backend = self.backend.clone();
        let backend = backend.as_ref();
        match command {
            Command::Help => print!("{}", help_text()),
            // Handled by the loop, which ends.
            Command::Quit => {}
            Command::ListTables(_)
            | Command::Describe(_)
            | Command::ListViews
            | Command::History(_) => {
                let mut out = self.output.writer();
                let outcome = self.runtime.block_on(until_ctrl_c(catalog_commands::run(
                    backend, &command, &printer, &mut out,
                )));
                drop(out);
                self.report(outcome);
            }
            Command::Include(path) => self.include(&path),
            Command::Output(None) => {
                if let Err(error) = self.output.flush() {
                    eprintln!("Error: {error:#}");
                }
                self.output = Output::Terminal;
                println!("Results go to the terminal.");
            }
            Command::Output(Some(path)) => match Output::to_file(&path) {
                Ok(output) => {
                    if let Err(error) = self.output.flush() {
                        eprintln!("Error: {error:#}");
                    }
                    self.output = output;
                    println!(
                        "Results go to {}; \\o alone brings them back.",
                        path.display()
                    );
                }
                Err(error) => eprintln!("Error: {error:#}"),
            },
            Command::Timing(setting) => {
                self.timing = setting.unwrap_or(!self.timing);
                println!("Timing is {}.", on_off(self.timing));
            }
            Command::Format(None) => println!("Format is {}.", self.printer.format.name()),
            Command::Format(Some(format)) => {
                self.printer.format = format;
                println!("Format is {}.", format.name());
            }
            Command::MaxRows(rows) => {
                self.printer.table_maxrows = (rows > 0).then_some(rows);
                match rows {
                    0 => println!("Tables show every row."),
                    n => println!("Tables show at most {n} rows."),
                }
            }
            Command::Expanded(setting) => {
                self.printer.expanded = setting.unwrap_or(match self.printer.expanded {
                    Expanded::Off => Expanded::On,
                    Expanded::On | Expanded::Auto => Expanded::Off,
                });
                let state = match self.printer.expanded {
                    Expanded::Off => "off",
                    Expanded::On => "on",
                    Expanded::Auto => "auto (for results wider than the terminal)",
                };
                println!("Expanded display is {state}.");
            }
            Command::Refresh => {
                let tables = self.refresh_names();
                println!("Listed the catalog again: {tables} tables and views.");
            }
        }
    }

    /// `\i file`: its statements, in order, stopping at the first that fails.
    fn include(&mut self, path: &Path) {
        match Script::File(path.to_path_buf()).text() {
            Ok(text) => {
                self.run_sql(&text);
            }
            Err(error) => eprintln!("Error: {error:#}"),
        }
    }

    /// Lists the catalog's names again for completion; returns how many tables there are.
    fn refresh_names(&mut self) -> usize {
        match self.editor.helper() {
            Some(input) => self.runtime.block_on(input.completion.refresh()),
            None => 0,
        }
    }

    /// The printer, with the terminal's width when results go to the terminal.
    fn printer_now(&mut self) -> Printer {
        let width = if self.output.is_terminal() {
            self.editor
                .dimensions()
                .map(|(columns, _)| usize::from(columns))
        } else {
            None
        };
        Printer {
            width,
            ..self.printer
        }
    }
}

fn on_off(setting: bool) -> &'static str {
    if setting { "on" } else { "off" }
}

/// Whether a statement may add or remove tables, so completion should list them again.
fn may_change_catalog(sql: &str) -> bool {
    statement_kind(sql).is_ok_and(StatementKind::changes_catalog)
}
