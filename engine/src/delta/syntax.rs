//! The Delta statements DataFusion's SQL parser does not read: `DESCRIBE HISTORY t [LIMIT n]`,
//! `DESCRIBE DETAIL t`, and `t VERSION AS OF n` / `t TIMESTAMP AS OF '...'` after a table name.
//!
//! Each is found among the statement's tokens (so words inside strings, quoted names and
//! comments are never mistaken for them). `DESCRIBE` becomes a query of the table function that
//! serves it; a time-travel clause is blanked out of the text (keeping every other token where it
//! was), the statement is parsed, and the clause is put back on its table in the syntax tree,
//! where sqlparser's Databricks dialect would have put it.

use std::ops::ControlFlow;

use datafusion::error::DataFusionError;
use datafusion::execution::SessionState;
use datafusion::sql::parser::{CopyToSource, Statement};
use datafusion::sql::sqlparser::ast::{
    Expr, ObjectNamePart, TableFactor, TableVersion, Value, VisitMut, VisitorMut,
};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

use super::detail::DELTA_DETAIL;
use super::history::DELTA_HISTORY;
use crate::error::{EngineError, Result};

/// Parses one SQL statement, Delta syntax included.
pub(crate) fn parse_statement(state: &SessionState, sql: &str) -> Result<Statement> {
    let dialect = state.config().options().sql_parser.dialect;
    let tokens = significant_tokens(sql)?;
    if let Some(query) = describe_as_query(&tokens)? {
        return Ok(state.sql_to_statement(&query, &dialect)?);
    }
    let clauses = time_travel_clauses(&tokens);
    if clauses.is_empty() {
        return Ok(state.sql_to_statement(sql, &dialect)?);
    }
    let mut statement = state.sql_to_statement(&blanked(sql, &clauses), &dialect)?;
    let mut attach = AttachVersions {
        clauses,
        attached: 0,
    };
    let _ = match &mut statement {
        Statement::Statement(inner) => inner.visit(&mut attach),
        Statement::CopyTo(copy) => match &mut copy.source {
            CopyToSource::Query(query) => query.visit(&mut attach),
            CopyToSource::Relation(_) => ControlFlow::Continue(()),
        },
        Statement::Explain(explain) => match explain.statement.as_mut() {
            Statement::Statement(inner) => inner.visit(&mut attach),
            _ => ControlFlow::Continue(()),
        },
        _ => ControlFlow::Continue(()),
    };
    if attach.attached < attach.clauses.len() {
        return Err(syntax_error(
            "VERSION AS OF and TIMESTAMP AS OF must follow a table name, as in \
             SELECT * FROM silver.orders VERSION AS OF 3",
        ));
    }
    Ok(statement)
}

/// The tokens of `sql` other than whitespace and comments.
fn significant_tokens(sql: &str) -> Result<Vec<TokenWithSpan>> {
    let tokens = Tokenizer::new(&GenericDialect {}, sql)
        .tokenize_with_location()
        .map_err(|e| EngineError::Query(DataFusionError::SQL(Box::new(e.into()), None)))?;
    Ok(tokens
        .into_iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .collect())
}

fn syntax_error(message: &str) -> EngineError {
    EngineError::Query(DataFusionError::Plan(message.to_string()))
}

fn is_word(token: &Token, keyword: Keyword) -> bool {
    matches!(token, Token::Word(word) if word.quote_style.is_none() && word.keyword == keyword)
}

fn is_named(token: &Token, name: &str) -> bool {
    matches!(token, Token::Word(word) if word.quote_style.is_none() && word.value.eq_ignore_ascii_case(name))
}

