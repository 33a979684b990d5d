//! The line editor's view of SQL: when input is complete, what Tab offers, how it is coloured,
//! and the hint on an empty prompt.

use std::borrow::Cow;

use datafusion::sql::sqlparser::tokenizer::Token;
use lakeshore_engine::sql_pieces;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};

use super::command::is_command;
use super::completion::Completion;
use super::highlight::{DIM, RESET, highlight};

/// Shown on an empty prompt.
const EMPTY_PROMPT_HINT: &str =
    "SQL ending with ;   \\? help   \\dt tables   Tab completes   \\q quits";

pub struct SqlInput {
    pub completion: Completion,
}

impl Helper for SqlInput {}

impl Completer for SqlInput {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        Ok(self.completion.complete(line, pos))
    }
}

impl Hinter for SqlInput {
    type Hint = String;

    fn hint(&self, line: &str, _pos: usize, _ctx: &Context<'_>) -> Option<String> {
        line.is_empty().then(|| EMPTY_PROMPT_HINT.to_string())
    }
}

impl Highlighter for SqlInput {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        highlight(line).map_or(Cow::Borrowed(line), Cow::Owned)
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        Cow::Owned(format!("{DIM}{hint}{RESET}"))
    }

    fn highlight_char(&self, _line: &str, _pos: usize, kind: CmdKind) -> bool {
        kind != CmdKind::MoveCursor
    }
}

impl Validator for SqlInput {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        Ok(if is_complete(ctx.input()) {
            ValidationResult::Valid(None)
        } else {
            ValidationResult::Incomplete
        })
    }
}

/// Whether Enter runs `input`: a command, an empty line, or SQL ending with `;` (outside
/// strings and comments).
pub fn is_complete(input: &str) -> bool {
    if input.trim().is_empty() || is_command(input) {
        return true;
    }
    let Ok(pieces) = sql_pieces(input) else {
        // An unterminated string or quoted name: more is coming.
        return false;
    };
    pieces
        .iter()
        .rev()
        .find(|piece| !matches!(piece.token, Token::Whitespace(_)))
        .is_some_and(|piece| piece.token == Token::SemiColon)
}

#[cfg(test)]
mod tests {
    use super::is_complete;

    #[test]
    fn statements_end_at_a_semicolon_outside_strings_and_comments() {
        assert!(is_complete("SELECT 1;"));
        assert!(is_complete("SELECT 1;  -- done"));
        assert!(is_complete("SELECT\n  1\n;"));
        assert!(is_complete("\\dt"));
        assert!(is_complete(".tables"));
        assert!(!is_complete("SELECT 1"));
        assert!(!is_complete("SELECT ';"));
        assert!(!is_complete("SELECT 1 -- ;"));
    }
}
