//! How many rows a join on several keys makes, estimated with its keys taken together.
//!
//! DataFusion estimates an inner join of `L` and `R` rows at `L × R / d`, where `d` is the
//! larger number of distinct values of one key column, whichever side has it. For a join on
//! several columns the key of a row is the tuple of them, which has more distinct values than
//! any one column: TPC-H Q09 joins `partsupp` on `(ps_partkey, ps_suppkey)`, its primary key,
//! and at SF 10 DataFusion reckons 48 M rows out of it where 3.3 M come. The join above then
//! built its hash table from all 15 M orders instead of from those rows (1.0 s of building at
//! SF 10, against 0.25 s).
//!
//! A tuple has at most as many distinct values as the product of its columns' and as the rows
//! of its side. With that bound the estimate is `L × R / max(d_L, d_R)` for the tuples' counts
//! `d_L` and `d_R` (the bound DataFusion's change #24437 proposed). It is used for one choice
//! only, after DataFusion's `JoinSelection`: which side of a partitioned inner hash join above
//! such a join builds the hash table, and then whether that side is collected whole
//! (`join_mode.rs`).

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::common::{ColumnStatistics, JoinType, Statistics};
use datafusion::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::logical_expr::interval_arithmetic::Interval;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::joins::{HashJoinExec, PartitionMode};
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::statistics::{StatisticsArgs, StatisticsContext};

use crate::join_mode::collects;

/// The physical optimizer rule that swaps the sides of a partitioned inner hash join when a
/// side is an inner join on several keys and, estimated with its keys taken together, is the
/// smaller side: the hash table is then built from it. Runs just after `JoinSelection`.
#[derive(Debug, Default)]
pub(crate) struct CompositeKeyEstimates;

impl PhysicalOptimizerRule for CompositeKeyEstimates {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if !config.optimizer.join_reordering {
            return Ok(plan);
        }
        plan.transform_up(|node| {
            let Some(join) = node.downcast_ref::<HashJoinExec>() else {
                return Ok(Transformed::no(node));
            };
            // A build side collected whole is small enough to build before the other side
            // streams through: TPC-H Q09 at SF 1 collects its 1.5 M orders, and building from
            // the join instead made it 1.1 times slower.
            if *join.join_type() != JoinType::Inner
                || join.null_aware
                || *join.partition_mode() != PartitionMode::Partitioned
            {
                return Ok(Transformed::no(node));
            }
            let Some(new_build) = larger_build_side(join)? else {
                return Ok(Transformed::no(node));
            };
            // The new build side is collected whole if `CollectSmallSides` would collect it
            // (by rows: a join's estimate has no size in bytes).
            let mode = if collects(new_build.rows, 0, new_build.other_rows, config) {
                PartitionMode::CollectLeft
            } else {
                PartitionMode::Partitioned
            };
            Ok(Transformed::yes(join.swap_inputs(mode)?))
        })
        .data()
    }

    fn name(&self) -> &str {
        "composite_key_estimates"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// The sizes of `join`'s probe side, when it should build from it: when one of its sides is a
/// join on several keys whose rows are estimated with [`composite_key_rows`], and its build
/// side has more rows. Unknown sizes answer `None`.
fn larger_build_side(join: &HashJoinExec) -> Result<Option<NewBuild>> {
    let (build, build_composite) = estimated_rows(join.left())?;
    let (probe, probe_composite) = estimated_rows(join.right())?;
    Ok(match (build, probe) {
        (Some(build), Some(probe)) if (build_composite || probe_composite) && probe < build => {
            Some(NewBuild {
                rows: probe,
                other_rows: build,
            })
        }
        _ => None,
    })
}

/// The estimated rows of a join's side that is to become its build side, and of the other.
struct NewBuild {
    rows: usize,
    other_rows: usize,
}

/// The rows `plan` makes, and whether they were estimated with its keys taken together (a
/// join on several keys, under projections).
fn estimated_rows(plan: &Arc<dyn ExecutionPlan>) -> Result<(Option<usize>, bool)> {
    let mut node = plan;
    while let Some(projection) = node.downcast_ref::<ProjectionExec>() {
        node = projection.input();
    }
    if let Some(rows) = node
        .downcast_ref::<HashJoinExec>()
        .map(composite_key_rows)
        .transpose()?
        .flatten()
    {
        return Ok((Some(rows), true));
    }
    let statistics = StatisticsContext::new().compute(plan.as_ref(), &StatisticsArgs::new())?;
    Ok((statistics.num_rows.get_value().copied(), false))
}

/// The rows of `join`, an inner join on several keys that are columns, estimated with its keys
/// taken together; `None` for any other join, or without the sides' sizes and the keys'
/// distinct counts or bounds.
fn composite_key_rows(join: &HashJoinExec) -> Result<Option<usize>> {
    if join.on().len() < 2 || *join.join_type() != JoinType::Inner {
        return Ok(None);
    }
    let statistics = StatisticsContext::new();
    let args = StatisticsArgs::new();
    let sides = [
        statistics.compute(join.left().as_ref(), &args)?,
        statistics.compute(join.right().as_ref(), &args)?,
    ];
    let mut tuples = [0usize; 2];
    for (side, stats) in sides.iter().enumerate() {
        let keys = join.on().iter().map(|(left, right)| [left, right][side]);
        let Some(distinct) = tuple_distinct(stats, keys) else {
            return Ok(None);
        };
        tuples[side] = distinct;
    }
    let [Some(&left_rows), Some(&right_rows)] = [0, 1].map(|side| sides[side].num_rows.get_value())
    else {
        return Ok(None);
    };
    let divisor = tuples[0].max(tuples[1]).max(1) as u128;
    let rows = left_rows as u128 * right_rows as u128 / divisor;
    Ok(Some(usize::try_from(rows).unwrap_or(usize::MAX)))
}

/// The distinct values of the tuples of `keys` on a side with `stats`: at most the product of
/// each key's, and at most the side's rows.
fn tuple_distinct<'a>(
    stats: &Statistics,
    keys: impl Iterator<Item = &'a Arc<dyn PhysicalExpr>>,
) -> Option<usize> {
    let rows = *stats.num_rows.get_value()?;
    let mut product = 1usize;
    for key in keys {
        let column = key.downcast_ref::<Column>()?;
        let distinct = column_distinct(stats.column_statistics.get(column.index())?, rows)?;
        product = product.saturating_mul(distinct);
    }
    Some(product.min(rows))
}

/// A column's distinct values: its count if known, else the values between its bounds (for
/// integers and dates), at most `rows`.
fn column_distinct(stats: &ColumnStatistics, rows: usize) -> Option<usize> {
    if let Some(&distinct) = stats.distinct_count.get_value() {
        return Some(distinct.min(rows));
    }
    let bounds = Interval::try_new(
        stats.min_value.get_value()?.clone(),
        stats.max_value.get_value()?.clone(),
    )
    .ok()?;
    let values = usize::try_from(bounds.cardinality()?).unwrap_or(usize::MAX);
    Some(values.min(rows))
}
