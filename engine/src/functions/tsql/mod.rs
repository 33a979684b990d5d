//! The T-SQL functions that Synapse views use most, so such views port with few edits:
//! `YEAR`, `MONTH`, `DAY`, `DATEPART`, `DATEADD`, `DATEDIFF`, `ISNULL`, `LEN`, `GETDATE`.
//!
//! T-SQL writes date parts as bare keywords (`DATEPART(year, d)`), which SQL would read as a
//! column: [`quote_date_part_keywords`] turns them into strings before planning, so both
//! `DATEPART(year, d)` and `DATEPART('year', d)` work.

mod date_part;
mod dateadd;
mod datediff;
mod datepart;
mod datetimes;
mod getdate;
mod keywords;
mod len;

use datafusion::functions::core::nvl;
use datafusion::logical_expr::ScalarUDF;
use datafusion::prelude::SessionContext;

pub(crate) use keywords::quote_date_part_keywords;

/// Registers the T-SQL functions in `ctx`.
pub(crate) fn register_tsql_functions(ctx: &SessionContext) {
    for function in [
        datepart::DatePartFunction::fixed("year", date_part::DatePart::Year),
        datepart::DatePartFunction::fixed("month", date_part::DatePart::Month),
        datepart::DatePartFunction::fixed("day", date_part::DatePart::Day),
        datepart::DatePartFunction::named(),
    ] {
        ctx.register_udf(ScalarUDF::new_from_impl(function));
    }
    ctx.register_udf(ScalarUDF::new_from_impl(dateadd::DateAdd::new()));
    ctx.register_udf(ScalarUDF::new_from_impl(datediff::DateDiff::new()));
    ctx.register_udf(ScalarUDF::new_from_impl(len::Len::new()));
    ctx.register_udf(ScalarUDF::new_from_impl(getdate::GetDate::new()));
    // ISNULL(a, b) is NVL(a, b): the first value, or the second when it is null.
    ctx.register_udf(nvl().as_ref().clone().with_aliases(["isnull"]));
}

#[cfg(test)]
mod tests;
