//! `?` placeholders, as JDBC and ODBC drivers write them, numbered as DataFusion reads them.

use std::fmt::Write;

use datafusion::sql::sqlparser::tokenizer::Token;

use super::text::pieces;
use crate::error::Result;

/// `sql` with each `?` placeholder replaced by `$1`, `$2`, ... in order. Only the `?` tokens
/// change: a `?` inside a string, a quoted name or a comment stays, and every other byte is
/// the user's. SQL without `?` comes back as it is.
pub fn number_placeholders(sql: &str) -> Result<String> {
    let mut numbered = String::with_capacity(sql.len() + 8);
    let mut copied = 0;
    let mut count = 0;
    for piece in pieces(sql)? {
        if matches!(&piece.token, Token::Placeholder(p) if p == "?") {
            count += 1;
            numbered.push_str(&sql[copied..piece.bytes.start]);
            // Writing to a String cannot fail.
            let _ = write!(numbered, "${count}");
            copied = piece.bytes.end;
        }
    }
    numbered.push_str(&sql[copied..]);
    Ok(numbered)
}

#[cfg(test)]
mod tests {
    use super::number_placeholders;

    fn numbered(sql: &str) -> String {
        number_placeholders(sql).unwrap()
    }

    #[test]
    fn question_marks_are_numbered_outside_strings_names_and_comments() {
        assert_eq!(
            numbered("SELECT '?' AS q, a FROM t WHERE a = ? AND b < ?"),
            "SELECT '?' AS q, a FROM t WHERE a = $1 AND b < $2"
        );
        assert_eq!(
            numbered(
                "SELECT 'it''s ?', \"wh?\"\"y\" FROM t -- why?\r\nWHERE x = ? /* ? */ AND é = ?"
            ),
            "SELECT 'it''s ?', \"wh?\"\"y\" FROM t -- why?\r\nWHERE x = $1 /* ? */ AND é = $2"
        );
        assert_eq!(
            numbered("SELECT $$?$$, E'\\'?', ?"),
            "SELECT $$?$$, E'\\'?', $1"
        );
    }

    #[test]
    fn sql_without_question_marks_is_unchanged() {
        for sql in ["SELECT 'O''Brien'", "SELECT $1, $2", "SELECT '😀' -- é\r\n"] {
            assert_eq!(numbered(sql), sql);
        }
    }

    #[test]
    fn an_unterminated_string_is_an_error() {
        assert!(number_placeholders("SELECT 'O''Brien WHERE a = ?").is_err());
    }
}
