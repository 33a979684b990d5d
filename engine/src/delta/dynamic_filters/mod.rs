//! Dynamic filters applied to the rows of a Delta scan, batch by batch, while they pay.
//!
//! A hash join that has built its table knows which keys can match; DataFusion hands that
//! knowledge (a "dynamic filter": the keys' bounds and the keys themselves) down to the scan
//! of the other side. With the session's row filters off, as they are by default, and as they
//! must be for speed (see `parquet_scan.rs`), the Parquet reader uses it only to skip row
//! groups by their bounds, and every row reaches the join. TPC-H Q18 at SF 10 then joins all
//! 60 M lineitem rows with all 15 M orders, to keep a few hundred orders: 18.9 s, where the
//! same query with the filter applied to rows takes 4.3 s.
//!
//! [`DynamicFiltersExec`] sits on the Parquet scan and applies the dynamic filters to whole
//! batches (vectorized, as a `FilterExec` does), not through the reader's row selection. Which
//! filters pay is decided twice: when planning, by [`ApplyDynamicFilters`] (not the filter of a
//! join that reads the scan itself, unless as a bitmap of its keys), and while reading, by the
//! [`judge`] (not a filter that keeps nearly every row, nor a lookup in a join's hash table
//! that keeps more than a few). Batches read before a join above has built its filter wait for
//! it (`exec.rs`, `HOLD_BYTES`), rather than pass untested. A join on one integer key collects
//! the keys of its build side into a bitmap, which scans test instead (`build_keys.rs`).

mod across_keys;
mod build_keys;
mod exec;
mod judge;
mod one_list;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::execution_plan::replace_children_if_necessary;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::joins::HashJoinExec;
use datafusion::physical_plan::recursive_query::RecursiveQueryExec;

pub(crate) use self::across_keys::TransitiveDynamicFilters;
use self::build_keys::{KeysByFilter, collected_by_joins};
use self::exec::DynamicFiltersExec;
use self::judge::FilterSource;

/// Operators that pass rows on without work worth saving: a filter from the first join above
/// them is not applied under them (see [`ApplyDynamicFilters`]).
pub(in crate::delta) const PASS_ROWS_ON: &[&str] = &[
    "CoalesceBatchesExec",
    "CoalescePartitionsExec",
    "CooperativeExec",
    "DeltaScanExec",
    "FilterExec",
    "LimitGuardExec",
    "ProjectionExec",
    "RepartitionExec",
];

/// The physical optimizer rule that puts a [`DynamicFiltersExec`] on every Parquet scan that
/// received dynamic filters and does not apply them to rows itself. Runs after DataFusion's
/// own rules, once the filters have been pushed down.
///
/// A filter from the first join above the scan, with nothing but [`PASS_ROWS_ON`] between
/// them, is left out: the join looks each row's key up in the same hash table, so filtering
/// first would only do that work twice (TPC-H Q04: 40% slower). A filter pays when the rows
/// it drops would have gone through other joins or an aggregate first (Q18's orders, Q17's
/// lineitem). The first join's filter is applied only when its keys make a bitmap, far
/// cheaper than the join's lookup (`build_keys.rs`).
#[derive(Debug, Default)]
pub(crate) struct ApplyDynamicFilters;

