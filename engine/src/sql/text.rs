//! The tokens of a SQL text, each with the bytes of the text it was read from.
//!
//! Everything in [`crate::sql`] that hands SQL on (a statement of a script, a statement with
//! its placeholders numbered, a rewritten `DESCRIBE`) slices the user's text by these ranges
//! and never prints tokens back: sqlparser's `Display` of a token is not the text it was read
//! from (`'O''Brien'` prints as `'O'Brien'`, an unterminated string).
//!
//! sqlparser gives each token a span of [`Location`]s: a 1-based line, counted by `\n` only,
//! and a 1-based column counted in characters (not bytes; a `\r` is a column like any other).
//! [`Cursor`] turns those into byte offsets.

use std::ops::Range;

use datafusion::error::DataFusionError;
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::tokenizer::{Location, Token, Tokenizer, Whitespace};

use crate::error::{EngineError, Result};

/// One token and where it lies in the text.
#[derive(Debug, Clone)]
pub struct Piece {
    pub token: Token,
    /// Its bytes in the text: `&text[bytes]` is exactly what the user wrote.
    pub bytes: Range<usize>,
    /// Where it starts, as sqlparser's parser reports positions in the syntax tree.
    pub(crate) at: Location,
}

impl Piece {
    /// Space, tab or line break: what may be trimmed off a statement.
    pub fn is_blank(&self) -> bool {
        matches!(
            self.token,
            Token::Whitespace(Whitespace::Space | Whitespace::Tab | Whitespace::Newline)
        )
    }

    /// Anything but whitespace and comments. A MySQL-style `/*! ... */` comment is code: the
    /// generic dialect reads what it holds as SQL.
    pub fn is_code(&self) -> bool {
        match &self.token {
            Token::Whitespace(Whitespace::MultiLineComment(comment)) => comment.starts_with('!'),
            Token::Whitespace(_) => false,
            _ => true,
        }
    }
}

/// The tokens of `sql` (as DataFusion's default, generic dialect reads them), in order. Their
/// byte ranges follow each other without gap and cover the whole text.
pub fn pieces(sql: &str) -> Result<Vec<Piece>> {
    let tokens = Tokenizer::new(&GenericDialect {}, sql)
        .tokenize_with_location()
        .map_err(|e| EngineError::Query(DataFusionError::SQL(Box::new(e.into()), None)))?;
    let mut cursor = Cursor::new(sql);
    let mut pieces: Vec<Piece> = Vec::with_capacity(tokens.len());
    let mut end = 0;
    for token in tokens {
        let start = cursor.byte_at(token.span.start);
        let stop = cursor.byte_at(token.span.end);
        if start != end {
            hint_comment(&mut pieces, sql, end..start);
        }
        pieces.push(Piece {
            token: token.token,
            bytes: start..stop,
            at: token.span.start,
        });
        end = stop;
    }
    if end != sql.len() {
        hint_comment(&mut pieces, sql, end..sql.len());
    }
    Ok(pieces)
}

/// Makes one piece of a `/*! ... */` comment that ends at `gap.end`.
///
/// The generic dialect reads such a comment as the SQL inside it and gives those tokens
/// positions counted from the comment's start as if `/*!` were not there, so they land inside
/// the comment, too early, and a gap follows them. The tokens from the comment's start on are
/// replaced by one piece of the whole comment.
fn hint_comment(pieces: &mut Vec<Piece>, sql: &str, gap: Range<usize>) {
    let mut search_end = sql.len().min(gap.start + 3);
    while !sql.is_char_boundary(search_end) {
        search_end -= 1;
    }
    // Without a `/*!` (no other gap is known), the gap alone becomes the piece.
    let start = sql[..search_end].rfind("/*!").unwrap_or(gap.start);
    let first = pieces.iter().position(|piece| piece.bytes.start >= start);
    let at = match first {
        Some(first) => pieces[first].at,
        None => pieces.last().map_or(Location::new(1, 1), |piece| piece.at),
    };
    pieces.truncate(first.unwrap_or(pieces.len()));
    let comment = &sql[start..gap.end];
    let inside = comment.strip_prefix("/*").unwrap_or(comment);
    let inside = inside.strip_suffix("*/").unwrap_or(inside);
    pieces.push(Piece {
        token: Token::Whitespace(Whitespace::MultiLineComment(format!(
            "!{}",
            inside.trim_start_matches('!')
        ))),
        bytes: start..gap.end,
        at,
    });
}

/// Walks a text forward, turning sqlparser [`Location`]s into byte offsets.
struct Cursor<'a> {
    text: &'a str,
    line: u64,
    column: u64,
    byte: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            line: 1,
            column: 1,
            byte: 0,
        }
    }

    /// The byte offset of `at`; the end of the text for a place past it. Locations are asked
    /// for in order, so each call walks only the characters since the previous one.
    fn byte_at(&mut self, at: Location) -> usize {
        let wanted = (at.line, at.column);
        if wanted < (self.line, self.column) {
            *self = Self::new(self.text);
        }
        let text = self.text;
        let mut chars = text[self.byte..].chars();
        while (self.line, self.column) < wanted {
            let Some(c) = chars.next() else { break };
            self.byte += c.len_utf8();
            if c == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
        }
        self.byte
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pieces' texts, checking that they cover `sql` in order.
    fn texts(sql: &str) -> Vec<String> {
        let pieces = pieces(sql).unwrap();
        let mut end = 0;
        for piece in &pieces {
            assert_eq!(piece.bytes.start, end, "{sql:?}: {pieces:?}");
            end = piece.bytes.end;
        }
        assert_eq!(end, sql.len(), "{sql:?}: {pieces:?}");
        pieces
            .iter()
            .map(|p| sql[p.bytes.clone()].to_string())
            .collect()
    }

    #[test]
    fn pieces_are_the_users_bytes_whatever_the_characters_and_line_breaks() {
        assert_eq!(
            texts("SELECT 'O''Brien',\r\n  \"a\"\"b\" -- é;\r\n/* 😀 */ 'ü😀'"),
            [
                "SELECT",
                " ",
                "'O''Brien'",
                ",",
                "\r\n",
                " ",
                " ",
                "\"a\"\"b\"",
                " ",
                "-- é;\r\n",
                "/* 😀 */",
                " ",
                "'ü😀'"
            ]
        );
        assert_eq!(texts("a\rb"), ["a", "\r", "b"]);
        assert_eq!(texts(""), Vec::<String>::new());
    }

    #[test]
    fn a_mysql_hint_comment_is_one_piece_of_code() {
        let sql = "SELECT 1 /*!50110 ; x */ ;/*!*/";
        assert_eq!(
            texts(sql),
            [
                "SELECT",
                " ",
                "1",
                " ",
                "/*!50110 ; x */",
                " ",
                ";",
                "/*!*/"
            ]
        );
        let hint = &pieces(sql).unwrap()[4];
        assert!(hint.is_code());
    }
}
