//! A partitioned join's dynamic filter, tested as one list of keys.
//!
//! A hash join whose two sides are split by a hash of the key builds one table per partition,
//! and its dynamic filter routes each row to the keys of its partition:
//! `CASE hash(key) % n WHEN 0 THEN bounds₀ AND key IN (keys₀) WHEN 1 THEN ... ELSE false END`.
//! Applied to whole batches, that CASE hashes every key, splits the batch by partition and
//! merges the answers back: 30% of TPC-H Q17 at SF 1. A key can be among the keys of the
//! partition it routes to only, so `key IN (keys₀, keys₁, ...)` keeps exactly the rows the
//! CASE keeps, with one lookup per row.
//!
//! A build side too large for lists is tested by a lookup in each partition's hash table
//! instead, routed the same way. There the CASE cost TPC-H Q17 at SF 10 1.25 s of compute of
//! its 1.6 s. The same argument makes the branches `OR`ed, `(bounds₀ AND lookup₀) OR ...`, keep
//! the rows the CASE keeps; each lookup hashes the key again, so this is done for a few
//! partitions only.

use std::sync::Arc;

use arrow::datatypes::Schema;
use datafusion::common::ScalarValue;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::logical_expr::Operator;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{BinaryExpr, CaseExpr, InListExpr, Literal};
use datafusion::physical_plan::joins::HashTableLookupExpr;

/// The most partitions whose lookups are tested one after another rather than routed.
const MAX_LOOKUPS: usize = 4;

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

/// `filter` with each CASE that routes rows to their partition's hash table, over at most
/// [`MAX_LOOKUPS`] partitions, replaced by its branches `OR`ed: each looks the key up in its
/// partition's table.
pub(super) fn lookups_in_any_partition(filter: Arc<dyn PhysicalExpr>) -> Arc<dyn PhysicalExpr> {
    Arc::clone(&filter)
        .transform_up(|expr| {
            Ok(match all_lookups_of(&expr) {
                Some(lookups) => Transformed::yes(lookups),
                None => Transformed::no(expr),
            })
        })
        .map_or(filter, |transformed| transformed.data)
}

/// The CASE's branches as `(bounds₀ AND lookup₀) OR (bounds₁ AND lookup₁) ...`, when each is a
/// lookup, alone or after the keys' bounds, or `false`.
fn all_lookups_of(expr: &Arc<dyn PhysicalExpr>) -> Option<Arc<dyn PhysicalExpr>> {
    let case = routing_case(expr)?;
    if case.when_then_expr().len() > MAX_LOOKUPS {
        return None;
    }
    let mut lookups = Vec::new();
    for (_, then) in case.when_then_expr() {
        if is_false(then) {
            continue;
        }
        let lookup = match then.downcast_ref::<BinaryExpr>() {
            Some(and) if *and.op() == Operator::And => and.right(),
            Some(_) => return None,
            None => then,
        };
        if !lookup.is::<HashTableLookupExpr>() {
            return None;
        }
        // The branch whole: its bounds spare the lookup the rows outside them.
        lookups.push(Arc::clone(then));
    }
    lookups
        .into_iter()
        .reduce(|any, next| Arc::new(BinaryExpr::new(any, Operator::Or, next)))
}

/// `expr` as a CASE on a routing value (its branches then cover disjoint keys) whose rows of
/// no branch are dropped.
fn routing_case(expr: &Arc<dyn PhysicalExpr>) -> Option<&CaseExpr> {
    let case = expr.downcast_ref::<CaseExpr>()?;
    case.expr()?;
    // `ELSE true` stands for a partition whose keys are unknown: no list or lookup says it.
    if case.else_expr().is_some_and(|other| !is_false(other)) {
        return None;
    }
    Some(case)
}

/// `key IN (every partition's keys)` for a CASE routing rows to a list of keys each, when each
/// of its branches is such a list on the same key (or `false`, an empty partition).
fn all_keys_of(expr: &Arc<dyn PhysicalExpr>, schema: &Schema) -> Option<Arc<dyn PhysicalExpr>> {
    let case = routing_case(expr)?;
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
