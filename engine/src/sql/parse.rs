//! Parsing one statement, Delta syntax included: `DESCRIBE HISTORY` / `DESCRIBE DETAIL` (see
//! [`super::describe`]) and time-travel clauses (see [`super::time_travel`]).

use datafusion::common::config::SqlParserOptions;
use datafusion::error::DataFusionError;
use datafusion::execution::SessionState;
use datafusion::sql::parser::{DFParserBuilder, Statement};
use datafusion::sql::sqlparser::dialect::dialect_from_str;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::tokenizer::Token;

use super::describe::describe_as_query;
use super::select_list::{name_repeated_columns, refuse_empty_select_lists};
use super::text::{Piece, pieces};
use super::time_travel::{attach_versions, blanked, time_travel_clauses};
use crate::error::{EngineError, Result};

/// Parses one SQL statement, Delta syntax included, as the session's parser options say.
pub(crate) fn parse_statement(state: &SessionState, sql: &str) -> Result<Statement> {
    parse_with(sql, &state.config().options().sql_parser)
}

/// Parses one SQL statement, Delta syntax included, with the parser `options` (the dialect and
/// the recursion limit), as DataFusion's session would.
pub(crate) fn parse_with(sql: &str, options: &SqlParserOptions) -> Result<Statement> {
    let mut statement = parse_delta_syntax(sql, options)?;
    refuse_empty_select_lists(&statement)?;
    name_repeated_columns(&mut statement);
    Ok(statement)
}

fn parse_delta_syntax(sql: &str, options: &SqlParserOptions) -> Result<Statement> {
    let tokens = significant_pieces(sql)?;
    if tokens.is_empty() {
        return Err(syntax_error("the statement is empty"));
    }
    if let Some(query) = describe_as_query(sql, &tokens)? {
        return parse_plain(&query, options);
    }
    let clauses = time_travel_clauses(&tokens);
    if clauses.is_empty() {
        return parse_plain(sql, options);
    }
    let mut statement = parse_plain(&blanked(sql, &clauses), options)?;
    attach_versions(&mut statement, clauses)?;
    Ok(statement)
}

/// Parses exactly one statement with DataFusion's parser.
fn parse_plain(sql: &str, options: &SqlParserOptions) -> Result<Statement> {
    let dialect = dialect_from_str(options.dialect).ok_or_else(|| {
        syntax_error(&format!(
            "the SQL dialect {} is not one the parser knows",
            options.dialect
        ))
    })?;
    let mut statements = DFParserBuilder::new(sql)
        .with_dialect(dialect.as_ref())
        .with_recursion_limit(options.recursion_limit.get())
        .build()?
        .parse_statements()?;
    match (statements.pop_front(), statements.is_empty()) {
        (Some(statement), true) => Ok(statement),
        (None, _) => Err(syntax_error("the statement is empty")),
        (Some(_), false) => Err(syntax_error(
            "one statement was expected, and more than one was given",
        )),
    }
}

/// The tokens of `sql` other than whitespace and comments.
pub(crate) fn significant_pieces(sql: &str) -> Result<Vec<Piece>> {
    Ok(pieces(sql)?
        .into_iter()
        .filter(|piece| !matches!(piece.token, Token::Whitespace(_)))
        .collect())
}

pub(crate) fn syntax_error(message: &str) -> EngineError {
    EngineError::Query(DataFusionError::Plan(message.to_string()))
}

/// Whether `token` is the unquoted keyword `keyword`.
pub(crate) fn is_word(token: &Token, keyword: Keyword) -> bool {
    matches!(token, Token::Word(word) if word.quote_style.is_none() && word.keyword == keyword)
}

