//! What a statement does, told from its syntax alone (no table is read): whether it returns
//! rows, whether it writes. One answer for every caller: read-only mode, the Flight SQL server
//! (a query is planned for its FlightInfo and run on DoGet; a command runs at once) and the
//! shell (which lists the catalog's names again after a statement that may change them).

use datafusion::common::config::SqlParserOptions;
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{SetExpr, Statement};

use super::parse::parse_with;
use crate::error::Result;

/// The kinds of statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementKind {
    /// Returns rows and changes nothing: `SELECT`, `VALUES`, `SHOW`, `DESCRIBE`, `EXECUTE`.
    Query,
    /// `EXPLAIN` of a statement: returns its plan. `EXPLAIN ANALYZE` runs the statement, so
    /// the explanation of a write counts as a write.
    Explain { writes: bool },
    /// Changes rows of tables or writes files: `INSERT`, `UPDATE`, `DELETE`, `MERGE`,
    /// `TRUNCATE`, `COPY ... TO`.
    Write,
    /// Changes the catalog: `CREATE` and `DROP` of tables, views, schemas and functions,
    /// `ALTER`, and any statement not known to be harmless.
    Definition,
    /// Changes only the session: `SET`, `RESET`, `USE`, transactions, `PREPARE`.
    Session,
}

impl StatementKind {
    /// Whether the statement's result is rows to fetch, rather than a count or nothing.
    pub fn returns_rows(self) -> bool {
        matches!(self, Self::Query | Self::Explain { .. })
    }

    /// Whether the statement changes a table, the catalog or files: a read-only engine refuses
    /// it.
    pub fn writes(self) -> bool {
        matches!(
            self,
            Self::Write | Self::Definition | Self::Explain { writes: true }
        )
    }

    /// Whether the statement may add, remove or change tables, views or schemas.
    pub fn changes_catalog(self) -> bool {
        self == Self::Definition
    }
}

/// The kind of the one statement `sql` (Delta syntax included), parsed with DataFusion's
/// default parser options. Fails when the statement does not parse.
pub fn statement_kind(sql: &str) -> Result<StatementKind> {
    Ok(classify(&parse_with(sql, &SqlParserOptions::default())?))
}

/// The kind of a parsed statement.
pub(crate) fn classify(statement: &DFStatement) -> StatementKind {
    match statement {
        DFStatement::Statement(inner) => classify_sql(inner),
        DFStatement::CreateExternalTable(_) => StatementKind::Definition,
        DFStatement::CopyTo(_) => StatementKind::Write,
        DFStatement::Explain(explain) => StatementKind::Explain {
            writes: classify(&explain.statement).writes(),
        },
        DFStatement::Reset(_) => StatementKind::Session,
    }
}

