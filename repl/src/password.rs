//! Asking for a password at the terminal without showing it.

use std::borrow::Cow;

use anyhow::{Result, anyhow};
use rustyline::config::Configurer;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::{ColorMode, Completer, Editor, Helper, Hinter, Validator};
use unicode_width::UnicodeWidthStr;

/// Draws what is typed as blanks (with the cursor hidden), so nothing of the password shows.
#[derive(Completer, Helper, Hinter, Validator)]
struct Hidden;

impl Highlighter for Hidden {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        Cow::Owned(" ".repeat(line.width()))
    }

    fn highlight_char(&self, _line: &str, _pos: usize, kind: CmdKind) -> bool {
        kind != CmdKind::MoveCursor
    }
}

/// Reads a password typed at the terminal; it is neither shown nor kept in any history.
pub fn prompt_password(prompt: &str) -> Result<String> {
    let mut editor = Editor::<Hidden, _>::new()?;
    editor.set_helper(Some(Hidden));
    editor.set_color_mode(ColorMode::Forced);
    editor.set_auto_add_history(false);
    let mut cursor = editor.set_cursor_visibility(false)?;
    let password = editor
        .readline(prompt)
        .map_err(|error| anyhow!("no password read: {error}"));
    cursor.take();
    password
}
