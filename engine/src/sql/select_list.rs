//! Select lists the parser accepts but that a user never means.
//!
//! `ALL` is the opposite of `DISTINCT`, not a name: `SELECT all FROM t` parses as `SELECT ALL`
//! with no columns at all, and DataFusion answers it with rows of nothing, which the shell shows
//! as nothing, without an error. The user meant a column named `all`; such a statement is
//! refused with the way to write it.

use std::ops::ControlFlow;

use datafusion::sql::parser::{CopyToSource, Statement};
use datafusion::sql::sqlparser::ast::{Query, SetExpr, Visit, Visitor};

use super::parse::syntax_error;
use crate::error::Result;

/// Refuses `statement` when one of its SELECTs, at any depth, lists no columns.
pub(crate) fn refuse_empty_select_lists(statement: &Statement) -> Result<()> {
    let empty = match statement {
        Statement::Statement(statement) => statement.visit(&mut EmptySelectList).is_break(),
        Statement::CopyTo(copy) => match &copy.source {
            CopyToSource::Query(query) => query.visit(&mut EmptySelectList).is_break(),
            CopyToSource::Relation(_) => false,
        },
        Statement::Explain(explain) => return refuse_empty_select_lists(&explain.statement),
        Statement::CreateExternalTable(_) | Statement::Reset(_) => false,
    };
    if empty {
        return Err(syntax_error(
            "a SELECT lists no columns: ALL and DISTINCT are keywords, so a column named all or \
             distinct must be quoted, as in SELECT \"all\" FROM t",
        ));
    }
    Ok(())
}

/// Stops at the first SELECT with an empty list; queries nested in expressions and in `FROM`
/// are each visited on their own.
struct EmptySelectList;

impl Visitor for EmptySelectList {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        match has_empty_select(&query.body) {
            true => ControlFlow::Break(()),
            false => ControlFlow::Continue(()),
        }
    }
}

fn has_empty_select(body: &SetExpr) -> bool {
    match body {
        SetExpr::Select(select) => select.projection.is_empty(),
        SetExpr::SetOperation { left, right, .. } => {
            has_empty_select(left) || has_empty_select(right)
        }
        _ => false,
    }
}