/// `DESCRIBE HISTORY t [LIMIT n]` as `SELECT * FROM delta_history('t'[, n])`, and
/// `DESCRIBE DETAIL t` as `SELECT * FROM delta_detail('t')`; `None` for other statements.
fn describe_as_query(tokens: &[TokenWithSpan]) -> Result<Option<String>> {
    let mut tokens: Vec<&Token> = tokens.iter().map(|t| &t.token).collect();
    while tokens
        .last()
        .is_some_and(|t| **t == Token::SemiColon || **t == Token::EOF)
    {
        tokens.pop();
    }
    let (function, rest) = match tokens.as_slice() {
        [describe, what, rest @ ..]
            if is_word(describe, Keyword::DESCRIBE) || is_word(describe, Keyword::DESC) =>
        {
            if is_named(what, "history") {
                (DELTA_HISTORY, rest)
            } else if is_named(what, "detail") {
                (DELTA_DETAIL, rest)
            } else {
                return Ok(None);
            }
        }
        _ => return Ok(None),
    };
    let usage = format!(
        "DESCRIBE {} takes a table name or a quoted path{}",
        if function == DELTA_HISTORY {
            "HISTORY"
        } else {
            "DETAIL"
        },
        if function == DELTA_HISTORY {
            ", then optionally LIMIT n"
        } else {
            ""
        }
    );
    let (table, rest) = table_text(rest).ok_or_else(|| syntax_error(&usage))?;
    let limit = match rest {
        [] => None,
        [limit, Token::Number(n, _)]
            if function == DELTA_HISTORY && is_word(limit, Keyword::LIMIT) =>
        {
            Some(n.clone())
        }
        _ => return Err(syntax_error(&usage)),
    };
    let table = table.replace('\'', "''");
    Ok(Some(match limit {
        Some(limit) => format!("SELECT * FROM {function}('{table}', {limit})"),
        None => format!("SELECT * FROM {function}('{table}')"),
    }))
}