impl PhysicalOptimizerRule for ApplyDynamicFilters {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        // A recursive query runs its recursive term again for each round, after resetting the
        // joins in it but not the filters they handed down: DataFusion does not support dynamic
        // filters in plans executed again. Applied to rows, a filter of the first round would
        // drop the rows of the next (or wait for a join that no longer sets it).
        if plan.exists(|node| Ok(node.is::<RecursiveQueryExec>()))? {
            return Ok(plan);
        }
        // With row filters on, the reader applies the filters itself, and knows no bitmaps.
        let (plan, build_keys) = if config.execution.parquet.pushdown_filters {
            (plan, HashMap::new())
        } else {
            collected_by_joins(plan)?
        };
        let producers = FilterProducers {
            joins: filters_of_joins(&plan)?,
            build_keys,
        };
        apply_under(plan, None, &producers)
    }

    fn name(&self) -> &str {
        "apply_dynamic_filters"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// The ids of the dynamic filters the hash joins of `plan` produce.
fn filters_of_joins(plan: &Arc<dyn ExecutionPlan>) -> Result<HashSet<u64>> {
    let mut ids = HashSet::new();
    plan.apply(|node| {
        if let Some(join) = node.downcast_ref::<HashJoinExec>() {
            ids.extend(
                join.dynamic_expressions_produced()
                    .iter()
                    .filter_map(|filter| filter.expression_id()),
            );
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(ids)
}

/// What the plan says of where dynamic filters come from.
#[derive(Debug)]
struct FilterProducers {
    /// The ids of the filters the plan's hash joins produce.
    joins: HashSet<u64>,
    /// The keys collected from the build sides of joins, by the id of the join's filter.
    build_keys: KeysByFilter,
}

impl FilterProducers {
    /// Where `filter` comes from; `None` if it is the filter of `first_join` (the first join
    /// above the scan) and cannot be a bitmap.
    fn source_of(
        &self,
        filter: &Arc<dyn PhysicalExpr>,
        first_join: Option<u64>,
    ) -> Option<FilterSource> {
        let id = filter.expression_id();
        let build_keys = id.and_then(|id| self.build_keys.get(&id)).cloned();
        let bitmap_only = id.is_some() && id == first_join;
        if bitmap_only && build_keys.is_none() {
            return None;
        }
        Some(FilterSource {
            from_join: id.is_some_and(|id| self.joins.contains(&id)),
            build_keys,
            bitmap_only,
        })
    }
}

/// `plan` with its scans' dynamic filters applied, the filter of `first_join` (the identity of
/// the filter of the first join above `plan`, if only [`PASS_ROWS_ON`] are between) only as a
/// bitmap.
fn apply_under(
    plan: Arc<dyn ExecutionPlan>,
    first_join: Option<u64>,
    producers: &FilterProducers,
) -> Result<Arc<dyn ExecutionPlan>> {
    // A plan this rule has seen before keeps its filters as they are.
    if plan.downcast_ref::<DynamicFiltersExec>().is_some() {
        return Ok(plan);
    }
    if let Some(filtered) = above_own_filter(&plan, first_join, producers)
        .or_else(|| DynamicFiltersExec::over(&plan, first_join, producers))
    {
        return Ok(filtered);
    }
    let first_join = match plan.downcast_ref::<HashJoinExec>() {
        Some(join) => join
            .dynamic_expressions_produced()
            .first()
            .and_then(|filter| filter.expression_id()),
        None if PASS_ROWS_ON.contains(&plan.name()) => first_join,
        None => None,
    };
    let children = plan
        .children()
        .into_iter()
        .map(|child| apply_under(Arc::clone(child), first_join, producers))
        .collect::<Result<Vec<_>>>()?;
    replace_children_if_necessary(plan, children)
}

/// `plan` with its scan's dynamic filters applied to its output, when it is the scan's own
/// filter (a `FilterExec` on the `DeltaScanExec` of a Parquet scan). That filter compares a few
/// columns with constants, cheaper than a lookup in a join's hash table, and often keeps fewer
/// rows: TPC-H Q20 at SF 10 looked up all 60 M lineitem rows, 0.8 s of compute, where its
/// ship dates keep 9 M.
fn above_own_filter(
    plan: &Arc<dyn ExecutionPlan>,
    first_join: Option<u64>,
    producers: &FilterProducers,
) -> Option<Arc<dyn ExecutionPlan>> {
    plan.downcast_ref::<FilterExec>()?;
    let [delta_scan] = plan.children()[..] else {
        return None;
    };
    let [scan] = delta_scan.children()[..] else {
        return None;
    };
    (delta_scan.name() == "DeltaScanExec")
        .then(|| DynamicFiltersExec::above(plan, scan, first_join, producers))
        .flatten()
}
