//! SQL as clients send it: whether a statement returns rows, its `?` placeholders numbered as
//! DataFusion's `$1, $2, ...`, and the parameter rows clients bind to it.

use arrow::array::RecordBatch;
use datafusion::scalar::ScalarValue;
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};

use crate::error::{Result, ServerError};

/// A statement returns rows (a query) or does something (DDL, DML, SET, COPY).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementKind {
    Query,
    Command,
}

/// The first words of statements that return rows and change nothing.
const QUERY_WORDS: &[&str] = &[
    "SELECT", "WITH", "VALUES", "EXPLAIN", "SHOW", "DESCRIBE", "DESC", "TABLE", "FROM",
];

/// One SQL statement, with placeholders in DataFusion's `$n` form.
#[derive(Debug, Clone)]
pub struct Statement {
    pub sql: String,
    pub kind: StatementKind,
}

impl Statement {
    pub fn parse(sql: &str) -> Result<Self> {
        let tokens = Tokenizer::new(&GenericDialect {}, sql)
            .tokenize()
            .map_err(|error| {
                ServerError::InvalidRequest(format!("cannot read the SQL: {error}"))
            })?;
        let first_word = tokens.iter().find_map(|token| match token {
            Token::Word(word) => Some(word.value.to_uppercase()),
            _ => None,
        });
        let kind = match first_word {
            Some(word) if QUERY_WORDS.contains(&word.as_str()) => StatementKind::Query,
            Some(_) => StatementKind::Command,
            None => {
                return Err(ServerError::InvalidRequest(
                    "the statement is empty".to_string(),
                ));
            }
        };
        Ok(Self {
            sql: number_placeholders(sql, tokens),
            kind,
        })
    }

    pub fn is_query(&self) -> bool {
        self.kind == StatementKind::Query
    }
}

/// `sql` with each `?` replaced by `$1`, `$2`, ... in order (JDBC and ODBC write `?`; DataFusion
/// reads `$n`). SQL without `?` is returned as it is.
fn number_placeholders(sql: &str, tokens: Vec<Token>) -> String {
    let is_question = |token: &Token| matches!(token, Token::Placeholder(p) if p == "?");
    if !tokens.iter().any(is_question) {
        return sql.to_string();
    }
    let mut numbered = String::with_capacity(sql.len() + 8);
    let mut count = 0;
    for token in tokens {
        if is_question(&token) {
            count += 1;
            numbered.push_str(&format!("${count}"));
        } else {
            numbered.push_str(&token.to_string());
        }
    }
    numbered
}

/// Each row of a bound parameter batch, as the values of `$1, $2, ...`.
pub fn parameter_rows(batch: &RecordBatch) -> Result<Vec<Vec<ScalarValue>>> {
    (0..batch.num_rows())
        .map(|row| {
            batch
                .columns()
                .iter()
                .map(|column| ScalarValue::try_from_array(column, row).map_err(ServerError::from))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_marks_become_numbered_placeholders_outside_strings() {
        let statement =
            Statement::parse("SELECT '?' AS q, a FROM t WHERE a = ? AND b < ?").unwrap();
        assert_eq!(
            statement.sql,
            "SELECT '?' AS q, a FROM t WHERE a = $1 AND b < $2"
        );
        assert!(statement.is_query());
    }

    #[test]
    fn statements_that_change_things_are_commands() {
        for sql in [
            "INSERT INTO t VALUES (1)",
            "CREATE VIEW v AS SELECT 1",
            "drop table t",
        ] {
            assert_eq!(
                Statement::parse(sql).unwrap().kind,
                StatementKind::Command,
                "{sql}"
            );
        }
        for sql in [
            "  (SELECT 1)",
            "with x as (select 1) select * from x",
            "SHOW TABLES",
        ] {
            assert!(Statement::parse(sql).unwrap().is_query(), "{sql}");
        }
    }
}