/// Whether `token` is the unquoted word `name`, in any case.
pub(crate) fn is_named(token: &Token, name: &str) -> bool {
    matches!(token, Token::Word(word) if word.quote_style.is_none() && word.value.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use std::ops::ControlFlow;

    use datafusion::sql::sqlparser::ast::{
        Expr, SelectItem, SetExpr, TableFactor, Value, Visit, Visitor,
    };

    use super::*;

    fn parse(sql: &str) -> Result<Statement> {
        parse_with(sql, &SqlParserOptions::default())
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

    /// The string literals of the statement's first SELECT list, as the parser read them.
    fn selected_strings(sql: &str) -> Vec<String> {
        let Statement::Statement(statement) = parse(sql).unwrap() else {
            panic!("a SQL statement")
        };
        let datafusion::sql::sqlparser::ast::Statement::Query(query) = *statement else {
            panic!("a query")
        };
        let SetExpr::Select(select) = *query.body else {
            panic!("a SELECT")
        };
        select
            .projection
            .iter()
            .filter_map(|item| match item {
                SelectItem::ExprWithAlias {
                    expr: Expr::Value(value),
                    ..
                }
                | SelectItem::UnnamedExpr(Expr::Value(value)) => match &value.value {
                    Value::SingleQuotedString(text) => Some(text.clone()),
                    _ => None,
                },
                _ => None,
            })
            .collect()
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
    fn escaped_quotes_multi_byte_characters_and_crlf_survive_a_time_travel_rewrite() {
        let sql = "SELECT 'it''s' AS x, 'é😀' AS \"ü\"\r\nFROM \"t\"\"q\" VERSION AS OF 0\r\n\
                   WHERE 'a''b' <> 'O''Brien'";
        assert_eq!(
            versions(sql),
            vec!["\"t\"\"q\" VERSION AS OF 0".to_string()]
        );
        assert_eq!(selected_strings(sql), ["it's", "é😀"]);
        assert_eq!(
            versions("SELECT '😀' FROM é TIMESTAMP AS OF 'x''y' JOIN u VERSION AS OF 1 ON true"),
            vec![
                "é TIMESTAMP AS OF 'x''y'".to_string(),
                "u VERSION AS OF 1".to_string()
            ]
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

    #[test]
    fn empty_and_several_statements_are_errors_that_say_so() {
        let error = parse(" -- nothing\n").unwrap_err().to_string();
        assert!(error.contains("empty"), "{error}");
        let error = parse("SELECT 1; SELECT 2").unwrap_err().to_string();
        assert!(error.contains("more than one"), "{error}");
        assert!(parse("SELECT 'O''Brien';").is_ok());
    }

    #[test]
    fn a_select_without_columns_is_an_error_that_says_how_to_name_one() {
        for sql in [
            "SELECT all FROM t",
            "SELECT DISTINCT FROM t",
            "SELECT a FROM t WHERE a IN (SELECT ALL FROM u)",
            "SELECT a FROM t UNION SELECT all FROM u",
            "EXPLAIN SELECT all FROM t",
            "COPY (SELECT all FROM t) TO 'out.csv'",
        ] {
            let error = parse(sql).unwrap_err().to_string();
            assert!(error.contains(r#"SELECT "all" FROM t"#), "{sql}: {error}");
        }
        assert!(parse(r#"SELECT "all" FROM t"#).is_ok());
        assert!(parse("SELECT ALL a FROM t").is_ok());
    }

    #[test]
    fn a_column_selected_twice_is_named_apart_as_duckdb_names_it() {
        let first_select = |sql: &str| {
            let Statement::Statement(statement) = parse(sql).unwrap() else {
                panic!("a SQL statement")
            };
            statement.to_string()
        };
        assert_eq!(
            first_select("SELECT a, a, A, a_1 FROM t"),
            r#"SELECT a, a AS "a_2", A AS "a_3", a_1 FROM t"#
        );
        assert_eq!(
            first_select("SELECT 1 AS x, 2 AS X, x, t.a, u.a FROM t, u"),
            r#"SELECT 1 AS x, 2 AS "x_1", x AS "x_2", t.a, u.a AS "a_1" FROM t, u"#
        );
        assert_eq!(
            first_select("SELECT * FROM (SELECT b + 1, b + 1 FROM t) AS s"),
            r#"SELECT * FROM (SELECT b + 1, b + 1 AS "b + 1_1" FROM t) AS s"#
        );
        assert_eq!(
            first_select("SELECT CAST(a AS INT), (a), a::text FROM t"),
            r#"SELECT CAST(a AS INT), (a) AS "a_1", a::TEXT AS "a_2" FROM t"#
        );
        assert_eq!(
            first_select("SELECT (SELECT 1), (SELECT 2) FROM t"),
            r#"SELECT (SELECT 1), (SELECT 2) AS "(<subquery>)_1" FROM t"#
        );
        // Names that differ stay as they are; wildcards are left to DataFusion.
        assert_eq!(
            first_select(r#"SELECT a, "A", a AS b, *, t.* FROM t"#),
            r#"SELECT a, "A", a AS b, *, t.* FROM t"#
        );
    }
}
