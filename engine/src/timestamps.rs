//! Timestamps as Delta and Spark hold them: in microseconds, from the year 1 to the year 9999.
//!
//! DataFusion reads a SQL `TIMESTAMP '...'` literal, and a string compared with a timestamp
//! column, as nanoseconds, which reach only from 1677 to 2262. Slowly changing dimensions mark
//! the current row with `9999-12-31`, so `WHERE valid_to = '9999-12-31'` and
//! `INSERT ... VALUES (TIMESTAMP '9999-12-31 00:00:00')` failed with a cast overflow. Delta
//! timestamps are microseconds (so are Spark's), and so are the literals after this rule: it
//! runs before DataFusion's type coercion and
//! - turns a cast of a string literal to nanoseconds (what `TIMESTAMP '...'` and
//!   `CAST('...' AS TIMESTAMP)` plan to) into a cast to microseconds;
//! - casts a string compared with a timestamp of coarser unit than nanoseconds (`=`, `<`,
//!   `BETWEEN`, `IN`, ...) to that timestamp's own type, so type coercion leaves both sides
//!   alone and file pruning still sees a plain comparison with the column.
//!
//! A string literal that carries sub-microsecond digits loses them, as it would in Spark.

use std::sync::Arc;

use arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, Result};
use datafusion::logical_expr::expr::{Between, InList};
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{BinaryExpr, Cast, Expr, ExprSchemable, LogicalPlan, TryCast};
use datafusion::optimizer::AnalyzerRule;

use crate::operators::is_comparison;

/// The analyzer rule described in the module documentation.
#[derive(Debug, Default)]
pub(crate) struct MicrosecondTimestampLiterals;

impl AnalyzerRule for MicrosecondTimestampLiterals {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|node| {
            let mut schema = merge_schema(&node.inputs());
            if let LogicalPlan::TableScan(scan) = &node {
                schema.merge(&scan.projected_schema);
            }
            let rewritten =
                node.map_expressions(|expr| expr.transform_up(|expr| Ok(rewrite(expr, &schema))))?;
            if rewritten.transformed {
                rewritten.map_data(|node| node.recompute_schema())
            } else {
                Ok(rewritten)
            }
        })
        .map(|rewritten| rewritten.data)
    }

    fn name(&self) -> &str {
        "microsecond_timestamp_literals"
    }
}

/// One expression, its children already rewritten.
fn rewrite(expr: Expr, schema: &DFSchema) -> Transformed<Expr> {
    match expr {
        Expr::Cast(Cast { expr: inner, field }) if is_string_literal(&inner) => {
            match in_microseconds(field.data_type()) {
                Some(target) => Transformed::yes(Expr::Cast(Cast::new(inner, target))),
                None => Transformed::no(Expr::Cast(Cast { expr: inner, field })),
            }
        }
        Expr::TryCast(TryCast { expr: inner, field }) if is_string_literal(&inner) => {
            match in_microseconds(field.data_type()) {
                Some(target) => Transformed::yes(Expr::TryCast(TryCast::new(inner, target))),
                None => Transformed::no(Expr::TryCast(TryCast { expr: inner, field })),
            }
        }
        Expr::BinaryExpr(BinaryExpr { left, op, right }) if is_comparison(op) => {
            let left_type = coarse_timestamp(&left, schema);
            let right_type = coarse_timestamp(&right, schema);
            match (left_type, right_type) {
                (Some(target), None) if is_string(&right, schema) => {
                    Transformed::yes(Expr::BinaryExpr(BinaryExpr {
                        left,
                        op,
                        right: Box::new(Expr::Cast(Cast::new(right, target))),
                    }))
                }
                (None, Some(target)) if is_string(&left, schema) => {
                    Transformed::yes(Expr::BinaryExpr(BinaryExpr {
                        left: Box::new(Expr::Cast(Cast::new(left, target))),
                        op,
                        right,
                    }))
                }
                _ => Transformed::no(Expr::BinaryExpr(BinaryExpr { left, op, right })),
            }
        }
        Expr::Between(Between {
            expr,
            negated,
            low,
            high,
        }) => match coarse_timestamp(&expr, schema) {
            Some(target) => {
                let (low, low_cast) = cast_string(*low, &target, schema);
                let (high, high_cast) = cast_string(*high, &target, schema);
                let between = Expr::Between(Between::new(expr, negated, low.into(), high.into()));
                if low_cast || high_cast {
                    Transformed::yes(between)
                } else {
                    Transformed::no(between)
                }
            }
            None => Transformed::no(Expr::Between(Between::new(expr, negated, low, high))),
        },
        Expr::InList(InList {
            expr,
            list,
            negated,
        }) => match coarse_timestamp(&expr, schema) {
            Some(target) => {
                let mut changed = false;
                let list = list
                    .into_iter()
                    .map(|item| {
                        let (item, cast) = cast_string(item, &target, schema);
                        changed |= cast;
                        item
                    })
                    .collect();
                let in_list = Expr::InList(InList::new(expr, list, negated));
                if changed {
                    Transformed::yes(in_list)
                } else {
                    Transformed::no(in_list)
                }
            }
            None => Transformed::no(Expr::InList(InList::new(expr, list, negated))),
        },
        other => Transformed::no(other),
    }
}

/// `Timestamp(Microsecond, tz)` for a nanosecond timestamp type, else `None`.
fn in_microseconds(data_type: &DataType) -> Option<DataType> {
    match data_type {
        DataType::Timestamp(TimeUnit::Nanosecond, tz) => {
            Some(DataType::Timestamp(TimeUnit::Microsecond, tz.clone()))
        }
        _ => None,
    }
}

/// The type of `expr` when it is a timestamp coarser than nanoseconds (every Delta timestamp).
/// An expression whose type cannot be worked out here is left to DataFusion.
fn coarse_timestamp(expr: &Expr, schema: &DFSchema) -> Option<DataType> {
    match expr.get_type(schema).ok()? {
        DataType::Timestamp(unit, tz) if unit != TimeUnit::Nanosecond => {
            Some(DataType::Timestamp(unit, tz))
        }
        _ => None,
    }
}

fn is_string(expr: &Expr, schema: &DFSchema) -> bool {
    expr.get_type(schema)
        .is_ok_and(|t| matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View))
}

fn is_string_literal(expr: &Expr) -> bool {
    matches!(expr, Expr::Literal(value, _) if matches!(
        value.data_type(),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    ))
}

/// `expr` cast to `target` when it is a string, and whether it was.
fn cast_string(expr: Expr, target: &DataType, schema: &DFSchema) -> (Expr, bool) {
    if is_string(&expr, schema) {
        (Expr::Cast(Cast::new(Box::new(expr), target.clone())), true)
    } else {
        (expr, false)
    }
}

/// DataFusion's analyzer rules with [`MicrosecondTimestampLiterals`] just before type coercion
/// (which would otherwise have cast the strings to nanoseconds already).
pub(crate) fn analyzer_rules() -> Vec<Arc<dyn AnalyzerRule + Send + Sync>> {
    let mut rules = datafusion::optimizer::Analyzer::new().rules;
    let at = rules
        .iter()
        .position(|rule| rule.name() == "type_coercion")
        .unwrap_or(0);
    rules.insert(at, Arc::new(MicrosecondTimestampLiterals));
    rules
}
