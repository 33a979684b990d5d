//! The T-SQL functions' semantics, through SQL as users write it.

use arrow::util::display::array_value_to_string;
use datafusion::error::Result;
use datafusion::prelude::SessionContext;

use super::{quote_date_part_keywords, register_tsql_functions};

/// The single value `sql` returns, as text (`NULL` for null).
async fn value(sql: &str) -> Result<String> {
    let ctx = SessionContext::new();
    register_tsql_functions(&ctx);
    let state = ctx.state();
    let dialect = state.config().options().sql_parser.dialect;
    let mut statement = state.sql_to_statement(sql, &dialect)?;
    quote_date_part_keywords(&mut statement);
    let plan = state.statement_to_plan(statement).await?;
    let batches = ctx.execute_logical_plan(plan).await?.collect().await?;
    let column = batches[0].column(0);
    if column.is_null(0) {
        return Ok("NULL".to_string());
    }
    Ok(array_value_to_string(column, 0)?)
}

async fn check(cases: &[(&str, &str)]) {
    for (sql, expected) in cases {
        let got = value(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        assert_eq!(&got, expected, "{sql}");
    }
}

#[tokio::test]
async fn year_month_day() {
    check(&[
        ("SELECT YEAR(DATE '2024-02-29')", "2024"),
        ("SELECT MONTH(DATE '2024-02-29')", "2"),
        ("SELECT DAY(DATE '2024-02-29')", "29"),
        ("SELECT day(TIMESTAMP '2023-12-31 23:59:59')", "31"),
        ("SELECT YEAR('2021-07-04')", "2021"),
        ("SELECT YEAR(CAST(NULL AS DATE))", "NULL"),
    ])
    .await;
}

#[tokio::test]
async fn datepart_takes_bare_keywords_strings_and_abbreviations() {
    check(&[
        ("SELECT DATEPART(quarter, DATE '2024-08-15')", "3"),
        ("SELECT DATEPART('quarter', DATE '2024-08-15')", "3"),
        ("SELECT DATEPART(qq, DATE '2024-08-15')", "3"),
        ("SELECT DATEPART(YYYY, DATE '2024-08-15')", "2024"),
        ("SELECT DATEPART(dayofyear, DATE '2024-12-31')", "366"),
        // 2024 starts on a Monday: Saturday the 6th is in week 1, Sunday the 7th starts week 2.
        ("SELECT DATEPART(week, DATE '2024-01-06')", "1"),
        ("SELECT DATEPART(week, DATE '2024-01-07')", "2"),
        ("SELECT DATEPART(iso_week, DATE '2021-01-03')", "53"),
        // Weekdays count from Sunday = 1.
        ("SELECT DATEPART(weekday, DATE '2024-01-07')", "1"),
        ("SELECT DATEPART(dw, DATE '2024-01-06')", "7"),
        (
            "SELECT DATEPART(hour, TIMESTAMP '2024-01-01 17:45:30.123456')",
            "17",
        ),
        (
            "SELECT DATEPART(mi, TIMESTAMP '2024-01-01 17:45:30.123456')",
            "45",
        ),
        (
            "SELECT DATEPART(ss, TIMESTAMP '2024-01-01 17:45:30.123456')",
            "30",
        ),
        (
            "SELECT DATEPART(millisecond, TIMESTAMP '2024-01-01 17:45:30.123456')",
            "123",
        ),
        (
            "SELECT DATEPART(microsecond, TIMESTAMP '2024-01-01 17:45:30.123456')",
            "123456",
        ),
        (
            "SELECT DATEPART(month, d) FROM (SELECT DATE '2024-05-01' AS d)",
            "5",
        ),
    ])
    .await;
}

#[tokio::test]
async fn a_column_named_like_a_date_part_is_still_a_column() {
    check(&[("SELECT year + 1 FROM (SELECT 2024 AS year)", "2025")]).await;
}

#[tokio::test]
async fn unknown_date_parts_are_refused_with_the_known_ones() {
    let error = value("SELECT DATEPART('fortnight', DATE '2024-01-01')")
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("unknown date part 'fortnight'"), "{error}");
    assert!(error.contains("quarter"), "{error}");
    let error =
        value("SELECT DATEDIFF(p, DATE '2024-01-01', DATE '2024-02-01') FROM (SELECT 'day' AS p)")
            .await
            .unwrap_err()
            .to_string();
    assert!(
        error.contains("the date part must be a constant"),
        "{error}"
    );
}

