//! SQL as clients send it: whether a statement returns rows, its `?` placeholders numbered as
//! DataFusion's `$1, $2, ...`, and the parameter rows clients bind to it.

use arrow::array::RecordBatch;
use datafusion::scalar::ScalarValue;
use lakeshore_engine::{Engine, ParsedStatement, number_placeholders};

use crate::error::{Result, ServerError};

/// One SQL statement, with placeholders in DataFusion's `$n` form, parsed once by the engine
/// that runs it: the parse tells a query from a command and is then planned as it is.
#[derive(Debug, Clone)]
pub struct Statement {
    parsed: ParsedStatement,
}

impl Statement {
    /// The statement a client sent: its `?` numbered (JDBC and ODBC write `?`, DataFusion reads
    /// `$n`) and parsed as `engine` parses (its dialect); fails when it does not parse.
    pub fn parse(engine: &Engine, sql: &str) -> Result<Self> {
        let sql = number_placeholders(sql)?;
        Ok(Self {
            parsed: engine.parse(&sql)?,
        })
    }

    /// The statement's text, with its placeholders numbered.
    pub fn sql(&self) -> &str {
        self.parsed.sql()
    }

    pub fn parsed(&self) -> &ParsedStatement {
        &self.parsed
    }

    /// Whether the statement returns rows: planned for its FlightInfo and run on DoGet. Any
    /// other statement is a command, run when its FlightInfo is asked for.
    pub fn is_query(&self) -> bool {
        self.parsed.kind().returns_rows()
    }
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
    use lakeshore_engine::EngineConfig;

    use super::*;

    async fn engine() -> Engine {
        Engine::open(EngineConfig::default()).await.unwrap()
    }

    #[tokio::test]
    async fn question_marks_become_numbered_placeholders_outside_strings() {
        let statement = Statement::parse(
            &engine().await,
            "SELECT '?''s' AS q, a FROM t WHERE a = ? AND b < ?",
        )
        .unwrap();
        assert_eq!(
            statement.sql(),
            "SELECT '?''s' AS q, a FROM t WHERE a = $1 AND b < $2"
        );
        assert!(statement.is_query());
    }

    #[tokio::test]
    async fn statements_that_change_things_are_commands() {
        let engine = engine().await;
        for sql in [
            "INSERT INTO t VALUES ('O''Brien')",
            "CREATE VIEW v AS SELECT 1",
            "drop table t",
            "SET datafusion.execution.batch_size = 100",
        ] {
            assert!(!Statement::parse(&engine, sql).unwrap().is_query(), "{sql}");
        }
        for sql in [
            "  (SELECT 1)",
            "with x as (select 1) select * from x",
            "SHOW TABLES",
            "-- a comment first\nSELECT 'O''Brien'",
            "DESCRIBE HISTORY silver.orders",
        ] {
            assert!(Statement::parse(&engine, sql).unwrap().is_query(), "{sql}");
        }
    }

    /// The statement is parsed as the engine's session parses: a dialect set there is the one
    /// that tells a query from a command.
    #[tokio::test]
    async fn statements_are_parsed_in_the_engines_dialect() {
        let engine = engine().await;
        engine
            .execute("SET datafusion.sql_parser.dialect = 'MsSQL'")
            .await
            .unwrap();
        // Brackets quote names in MS SQL; the generic dialect has no such quotes.
        let statement = Statement::parse(&engine, "SELECT 1 AS [one]").unwrap();
        assert!(statement.is_query());
    }
}
