//! A hash join whose one side is small beside the other builds from that side whole, on one
//! hash table that every partition of the other side probes.
//!
//! DataFusion chooses between its two modes from the build side's size alone: under 1 MB or
//! 128 K rows it collects the build side whole (`CollectLeft`); above, it partitions both sides
//! by the join key (`Partitioned`), which sends every row of both sides through a repartition
//! (hashing, copying, a channel). TPC-H at SF 10 joins lineitem's 60 M rows with a year of
//! orders (2.3 M, Q05) or a part's suppliers (Q20), and repartitioned all of lineitem for it.
//!
//! The trade, with `n` partitions, a build side of `B` rows and a probe side of `P`:
//! collecting builds `B` rows on one thread; partitioning moves `B + P` rows and builds `B`, all
//! spread over `n` threads. If building a row costs `c` times moving one, collecting pays when
//! `P > ((n - 1) c - 1) B`. This rule takes `c = 2`: on 2 cores a side is collected when it is
//! the smaller, on 8 when it is under a thirteenth. `c` is a guess checked on TPC-H only: at
//! SF 10 on 2 cores, Q20 runs 1.6 times faster and Q08 1.2 times; `c = 1.5` also collected
//! Q13's 1.5 M orders to probe with 150 K customers (DataFusion's estimate of them was 5 times
//! too small), which made Q13 1.2 times slower.

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::joins::{HashJoinExec, PartitionMode};
use datafusion::physical_plan::statistics::{StatisticsArgs, StatisticsContext};

/// The most rows a join collects whole into one hash table, built by one thread.
const MAX_COLLECTED_ROWS: usize = 4_000_000;

/// The most bytes a join collects whole (its estimate, as DataFusion reckons it).
const MAX_COLLECTED_BYTES: usize = 256 * 1024 * 1024;

/// How many times more rows the larger side must have, with `partitions` partitions, for
/// collecting the smaller to pay (see the module's documentation).
fn size_ratio(partitions: usize) -> usize {
    (2 * partitions).saturating_sub(3).max(1)
}

/// The physical optimizer rule that sets, before DataFusion's `JoinSelection`, the mode of each
/// hash join whose sides' sizes are known and far apart. `JoinSelection` keeps a mode it is
/// given, and still puts the smaller side on the build side.
#[derive(Debug, Default)]
pub(crate) struct CollectSmallSides;

impl PhysicalOptimizerRule for CollectSmallSides {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if partitioned_joins_asked(config) {
            return Ok(plan);
        }
        plan.transform_up(|node| {
            let Some(join) = node.downcast_ref::<HashJoinExec>() else {
                return Ok(Transformed::no(node));
            };
            if *join.partition_mode() != PartitionMode::Auto || !small_side_collects(join, config)?
            {
                return Ok(Transformed::no(node));
            }
            let collected = join
                .builder()
                .with_partition_mode(PartitionMode::CollectLeft)
                .build()?;
            Ok(Transformed::yes(
                Arc::new(collected) as Arc<dyn ExecutionPlan>
            ))
        })
        .data()
    }

    fn name(&self) -> &str {
        "collect_small_sides"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// Whether the join's smaller side, as `JoinSelection` will see it, can be its build side and
/// is within the limits and small enough beside the other side's rows ([`size_ratio`]). Unknown sizes answer
/// no, leaving the choice to DataFusion.
fn small_side_collects(join: &HashJoinExec, config: &ConfigOptions) -> Result<bool> {
    // A fresh context each time: its cache is keyed by the addresses of plan nodes, which the
    // rewrite of joins frees and may reuse.
    let statistics = StatisticsContext::new();
    let args = StatisticsArgs::new();
    let left = statistics.compute(join.left().as_ref(), &args)?;
    let right = statistics.compute(join.right().as_ref(), &args)?;
    let (Some(&left_rows), Some(&right_rows)) =
        (left.num_rows.get_value(), right.num_rows.get_value())
    else {
        return Ok(false);
    };
    // `JoinSelection` builds from the side of fewer bytes (of fewer rows when bytes are
    // unknown), swapping the sides where the join and the settings allow it.
    let right_smaller = match (
        left.total_byte_size.get_value(),
        right.total_byte_size.get_value(),
    ) {
        (Some(left_bytes), Some(right_bytes)) => right_bytes < left_bytes,
        _ => right_rows < left_rows,
    };
    let swappable =
        config.optimizer.join_reordering && join.join_type().supports_swap() && !join.null_aware;
    if right_smaller && !swappable {
        return Ok(false);
    }
    let (small, small_rows, large_rows) = if right_smaller {
        (&right, right_rows, left_rows)
    } else {
        (&left, left_rows, right_rows)
    };
    let small_bytes = small.total_byte_size.get_value().copied().unwrap_or(0);
    Ok(collects(small_rows, small_bytes, large_rows, config))
}

/// Whether the user asked for partitioned joins, setting a threshold of DataFusion's to 0.
fn partitioned_joins_asked(config: &ConfigOptions) -> bool {
    config.optimizer.hash_join_single_partition_threshold == 0
        || config.optimizer.hash_join_single_partition_threshold_rows == 0
}

/// Whether a join collects a build side of `small_rows` (`small_bytes`) whole to probe it with
/// `large_rows`: within the limits, and small enough beside the other side ([`size_ratio`]),
/// unless the user asked for partitioned joins.
pub(crate) fn collects(
    small_rows: usize,
    small_bytes: usize,
    large_rows: usize,
    config: &ConfigOptions,
) -> bool {
    !partitioned_joins_asked(config)
        && small_rows <= MAX_COLLECTED_ROWS
        && small_bytes <= MAX_COLLECTED_BYTES
        && small_rows.saturating_mul(size_ratio(config.execution.target_partitions)) <= large_rows
}
