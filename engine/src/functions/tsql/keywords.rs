//! T-SQL names the date part of DATEPART, DATEADD and DATEDIFF with a bare keyword:
//! `DATEPART(year, d)`. SQL would read `year` as a column, so before planning each such
//! keyword becomes a string: `DATEPART('year', d)`.

use std::ops::ControlFlow;

use datafusion::sql::parser::{CopyToSource, Statement as DFStatement};
use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Value, visit_expressions_mut,
};

use super::date_part::DatePart;

/// The functions whose first argument is a date part.
const TAKES_DATE_PART: &[&str] = &["datepart", "dateadd", "datediff"];

/// Quotes the bare date-part keywords of DATEPART, DATEADD and DATEDIFF in `statement`.
pub(crate) fn quote_date_part_keywords(statement: &mut DFStatement) {
    // Quoting never breaks off the walk, so the result carries nothing.
    let _ = match statement {
        DFStatement::Statement(inner) => visit_expressions_mut(inner.as_mut(), quote_part),
        DFStatement::CopyTo(copy) => match &mut copy.source {
            CopyToSource::Query(query) => visit_expressions_mut(query.as_mut(), quote_part),
            CopyToSource::Relation(_) => ControlFlow::Continue(()),
        },
        DFStatement::Explain(explain) => {
            quote_date_part_keywords(&mut explain.statement);
            ControlFlow::Continue(())
        }
        DFStatement::CreateExternalTable(_) | DFStatement::Reset(_) => ControlFlow::Continue(()),
    };
}

fn quote_part(expr: &mut Expr) -> ControlFlow<()> {
    let Expr::Function(function) = expr else {
        return ControlFlow::Continue(());
    };
    let takes_part = function
        .name
        .0
        .last()
        .and_then(|part| part.as_ident())
        .is_some_and(|name| {
            TAKES_DATE_PART
                .iter()
                .any(|known| name.value.eq_ignore_ascii_case(known))
        });
    if !takes_part {
        return ControlFlow::Continue(());
    }
    let FunctionArguments::List(list) = &mut function.args else {
        return ControlFlow::Continue(());
    };
    if let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(first))) = list.args.first_mut()
        && let Expr::Identifier(ident) = first
        && ident.quote_style.is_none()
        && DatePart::parse(&ident.value).is_some()
    {
        *first =
            Expr::Value(Value::SingleQuotedString(ident.value.to_lowercase()).with_empty_span());
    }
    ControlFlow::Continue(())
}
