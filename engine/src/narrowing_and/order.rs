//! The order in which a [`NarrowingAnd`](super::expr::NarrowingAnd) tests its conjuncts:
//! cheapest first, by the kind of test each is.
//!
//! DataFusion tests conjuncts in the order the query wrote them. TPC-H Q12 writes
//! `l_shipmode IN ('MAIL', 'SHIP')` first, and compares two strings for each of lineitem's rows
//! before the date range that keeps one row in seven. A comparison of two numbers or dates
//! costs a fraction of a comparison of strings, and an `IN` list or a `LIKE` more again, so
//! testing the cheap ones first leaves the costly ones fewer rows. Conjuncts of equal cost keep
//! the query's order: with no estimate of how many rows each keeps, that is the user's.
//!
//! An order measured while running (how many rows each conjunct drops, at what cost) was tried
//! first. It changed from run to run: each conjunct's share of rows kept depends on the ones
//! tested before it, so two halves of a date range kept swapping, and per-row costs measured on
//! a few hundred rows left after others were mostly fixed costs. Q12 at SF 10 took 0.73 s in
//! one run and 1.05 s in the next.
//!
//! Only conjuncts that cannot fail move: a conjunct such as `10 / x > 1` after `x <> 0` must
//! keep testing no more rows than the query's order would have it test.

use std::sync::Arc;

use arrow::datatypes::{DataType, Schema};
use datafusion::logical_expr::Operator;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{
    BinaryExpr, Column, InListExpr, IsNotNullExpr, IsNullExpr, LikeExpr, Literal, NotExpr,
    TryCastExpr,
};

use crate::operators::is_comparison;
use crate::ordered_substrings::OrderedSubstrings;

/// The order to test `conjuncts` in: those that cannot fail by [`cost`], then the others in the
/// query's order. Each conjunct that can fail then tests the rows that passed every conjunct
/// written before it, or fewer. Returns each conjunct's index, and its cost per row if it
/// cannot fail (and so can move).
pub(super) fn evaluation_order(
    conjuncts: &[Arc<dyn PhysicalExpr>],
    schema: &Schema,
) -> Vec<(usize, Option<u32>)> {
    let costs: Vec<Option<u32>> = conjuncts.iter().map(|c| cost(c.as_ref(), schema)).collect();
    let mut movable: Vec<(u32, usize)> = costs
        .iter()
        .enumerate()
        .filter_map(|(i, cost)| cost.map(|cost| (cost, i)))
        .collect();
    movable.sort_unstable();
    let fixed = (0..conjuncts.len()).filter(|&i| costs[i].is_none());
    movable
        .into_iter()
        .map(|(cost, i)| (i, Some(cost)))
        .chain(fixed.map(|i| (i, None)))
        .collect()
}

/// A rough cost per row of testing `expr` (a comparison of two numbers costs 1), or `None` if
/// it may fail on some rows and not on others. Only columns, literals, comparisons, `AND` /
/// `OR` / `NOT`, `IN` lists, `LIKE` (and [`OrderedSubstrings`]), null tests and `TRY_CAST` are
/// known not to fail; arithmetic (overflow, division by zero), casts and functions may.
fn cost(expr: &dyn PhysicalExpr, schema: &Schema) -> Option<u32> {
    let own = if expr.is::<Column>() || expr.is::<Literal>() {
        0
    } else if let Some(binary) = expr.downcast_ref::<BinaryExpr>() {
        match *binary.op() {
            op if is_comparison(op) => {
                if fixed_width(binary.left().as_ref(), schema) {
                    1
                } else {
                    4
                }
            }
            Operator::And | Operator::Or => 1,
            _ => return None,
        }
    } else if let Some(list) = expr.downcast_ref::<InListExpr>() {
        if fixed_width(list.expr().as_ref(), schema) {
            2
        } else {
            6
        }
    } else if expr.is::<LikeExpr>() {
        8
    } else if expr.is::<OrderedSubstrings>() {
        6
    } else if expr.is::<TryCastExpr>() {
        4
    } else if expr.is::<IsNullExpr>() || expr.is::<IsNotNullExpr>() || expr.is::<NotExpr>() {
        1
    } else {
        return None;
    };
    expr.children()
        .iter()
        .try_fold(own, |sum, child| Some(sum + cost(child.as_ref(), schema)?))
}

/// Whether `expr`'s values are numbers, dates, times or booleans: compared in a few
/// instructions, where strings and nested values take a loop each.
fn fixed_width(expr: &dyn PhysicalExpr, schema: &Schema) -> bool {
    expr.data_type(schema)
        .is_ok_and(|data_type| data_type.is_primitive() || matches!(data_type, DataType::Boolean))
}

#[cfg(test)]
mod tests {
    use arrow::datatypes::Field;
    use datafusion::physical_expr::expressions::{binary, col, in_list, lit};

    use super::*;

    #[test]
    fn cheap_conjuncts_go_first_and_fallible_ones_keep_their_place_behind()
    -> datafusion::error::Result<()> {
        let schema = Schema::new(vec![
            Field::new("x", DataType::Int64, false),
            Field::new("y", DataType::Int64, false),
            Field::new("s", DataType::Utf8View, false),
        ]);
        let x = col("x", &schema)?;
        let y = col("y", &schema)?;
        let s = col("s", &schema)?;
        let conjuncts = vec![
            in_list(s.clone(), vec![lit("MAIL"), lit("SHIP")], &false, &schema)?,
            binary(
                binary(lit(10i64), Operator::Divide, x.clone(), &schema)?,
                Operator::Gt,
                lit(1i64),
                &schema,
            )?,
            binary(s, Operator::NotEq, lit("AIR"), &schema)?,
            binary(x.clone(), Operator::Lt, y, &schema)?,
            binary(x, Operator::GtEq, lit(3i64), &schema)?,
        ];
        let order = evaluation_order(&conjuncts, &schema);
        // Numbers, then a string comparison, then the `IN` list of strings; the division last.
        assert_eq!(
            order,
            vec![
                (3, Some(1)),
                (4, Some(1)),
                (2, Some(4)),
                (0, Some(6)),
                (1, None)
            ]
        );
        Ok(())
    }
}
