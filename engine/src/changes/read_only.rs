//! What counts as a write, for read-only mode: anything that changes a table, the catalog or
//! files. `COPY ... TO` writes files outside the lake, on the machine the engine runs on; a
//! read-only engine (a shared server) refuses it too.

use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::logical_expr::{DdlStatement, LogicalPlan, WriteOp};

use crate::error::{EngineError, Result};

/// Fails with [`EngineError::ReadOnly`], naming the statement, when `plan` would write.
pub(crate) fn refuse_writes(plan: &LogicalPlan) -> Result<()> {
    match first_write(plan) {
        Some(statement) => Err(EngineError::ReadOnly(statement.to_string())),
        None => Ok(()),
    }
}

/// What the first write in `plan` is called, when it has one.
pub(crate) fn first_write(plan: &LogicalPlan) -> Option<&'static str> {
    let mut write = None;
    // The closure never fails, so neither does the walk.
    let _ = plan.apply(|node| {
        write = write_of(node);
        Ok(if write.is_some() {
            TreeNodeRecursion::Stop
        } else {
            TreeNodeRecursion::Continue
        })
    });
    write
}

/// What `node` is called, when it writes: a table, the catalog or files.
pub(crate) fn write_of(node: &LogicalPlan) -> Option<&'static str> {
    match node {
        LogicalPlan::Ddl(ddl) => Some(match ddl {
            DdlStatement::CreateExternalTable(_) => "CREATE EXTERNAL TABLE",
            DdlStatement::CreateMemoryTable(_) => "CREATE TABLE",
            DdlStatement::CreateView(_) => "CREATE VIEW",
            DdlStatement::CreateCatalogSchema(_) => "CREATE SCHEMA",
            DdlStatement::CreateCatalog(_) => "CREATE DATABASE",
            DdlStatement::CreateIndex(_) => "CREATE INDEX",
            DdlStatement::DropTable(_) => "DROP TABLE",
            DdlStatement::DropView(_) => "DROP VIEW",
            DdlStatement::DropCatalogSchema(_) => "DROP SCHEMA",
            DdlStatement::CreateFunction(_) => "CREATE FUNCTION",
            DdlStatement::DropFunction(_) => "DROP FUNCTION",
        }),
        LogicalPlan::Dml(dml) => Some(match dml.op {
            WriteOp::Insert(_) => "INSERT",
            WriteOp::Delete => "DELETE",
            WriteOp::Update => "UPDATE",
            WriteOp::Ctas => "CREATE TABLE AS",
            WriteOp::Truncate => "TRUNCATE",
            WriteOp::MergeInto(_) => "MERGE",
            _ => "a write",
        }),
        LogicalPlan::Copy(_) => Some("COPY TO"),
        _ => None,
    }
}
