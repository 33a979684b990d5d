//! A partitioned join's dynamic filter, tested as one list of keys.
//!
//! A hash join whose two sides are split by a hash of the key builds one table per partition,
//! and its dynamic filter routes each row to the keys of its partition:
//! `CASE hash(key) % n WHEN 0 THEN bounds₀ AND key IN (keys₀) WHEN 1 THEN ... ELSE false END`.
//! Applied to whole batches, that CASE hashes every key, splits the batch by partition and
//! merges the answers back: 30% of TPC-H Q17 at SF 1. A key can be among the keys of the
//! partition it routes to only, so `key IN (keys₀, keys₁, ...)` keeps exactly the rows the
//! CASE keeps, with one lookup per row.

use std::sync::Arc;

use arrow::datatypes::Schema;
use datafusion::common::ScalarValue;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::logical_expr::Operator;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{BinaryExpr, CaseExpr, InListExpr, Literal};

/// `filter` with each CASE that routes rows to their partition's list of keys replaced by one
/// list of all the partitions' keys; `filter` itself when it has no such CASE.
pub(super) fn one_list_of_keys(
    filter: Arc<dyn PhysicalExpr>,
    schema: &Schema,
) -> Arc<dyn PhysicalExpr> {
    Arc::clone(&filter)
        .transform_up(|expr| {
            Ok(match all_keys_of(&expr, schema) {
                Some(list) => Transformed::yes(list),
                None => Transformed::no(expr),
            })
        })
        .map_or(filter, |transformed| transformed.data)
}

/// `key IN (every partition's keys)` for a CASE routing rows to a list of keys each, when each
/// of its branches is such a list on the same key (or `false`, an empty partition).
fn all_keys_of(expr: &Arc<dyn PhysicalExpr>, schema: &Schema) -> Option<Arc<dyn PhysicalExpr>> {
    let case = expr.downcast_ref::<CaseExpr>()?;
    // Only a CASE on a routing value: its branches then cover disjoint keys.
    case.expr()?;
    // `ELSE true` stands for a partition whose keys are unknown: no list says it.
    if case.else_expr().is_some_and(|other| !is_false(other)) {
        return None;
    }
    let mut key: Option<&Arc<dyn PhysicalExpr>> = None;
    let mut keys = Vec::new();
    for (_, then) in case.when_then_expr() {
        if is_false(then) {
            continue;
        }
        let list = keys_in(then)?;
        match key {
            None => key = Some(list.expr()),
            Some(key) if key == list.expr() => {}
            Some(_) => return None,
        }
        keys.extend(list.list().iter().cloned());
    }
    let list = InListExpr::try_new(Arc::clone(key?), keys, false, schema).ok()?;
    Some(Arc::new(list))
}

/// The list of a partition's branch, `key IN (...)`, alone or after the keys' bounds: the list
/// alone keeps the same rows, as every key in it is within its bounds.
fn keys_in(then: &Arc<dyn PhysicalExpr>) -> Option<&InListExpr> {
    let list = match then.downcast_ref::<BinaryExpr>() {
        Some(and) if *and.op() == Operator::And => and.right().downcast_ref::<InListExpr>()?,
        Some(_) => return None,
        None => then.downcast_ref::<InListExpr>()?,
    };
    (!list.negated()).then_some(list)
}

fn is_false(expr: &Arc<dyn PhysicalExpr>) -> bool {
    is_boolean(expr, false)
}

/// Whether `expr` is the literal `value`.
pub(super) fn is_boolean(expr: &Arc<dyn PhysicalExpr>, value: bool) -> bool {
    expr.downcast_ref::<Literal>()
        .is_some_and(|literal| literal.value() == &ScalarValue::Boolean(Some(value)))
}