fn classify_sql(statement: &Statement) -> StatementKind {
    match statement {
        Statement::Query(query) => match query.body.as_ref() {
            // `WITH ... INSERT` and the like.
            SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_) => {
                StatementKind::Write
            }
            _ => StatementKind::Query,
        },
        Statement::ShowFunctions { .. }
        | Statement::ShowVariable { .. }
        | Statement::ShowStatus { .. }
        | Statement::ShowVariables { .. }
        | Statement::ShowCreate { .. }
        | Statement::ShowColumns { .. }
        | Statement::ShowCatalogs { .. }
        | Statement::ShowDatabases { .. }
        | Statement::ShowProcessList { .. }
        | Statement::ShowSchemas { .. }
        | Statement::ShowCharset(_)
        | Statement::ShowObjects(_)
        | Statement::ShowTables { .. }
        | Statement::ShowViews { .. }
        | Statement::ShowCollation { .. }
        | Statement::ExplainTable { .. }
        | Statement::Execute { .. }
        | Statement::Fetch { .. } => StatementKind::Query,
        Statement::Explain { statement, .. } => StatementKind::Explain {
            writes: classify_sql(statement).writes(),
        },
        Statement::Insert(_)
        | Statement::Update(_)
        | Statement::Delete(_)
        | Statement::Merge(_)
        | Statement::Truncate(_)
        | Statement::Copy { .. }
        | Statement::CopyIntoSnowflake { .. }
        | Statement::Directory { .. }
        | Statement::Load { .. }
        | Statement::LoadData { .. }
        | Statement::Unload { .. }
        | Statement::ExportData(_) => StatementKind::Write,
        Statement::Set(_)
        | Statement::Use(_)
        | Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Savepoint { .. }
        | Statement::ReleaseSavepoint { .. }
        | Statement::Prepare { .. }
        | Statement::Deallocate { .. }
        | Statement::Declare { .. }
        | Statement::Discard { .. }
        | Statement::Close { .. } => StatementKind::Session,
        _ => StatementKind::Definition,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(sql: &str) -> StatementKind {
        statement_kind(sql).unwrap()
    }

    #[test]
    fn queries_return_rows_and_write_nothing() {
        for sql in [
            "SELECT 1",
            "  (SELECT 1)",
            "-- note\nwith x as (select 1) select * from x",
            "VALUES (1)",
            "SHOW TABLES",
            "DESCRIBE silver.orders",
            "DESCRIBE HISTORY silver.orders LIMIT 1",
            "DESC DETAIL 'O''Brien/t'",
            "SELECT 'O''Brien', * FROM t VERSION AS OF 0",
            "SELECT 'INSERT INTO t' AS looks_like_a_write",
            "EXECUTE q(1)",
        ] {
            let kind = kind(sql);
            assert!(kind.returns_rows() && !kind.writes(), "{sql}: {kind:?}");
        }
        assert_eq!(
            kind("EXPLAIN SELECT 1"),
            StatementKind::Explain { writes: false }
        );
    }

    #[test]
    fn writes_are_told_from_reads() {
        for sql in [
            "INSERT INTO t VALUES ('O''Brien')",
            "UPDATE t SET a = 1",
            "DELETE FROM t",
            "TRUNCATE t",
            "COPY (SELECT 1) TO '/tmp/x.parquet'",
            "/* first */ INSERT INTO t SELECT 1",
        ] {
            assert_eq!(kind(sql), StatementKind::Write, "{sql}");
        }
        for sql in [
            "CREATE TABLE t AS SELECT 1",
            "CREATE TABLE t PARTITIONED BY (a) AS SELECT 1 AS a",
            "CREATE VIEW v AS SELECT 1",
            "drop view v",
            "DROP TABLE t",
            "CREATE SCHEMA s",
            "CREATE EXTERNAL TABLE t STORED AS DELTA LOCATION '/x'",
            "ALTER TABLE t RENAME TO u",
        ] {
            assert_eq!(kind(sql), StatementKind::Definition, "{sql}");
            assert!(kind(sql).changes_catalog(), "{sql}");
        }
        for sql in [
            "EXPLAIN INSERT INTO t VALUES (1)",
            "EXPLAIN ANALYZE DELETE FROM t",
        ] {
            let kind = kind(sql);
            assert!(kind.returns_rows() && kind.writes(), "{sql}: {kind:?}");
        }
    }

    #[test]
    fn session_statements_neither_return_rows_nor_write() {
        for sql in [
            "SET datafusion.execution.batch_size = 10",
            "RESET x",
            "PREPARE p AS SELECT $1",
        ] {
            let kind = kind(sql);
            assert_eq!(kind, StatementKind::Session, "{sql}");
            assert!(!kind.returns_rows() && !kind.writes(), "{sql}");
        }
    }

    #[test]
    fn a_statement_that_does_not_parse_has_no_kind() {
        assert!(statement_kind("SELEC 1").is_err());
        assert!(statement_kind("SELECT 'O''Brien").is_err());
        assert!(statement_kind("").is_err());
    }
}
