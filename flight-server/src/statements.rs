//! SQL as clients send it: whether a statement returns rows, its `?` placeholders numbered as
//! DataFusion's `$1, $2, ...`, and the parameter rows clients bind to it.

use arrow::array::RecordBatch;
use datafusion::scalar::ScalarValue;
use lakeshore_engine::{StatementKind, number_placeholders, statement_kind};

use crate::error::{Result, ServerError};

/// One SQL statement, with placeholders in DataFusion's `$n` form, and what it does.
#[derive(Debug, Clone)]
pub struct Statement {
    pub sql: String,
    pub kind: StatementKind,
}

impl Statement {
    /// The statement a client sent: its `?` numbered (JDBC and ODBC write `?`, DataFusion reads
    /// `$n`) and its kind told by the engine; fails when it does not parse.
    pub fn parse(sql: &str) -> Result<Self> {
        let sql = number_placeholders(sql)?;
        let kind = statement_kind(&sql)?;
        Ok(Self { sql, kind })
    }

    /// Whether the statement returns rows: planned for its FlightInfo and run on DoGet. Any
    /// other statement is a command, run when its FlightInfo is asked for.
    pub fn is_query(&self) -> bool {
        self.kind.returns_rows()
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
    use super::*;

    #[test]
    fn question_marks_become_numbered_placeholders_outside_strings() {
        let statement =
            Statement::parse("SELECT '?''s' AS q, a FROM t WHERE a = ? AND b < ?").unwrap();
        assert_eq!(
            statement.sql,
            "SELECT '?''s' AS q, a FROM t WHERE a = $1 AND b < $2"
        );
        assert!(statement.is_query());
    }

    #[test]
    fn statements_that_change_things_are_commands() {
        for sql in [
            "INSERT INTO t VALUES ('O''Brien')",
            "CREATE VIEW v AS SELECT 1",
            "drop table t",
            "SET datafusion.execution.batch_size = 100",
        ] {
            assert!(!Statement::parse(sql).unwrap().is_query(), "{sql}");
        }
        for sql in [
            "  (SELECT 1)",
            "with x as (select 1) select * from x",
            "SHOW TABLES",
            "-- a comment first\nSELECT 'O''Brien'",
            "DESCRIBE HISTORY silver.orders",
        ] {
            assert!(Statement::parse(sql).unwrap().is_query(), "{sql}");
        }
    }
}
