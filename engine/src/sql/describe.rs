//! `DESCRIBE HISTORY t [LIMIT n]` and `DESCRIBE DETAIL t`, which DataFusion's parser does not
//! read, as queries of the table functions that serve them.

use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::tokenizer::Token;

use super::parse::{is_named, is_word, syntax_error};
use super::text::Piece;
use crate::error::Result;

/// The table function of `DESCRIBE HISTORY`.
pub(crate) const DELTA_HISTORY: &str = "delta_history";
/// The table function of `DESCRIBE DETAIL`.
pub(crate) const DELTA_DETAIL: &str = "delta_detail";

/// `DESCRIBE HISTORY t [LIMIT n]` as `SELECT * FROM delta_history('t'[, n])`, and
/// `DESCRIBE DETAIL t` as `SELECT * FROM delta_detail('t')`; `None` for other statements.
/// `tokens` are the statement's significant tokens, read from `sql`. The table and the limit
/// are copied from `sql` as written: a quoted path stays the same string literal, a name
/// (quoted parts keeping their quotes) becomes a string literal.
pub(crate) fn describe_as_query(sql: &str, tokens: &[Piece]) -> Result<Option<String>> {
    let mut tokens = tokens;
    while let [rest @ .., last] = tokens
        && last.token == Token::SemiColon
    {
        tokens = rest;
    }
    let (function, rest) = match tokens {
        [describe, what, rest @ ..]
            if is_word(&describe.token, Keyword::DESCRIBE)
                || is_word(&describe.token, Keyword::DESC) =>
        {
            if is_named(&what.token, "history") {
                (DELTA_HISTORY, rest)
            } else if is_named(&what.token, "detail") {
                (DELTA_DETAIL, rest)
            } else {
                return Ok(None);
            }
        }
        _ => return Ok(None),
    };
    let usage = match function {
        DELTA_HISTORY => {
            "DESCRIBE HISTORY takes a table name or a quoted path, then optionally \
                          LIMIT n"
        }
        _ => "DESCRIBE DETAIL takes a table name or a quoted path",
    };
    let (table, rest) = table_literal(sql, rest).ok_or_else(|| syntax_error(usage))?;
    let limit = match rest {
        [] => None,
        [limit, n] if function == DELTA_HISTORY && is_word(&limit.token, Keyword::LIMIT) => {
            match n.token {
                Token::Number(..) => Some(&sql[n.bytes.clone()]),
                _ => return Err(syntax_error(usage)),
            }
        }
        _ => return Err(syntax_error(usage)),
    };
    Ok(Some(match limit {
        Some(limit) => format!("SELECT * FROM {function}({table}, {limit})"),
        None => format!("SELECT * FROM {function}({table})"),
    }))
}

/// The table named at the start of `tokens` as a SQL string literal, and the tokens after it.
/// A quoted path is its literal as written; a name is its parts as written, joined by dots
/// (so comments and spaces around the dots go), quoted as a string.
fn table_literal<'a>(sql: &str, tokens: &'a [Piece]) -> Option<(String, &'a [Piece])> {
    if let [path, rest @ ..] = tokens
        && let Token::SingleQuotedString(_) = path.token
    {
        return Some((sql[path.bytes.clone()].to_string(), rest));
    }
    let mut parts = Vec::new();
    let mut rest = tokens;
    loop {
        let [part, after @ ..] = rest else {
            return None;
        };
        let Token::Word(_) = part.token else {
            return None;
        };
        parts.push(&sql[part.bytes.clone()]);
        rest = after;
        match rest {
            [dot, after @ ..] if dot.token == Token::Period => rest = after,
            _ => return Some((format!("'{}'", parts.join(".").replace('\'', "''")), rest)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::describe_as_query;
    use crate::sql::parse::significant_pieces;

    fn describe(sql: &str) -> crate::error::Result<Option<String>> {
        describe_as_query(sql, &significant_pieces(sql).unwrap())
    }

    #[test]
    fn describe_history_and_detail_become_table_functions() {
        let query = |sql: &str| describe(sql).unwrap();
        assert_eq!(
            query("DESCRIBE HISTORY silver.orders").as_deref(),
            Some("SELECT * FROM delta_history('silver.orders')")
        );
        assert_eq!(
            query("describe history lake.\"2024_sales\".orders limit 2;").as_deref(),
            Some("SELECT * FROM delta_history('lake.\"2024_sales\".orders', 2)")
        );
        assert_eq!(
            query("DESC DETAIL '/data/it''s'").as_deref(),
            Some("SELECT * FROM delta_detail('/data/it''s')")
        );
        assert_eq!(query("DESCRIBE silver.orders"), None);
        assert_eq!(query("SELECT 'DESCRIBE HISTORY t'"), None);
        assert!(describe("DESCRIBE DETAIL t LIMIT 3").is_err());
        assert!(describe("DESCRIBE HISTORY t LIMIT x").is_err());
    }

    #[test]
    fn quoted_names_keep_their_escapes_inside_the_string() {
        assert_eq!(
            describe("DESCRIBE HISTORY \"it's\" . \"a\"\"b\" /* é */ LIMIT 1")
                .unwrap()
                .as_deref(),
            Some("SELECT * FROM delta_history('\"it''s\".\"a\"\"b\"', 1)")
        );
        assert_eq!(
            describe("DESCRIBE HISTORY 'C:\\data\\é'")
                .unwrap()
                .as_deref(),
            Some("SELECT * FROM delta_history('C:\\data\\é')")
        );
    }
}