/// The table named at the start of `tokens` (a quoted path, or names joined by dots, quoted
/// names keeping their quotes), and the tokens after it.
fn table_text<'a>(tokens: &'a [&'a Token]) -> Option<(String, &'a [&'a Token])> {
    if let [Token::SingleQuotedString(path), rest @ ..] = tokens {
        return Some((path.clone(), rest));
    }
    let mut parts = Vec::new();
    let mut rest = tokens;
    loop {
        let [Token::Word(word), after @ ..] = rest else {
            return None;
        };
        parts.push(match word.quote_style {
            Some(quote) => format!("{quote}{}{quote}", word.value),
            None => word.value.clone(),
        });
        rest = after;
        match rest {
            [Token::Period, after @ ..] => rest = after,
            _ => return Some((parts.join("."), rest)),
        }
    }
}

/// A `VERSION AS OF` / `TIMESTAMP AS OF` clause found among the tokens.
#[derive(Debug)]
struct TimeTravelClause {
    /// Where the last part of the table's name starts: the clause belongs to that table.
    table_at: Location,
    /// Where the clause starts and ends in the text.
    start: Location,
    end: Location,
    version: TableVersion,
}

fn time_travel_clauses(tokens: &[TokenWithSpan]) -> Vec<TimeTravelClause> {
    let mut clauses = Vec::new();
    for i in 1..tokens.len() {
        let kind = &tokens[i].token;
        let is_version = is_word(kind, Keyword::VERSION);
        if !(is_version || is_word(kind, Keyword::TIMESTAMP)) {
            continue;
        }
        let Token::Word(_) = tokens[i - 1].token else {
            continue;
        };
        let rest: Vec<&Token> = tokens[i + 1..].iter().take(4).map(|t| &t.token).collect();
        let (version, length) = match rest.as_slice() {
            [as_, of, Token::Number(n, long), ..]
                if is_version && is_word(as_, Keyword::AS) && is_word(of, Keyword::OF) =>
            {
                let value = Expr::value(Value::Number(n.clone(), *long));
                (TableVersion::VersionAsOf(value), 3)
            }
            [as_, of, Token::SingleQuotedString(text), ..]
                if !is_version && is_word(as_, Keyword::AS) && is_word(of, Keyword::OF) =>
            {
                let value = Expr::value(Value::SingleQuotedString(text.clone()));
                (TableVersion::TimestampAsOf(value), 3)
            }
            [as_, of, typed, Token::SingleQuotedString(text)]
                if !is_version
                    && is_word(as_, Keyword::AS)
                    && is_word(of, Keyword::OF)
                    && is_word(typed, Keyword::TIMESTAMP) =>
            {
                let value = Expr::value(Value::SingleQuotedString(text.clone()));
                (TableVersion::TimestampAsOf(value), 4)
            }
            _ => continue,
        };
        clauses.push(TimeTravelClause {
            table_at: tokens[i - 1].span.start,
            start: tokens[i].span.start,
            end: tokens[i + length].span.end,
            version,
        });
    }
    clauses
}

/// `sql` with each clause replaced by spaces (line breaks kept), so every other token keeps
/// its line and column.
fn blanked(sql: &str, clauses: &[TimeTravelClause]) -> String {
    let mut line = 1;
    let mut column = 1;
    let mut out = String::with_capacity(sql.len());
    for c in sql.chars() {
        let here = Location::new(line, column);
        let inside = clauses
            .iter()
            .any(|clause| before_or_at(clause.start, here) && before(here, clause.end));
        out.push(if inside && c != '\n' { ' ' } else { c });
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    out
}

fn before(a: Location, b: Location) -> bool {
    (a.line, a.column) < (b.line, b.column)
}

fn before_or_at(a: Location, b: Location) -> bool {
    (a.line, a.column) <= (b.line, b.column)
}

/// Puts each clause on the table whose name's last part starts where the clause said.
struct AttachVersions {
    clauses: Vec<TimeTravelClause>,
    attached: usize,
}

impl VisitorMut for AttachVersions {
    type Break = ();

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        if let TableFactor::Table {
            name,
            version,
            args: None,
            ..
        } = factor
            && let Some(ObjectNamePart::Identifier(last)) = name.0.last()
            && let Some(clause) = self
                .clauses
                .iter()
                .find(|clause| clause.table_at == last.span.start)
        {
            *version = Some(clause.version.clone());
            self.attached += 1;
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::SessionContext;
    use datafusion::sql::sqlparser::ast::{Visit, Visitor};

    use super::*;

    fn parse(sql: &str) -> Result<Statement> {
        parse_statement(&SessionContext::new().state(), sql)
    }

    /// Each table of the statement with the version clause attached to it, as SQL.
    fn versions(sql: &str) -> Vec<String> {
        struct Found(Vec<String>);
        impl Visitor for Found {
            type Break = ();
            fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
                if let TableFactor::Table { name, version, .. } = factor {
                    let version = version
                        .as_ref()
                        .map_or("latest".to_string(), |v| v.to_string());
                    self.0.push(format!("{name} {version}"));
                }
                ControlFlow::Continue(())
            }
        }
        let mut found = Found(Vec::new());
        let Statement::Statement(statement) = parse(sql).unwrap() else {
            panic!("a SQL statement")
        };
        let _ = statement.visit(&mut found);
        found.0
    }

    #[test]
    fn describe_history_and_detail_become_table_functions() {
        let describe = |sql: &str| describe_as_query(&significant_tokens(sql).unwrap()).unwrap();
        assert_eq!(
            describe("DESCRIBE HISTORY silver.orders").as_deref(),
            Some("SELECT * FROM delta_history('silver.orders')")
        );
        assert_eq!(
            describe("describe history lake.\"2024_sales\".orders limit 2;").as_deref(),
            Some("SELECT * FROM delta_history('lake.\"2024_sales\".orders', 2)")
        );
        assert_eq!(
            describe("DESC DETAIL '/data/it''s'").as_deref(),
            Some("SELECT * FROM delta_detail('/data/it''s')")
        );
        assert_eq!(describe("DESCRIBE silver.orders"), None);
        assert_eq!(describe("SELECT 'DESCRIBE HISTORY t'"), None);
        assert!(
            describe_as_query(&significant_tokens("DESCRIBE DETAIL t LIMIT 3").unwrap()).is_err()
        );
    }

    #[test]
    fn a_version_clause_goes_to_its_table_in_joins_and_subqueries() {
        assert_eq!(
            versions(
                "SELECT * FROM silver.a VERSION AS OF 3 x JOIN (SELECT * FROM b TIMESTAMP AS OF \
                 '2024-05-01 10:00:00') y ON true JOIN silver.a z ON true"
            ),
            vec![
                "silver.a VERSION AS OF 3".to_string(),
                "b TIMESTAMP AS OF '2024-05-01 10:00:00'".to_string(),
                "silver.a latest".to_string(),
            ]
        );
    }

    #[test]
    fn clauses_on_several_lines_and_typed_timestamps_are_read() {
        assert_eq!(
            versions("SELECT *\nFROM t\n  TIMESTAMP AS OF TIMESTAMP '2024-05-01'\nWHERE 1 = 1"),
            vec!["t TIMESTAMP AS OF '2024-05-01'".to_string()]
        );
    }

    #[test]
    fn words_in_strings_and_columns_named_version_are_left_alone() {
        assert_eq!(
            versions("SELECT version, 'x VERSION AS OF 3' AS version FROM t"),
            vec!["t latest".to_string()]
        );
    }

    #[test]
    fn a_clause_after_something_other_than_a_table_is_an_error() {
        let error = parse("SELECT a VERSION AS OF 3 FROM t")
            .unwrap_err()
            .to_string();
        assert!(error.contains("must follow a table name"), "{error}");
    }
}
