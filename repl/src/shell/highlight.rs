//! Colours for the line being edited: keywords, strings, numbers, comments, commands.

use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::tokenizer::{Token, Whitespace};
use lakeshore_engine::sql_pieces;

const KEYWORD: &str = "\x1b[1;34m";
const STRING: &str = "\x1b[32m";
const NUMBER: &str = "\x1b[33m";
const COMMENT: &str = "\x1b[90m";
const COMMAND: &str = "\x1b[1;35m";
pub const DIM: &str = "\x1b[2m";
pub const RESET: &str = "\x1b[0m";

/// `line` with colours, or `None` when there is nothing to colour or it cannot be read as SQL
/// yet (an unterminated string, say).
pub fn highlight(line: &str) -> Option<String> {
    let trimmed = line.trim_start();
    if trimmed.starts_with('\\') || trimmed.starts_with('.') {
        let name_end =
            line.len() - trimmed.len() + trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
        return Some(format!(
            "{COMMAND}{}{RESET}{}",
            &line[..name_end],
            &line[name_end..]
        ));
    }
    let pieces = sql_pieces(line).ok()?;
    let mut out = String::with_capacity(line.len() * 2);
    let mut coloured = false;
    for piece in pieces {
        let text = &line[piece.bytes];
        match colour_of(&piece.token) {
            Some(colour) => {
                out.push_str(colour);
                out.push_str(text);
                out.push_str(RESET);
                coloured = true;
            }
            None => out.push_str(text),
        }
    }
    coloured.then_some(out)
}

fn colour_of(token: &Token) -> Option<&'static str> {
    match token {
        Token::Word(word) if word.quote_style.is_none() && word.keyword != Keyword::NoKeyword => {
            Some(KEYWORD)
        }
        Token::SingleQuotedString(_)
        | Token::EscapedStringLiteral(_)
        | Token::NationalStringLiteral(_)
        | Token::DollarQuotedString(_) => Some(STRING),
        Token::Number(..) => Some(NUMBER),
        Token::Whitespace(
            Whitespace::SingleLineComment { .. } | Whitespace::MultiLineComment(_),
        ) => Some(COMMENT),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_strings_and_numbers_are_coloured_in_place() {
        let line = "SELECT 'a''é😀' AS x,\r\n  42 -- n\nFROM t";
        let coloured = highlight(line).expect("something to colour");
        let plain = coloured
            .replace(KEYWORD, "")
            .replace(STRING, "")
            .replace(NUMBER, "")
            .replace(COMMENT, "")
            .replace(RESET, "");
        assert_eq!(plain, line);
        assert!(coloured.starts_with(&format!("{KEYWORD}SELECT{RESET}")));
        assert!(coloured.contains(&format!("{STRING}'a''é😀'{RESET}")));
        assert!(coloured.contains(&format!("{NUMBER}42{RESET}")));
    }

    #[test]
    fn an_unfinished_string_is_left_plain() {
        assert_eq!(highlight("SELECT 'abc"), None);
    }
}
