//! One statement, parsed once: its text, its syntax tree and its kind travel together from the
//! caller that parsed it (a server telling a query from a command) to the planner, which does
//! not parse it again.

use datafusion::common::config::SqlParserOptions;
use datafusion::sql::parser::Statement;

use super::kind::{StatementKind, classify};
use super::parse::parse_with;
use crate::error::Result;

#[derive(Debug, Clone)]
pub struct ParsedStatement {
    sql: String,
    statement: Statement,
    kind: StatementKind,
}

impl ParsedStatement {
    /// Parses the one statement `sql` (Delta syntax included) with the parser `options`.
    pub(crate) fn parse(sql: &str, options: &SqlParserOptions) -> Result<Self> {
        let statement = parse_with(sql, options)?;
        Ok(Self {
            sql: sql.to_string(),
            kind: classify(&statement),
            statement,
        })
    }

    /// The statement's text, as it was given.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// What the statement does: whether it returns rows, whether it writes.
    pub fn kind(&self) -> StatementKind {
        self.kind
    }

    pub(crate) fn statement(&self) -> &Statement {
        &self.statement
    }
}