#[tokio::test]
async fn dateadd_moves_by_calendar_parts_and_keeps_the_type() {
    check(&[
        ("SELECT DATEADD(month, 1, DATE '2024-01-31')", "2024-02-29"),
        ("SELECT DATEADD(year, -1, DATE '2024-02-29')", "2023-02-28"),
        (
            "SELECT DATEADD(quarter, 2, DATE '2024-08-31')",
            "2025-02-28",
        ),
        ("SELECT DATEADD(day, 1, DATE '2024-12-31')", "2025-01-01"),
        ("SELECT DATEADD(week, -1, DATE '2024-01-03')", "2023-12-27"),
        (
            "SELECT DATEADD(hour, 5, TIMESTAMP '2024-01-01 22:00:00')",
            "2024-01-02T03:00:00",
        ),
        (
            "SELECT DATEADD(minute, 90, '2024-01-01 10:00:00')",
            "2024-01-01T11:30:00",
        ),
        (
            "SELECT arrow_typeof(DATEADD(day, 1, DATE '2024-01-01'))",
            "Date32",
        ),
        (
            "SELECT DATEADD(day, CAST(NULL AS INT), DATE '2024-01-01')",
            "NULL",
        ),
    ])
    .await;
    let error = value("SELECT DATEADD(hour, 1, DATE '2024-01-01')")
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("a date has no Hour"), "{error}");
}

#[tokio::test]
async fn datediff_counts_boundaries_crossed() {
    check(&[
        ("SELECT DATEDIFF(year, '2024-12-31', '2025-01-01')", "1"),
        ("SELECT DATEDIFF(year, DATE '2024-01-01', DATE '2024-12-31')", "0"),
        ("SELECT DATEDIFF(quarter, DATE '2024-03-31', DATE '2024-04-01')", "1"),
        ("SELECT DATEDIFF(month, DATE '2024-01-31', DATE '2024-02-01')", "1"),
        ("SELECT DATEDIFF(day, TIMESTAMP '2024-01-01 23:59:00', TIMESTAMP '2024-01-02 00:01:00')", "1"),
        ("SELECT DATEDIFF(day, DATE '2024-03-01', DATE '2024-02-01')", "-29"),
        // Saturday to Sunday crosses a week boundary; Sunday to Saturday does not.
        ("SELECT DATEDIFF(week, DATE '2024-01-06', DATE '2024-01-07')", "1"),
        ("SELECT DATEDIFF(week, DATE '2024-01-07', DATE '2024-01-13')", "0"),
        ("SELECT DATEDIFF(hour, TIMESTAMP '2024-01-01 10:59:59', TIMESTAMP '2024-01-01 11:00:00')", "1"),
        ("SELECT DATEDIFF(second, TIMESTAMP '2024-01-01 00:00:00.9', TIMESTAMP '2024-01-01 00:00:01.1')", "1"),
        ("SELECT DATEDIFF(millisecond, TIMESTAMP '2024-01-01 00:00:00', TIMESTAMP '2024-01-01 00:00:01.5')", "1500"),
    ])
    .await;
}

#[tokio::test]
async fn isnull_len_getdate() {
    check(&[
        ("SELECT ISNULL(NULL, 'fallback')", "fallback"),
        ("SELECT ISNULL('value', 'fallback')", "value"),
        ("SELECT ISNULL(CAST(NULL AS INT), 7)", "7"),
        ("SELECT LEN('abc   ')", "3"),
        ("SELECT LEN('  abc')", "5"),
        ("SELECT LEN('')", "0"),
        ("SELECT LEN('añb')", "3"),
        ("SELECT LEN(CAST(NULL AS VARCHAR))", "NULL"),
        ("SELECT GETDATE() = GETDATE()", "true"),
        ("SELECT DATEDIFF(second, GETDATE(), now())", "0"),
        ("SELECT arrow_typeof(GETDATE())", "Timestamp(ns)"),
    ])
    .await;
}
