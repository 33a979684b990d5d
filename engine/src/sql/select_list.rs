//! Select lists as users write them, made ready for DataFusion.
//!
//! - `ALL` is the opposite of `DISTINCT`, not a name: `SELECT all FROM t` parses as `SELECT ALL`
//!   with no columns at all, and DataFusion answers it with rows of nothing, which the shell
//!   shows as nothing, without an error. The user meant a column named `all`; such a statement
//!   is refused with the way to write it.
//! - DataFusion refuses a select list that names one column twice (`SELECT id, id`, or
//!   `SELECT 1 AS x, 2 AS x`), which DuckDB, Spark and PostgreSQL answer. The second and later
//!   ones are named `id_1`, `id_2`, ..., as DuckDB names them where names must be unique (a
//!   subquery, a new table): the answer is the same, under names a table can hold. Columns
//!   that come from a wildcard (`*`) are not known before planning and keep their names.

use std::collections::HashSet;
use std::ops::ControlFlow;

use datafusion::sql::parser::{CopyToSource, Statement};
use datafusion::sql::sqlparser::ast::{
    Expr, Ident, Query, SelectItem, SetExpr, Visit, VisitMut, Visitor, VisitorMut,
};

use super::parse::syntax_error;
use crate::error::Result;

/// Refuses `statement` when one of its SELECTs, at any depth, lists no columns.
pub(crate) fn refuse_empty_select_lists(statement: &Statement) -> Result<()> {
    let empty = match statement {
        Statement::Statement(statement) => {
            Visit::visit(statement.as_ref(), &mut EmptySelectList).is_break()
        }
        Statement::CopyTo(copy) => match &copy.source {
            CopyToSource::Query(query) => {
                Visit::visit(query.as_ref(), &mut EmptySelectList).is_break()
            }
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

/// Names the repeated columns of every select list in `statement` apart (see the module's
/// doc): every column of an answer gets a name of its own, as clients such as pandas and
/// Polars need, even where DataFusion would allow two (`t.a, u.a`).
pub(crate) fn name_repeated_columns(statement: &mut Statement) {
    match statement {
        Statement::Statement(statement) => {
            let _ = VisitMut::visit(statement.as_mut(), &mut RepeatedColumns);
        }
        Statement::CopyTo(copy) => {
            if let CopyToSource::Query(query) = &mut copy.source {
                let _ = VisitMut::visit(query.as_mut(), &mut RepeatedColumns);
            }
        }
        Statement::Explain(explain) => name_repeated_columns(&mut explain.statement),
        Statement::CreateExternalTable(_) | Statement::Reset(_) => {}
    }
}

struct RepeatedColumns;

impl VisitorMut for RepeatedColumns {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        name_apart_in(&mut query.body);
        ControlFlow::Continue(())
    }
}

fn name_apart_in(body: &mut SetExpr) {
    match body {
        SetExpr::Select(select) => name_apart(&mut select.projection),
        SetExpr::SetOperation { left, right, .. } => {
            name_apart_in(left);
            name_apart_in(right);
        }
        _ => {}
    }
}

/// The name a column of the answer gets from `item`: a column's own name (`t.a` gives `a`, and
/// so does `CAST(t.a AS ...)`, as DataFusion names it), an alias, `(<subquery>)` for a scalar
/// subquery, or another expression as the parser prints it; none for wildcards, whose columns
/// are not known before planning. Identifiers are normalized as DataFusion does.
fn shown_name(item: &SelectItem) -> Option<String> {
    match item {
        SelectItem::UnnamedExpr(expr) => Some(expression_name(expr)),
        SelectItem::ExprWithAlias { alias, .. } => Some(normalized(alias)),
        _ => None,
    }
}

fn expression_name(expr: &Expr) -> String {
    match expr {
        Expr::Identifier(ident) => normalized(ident),
        Expr::CompoundIdentifier(parts) => parts.last().map(normalized).unwrap_or_default(),
        Expr::Cast { expr, .. } | Expr::Nested(expr) => expression_name(expr),
        // DataFusion names every scalar subquery alike.
        Expr::Subquery(_) => "(<subquery>)".to_string(),
        other => other.to_string().to_lowercase(),
    }
}

/// An identifier as DataFusion resolves it: unquoted ones in lower case.
fn normalized(ident: &Ident) -> String {
    match ident.quote_style {
        Some(_) => ident.value.clone(),
        None => ident.value.to_lowercase(),
    }
}

fn name_apart(projection: &mut [SelectItem]) {
    let names: Vec<Option<String>> = projection.iter().map(shown_name).collect();
    let mut taken: HashSet<String> = names.iter().flatten().cloned().collect();
    let mut seen = HashSet::new();
    for (item, name) in projection.iter_mut().zip(names) {
        let Some(name) = name else { continue };
        if seen.insert(name.clone()) {
            continue;
        }
        // Only expressions have a name (see `shown_name`).
        let (SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. }) = item else {
            continue;
        };
        let expr = expr.clone();
        let apart = (1..)
            .map(|n| format!("{name}_{n}"))
            .find(|candidate| !taken.contains(candidate))
            .unwrap_or(name);
        taken.insert(apart.clone());
        *item = SelectItem::ExprWithAlias {
            expr,
            alias: Ident::with_quote('"', apart),
        };
    }
}
