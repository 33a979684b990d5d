//! A hash join with an aggregate's groups joins on their group keys only, and tests the other
//! keys in its filter, so that its dynamic filter reaches below the aggregate.
//!
//! A correlated subquery that compares with an aggregate (`ps_supplycost = (SELECT
//! min(ps_supplycost) ... WHERE ps_partkey = p_partkey)`, TPC-H Q02) becomes a join with the
//! subquery's groups on two keys: the group key and the aggregate's value. The join's dynamic
//! filter (the keys its build side holds) is over both, so it cannot pass the aggregate, which
//! then groups every row of its input: at SF 1, 800 K rows of `partsupp` into 117 K groups, to
//! keep the groups of 460 parts. A filter on the group key alone passes the aggregate (a group
//! is kept or dropped whole) down to the scan.
//!
//! The answer is the same: for inner and semi joins whose keys never match a null, a match is a
//! pair of rows whose keys are all equal and on which the filter holds, whichever of those
//! equalities the hash table tests. The work stays bounded: the aggregate's rows are unique on
//! the keys that remain (all its group keys), so each build row is tested against at most one
//! of them.

use std::sync::Arc;

use arrow::datatypes::Schema;
use datafusion::common::{JoinSide, JoinType, NullEquality};
use datafusion::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::logical_expr::Operator;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{BinaryExpr, Column};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::joins::utils::{ColumnIndex, JoinFilter};
use datafusion::physical_plan::joins::{HashJoinExec, JoinOnRef, PartitionMode};
use datafusion::physical_plan::projection::ProjectionExec;

use crate::plan_rewrites::rewrite_nodes;

/// Operators that hand their input's rows on unchanged, in their input's columns.
const SAME_ROWS: &[&str] = &[
    "CoalesceBatchesExec",
    "CoalescePartitionsExec",
    "CooperativeExec",
    "RepartitionExec",
];

/// The physical optimizer rule (see the module's documentation). Runs once `JoinSelection`
/// has chosen the joins' build sides and modes, before the dynamic filters are made.
#[derive(Debug, Default)]
pub(crate) struct JoinsOnGroupKeys;

impl PhysicalOptimizerRule for JoinsOnGroupKeys {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if !config.optimizer.enable_join_dynamic_filter_pushdown {
            return Ok(plan);
        }
        rewrite_nodes(plan, |node| match node.downcast_ref::<HashJoinExec>() {
            Some(join) => on_group_keys(join),
            None => Ok(None),
        })
    }

    fn name(&self) -> &str {
        "joins_on_group_keys"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// `join` joining on its probe side's group keys only, the other keys moved into its filter;
/// `None` when it does not qualify.
fn on_group_keys(join: &HashJoinExec) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    // Only a collected build side: a partitioned join's sides are partitioned by all its keys.
    if *join.partition_mode() != PartitionMode::CollectLeft
        || join.null_equality() != NullEquality::NullEqualsNothing
        || join.null_aware
        || !matches!(
            join.join_type(),
            JoinType::Inner | JoinType::LeftSemi | JoinType::RightSemi
        )
    {
        return Ok(None);
    }
    let Some(groups) = group_keys(join.right()) else {
        return Ok(None);
    };
    let is_group_key = |expr: &Arc<dyn PhysicalExpr>| {
        expr.downcast_ref::<Column>()
            .and_then(|column| groups.key_of.get(column.index()).copied().flatten())
    };
    let (kept, moved): (Vec<_>, Vec<_>) = join
        .on()
        .iter()
        .cloned()
        .partition(|(_, right)| is_group_key(right).is_some());
    let covers_every_group_key = (0..groups.count).all(|key| {
        kept.iter()
            .any(|(_, right)| is_group_key(right) == Some(key))
    });
    if kept.is_empty() || moved.is_empty() || !covers_every_group_key {
        return Ok(None);
    }
    let Some(filter) = with_equalities(join, &moved) else {
        return Ok(None);
    };
    let rewritten = join
        .builder()
        .with_on(kept)
        .with_filter(Some(filter))
        .build_exec()?;
    Ok(Some(rewritten))
}

/// The rows of a plan as the groups of one aggregate, one row each.
struct Groups {
    /// For each output column, the index of the group key it is.
    key_of: Vec<Option<usize>>,
    /// How many group keys the aggregate has (some may not be among the columns).
    count: usize,
}

/// `plan`'s rows as an aggregate's groups, if they are; `None` otherwise.
fn group_keys(plan: &Arc<dyn ExecutionPlan>) -> Option<Groups> {
    if let Some(aggregate) = plan.downcast_ref::<AggregateExec>() {
        // A partial aggregate may emit a group more than once; grouping sets repeat rows.
        let complete = matches!(
            aggregate.mode(),
            AggregateMode::Final
                | AggregateMode::FinalPartitioned
                | AggregateMode::Single
                | AggregateMode::SinglePartitioned
        );
        let groups = aggregate.group_expr();
        if !complete || !groups.is_single() || groups.expr().is_empty() {
            return None;
        }
        let count = groups.expr().len();
        let columns = plan.schema().fields().len();
        let key_of = (0..columns).map(|index| (index < count).then_some(index));
        return Some(Groups {
            key_of: key_of.collect(),
            count,
        });
    }
    if let Some(projection) = plan.downcast_ref::<ProjectionExec>() {
        let below = group_keys(projection.input())?;
        let key_of = projection.expr().iter().map(|projected| {
            projected
                .expr
                .downcast_ref::<Column>()
                .and_then(|column| below.key_of.get(column.index()).copied().flatten())
        });
        return Some(Groups {
            key_of: key_of.collect(),
            count: below.count,
        });
    }
    if let Some(filter) = plan.downcast_ref::<FilterExec>() {
        let below = group_keys(filter.input())?;
        return Some(match filter.projection() {
            Some(projection) => Groups {
                key_of: projection
                    .iter()
                    .map(|&index| below.key_of.get(index).copied().flatten())
                    .collect(),
                count: below.count,
            },
            None => below,
        });
    }
    match plan.children()[..] {
        [child] if SAME_ROWS.contains(&plan.name()) => group_keys(child),
        _ => None,
    }
}

/// `join`'s filter with an equality for each of `moved` (keys that are columns on both sides,
/// of one type) added; `None` if a key is not such a pair of columns.
fn with_equalities(join: &HashJoinExec, moved: JoinOnRef) -> Option<JoinFilter> {
    let (mut fields, mut indices, mut expression) = match join.filter() {
        Some(filter) => (
            filter.schema().fields().iter().cloned().collect::<Vec<_>>(),
            filter.column_indices().to_vec(),
            Some(Arc::clone(filter.expression())),
        ),
        None => (Vec::new(), Vec::new(), None),
    };
    let (left_schema, right_schema) = (join.left().schema(), join.right().schema());
    for (left, right) in moved {
        let mut side_column = |expr: &Arc<dyn PhysicalExpr>, side: JoinSide| {
            let column = expr.downcast_ref::<Column>()?;
            let schema = match side {
                JoinSide::Left => &left_schema,
                _ => &right_schema,
            };
            let field = Arc::clone(schema.fields().get(column.index())?);
            let data_type = field.data_type().clone();
            let position = fields.len();
            fields.push(field);
            indices.push(ColumnIndex {
                index: column.index(),
                side,
            });
            let column = Arc::new(Column::new(column.name(), position)) as Arc<dyn PhysicalExpr>;
            Some((column, data_type))
        };
        let (left, left_type) = side_column(left, JoinSide::Left)?;
        let (right, right_type) = side_column(right, JoinSide::Right)?;
        // A hash join's keys are of one type; an equality of two types would fail when run.
        if left_type != right_type {
            return None;
        }
        let equal: Arc<dyn PhysicalExpr> = Arc::new(BinaryExpr::new(left, Operator::Eq, right));
        expression = Some(match expression {
            Some(before) => Arc::new(BinaryExpr::new(before, Operator::And, equal)),
            None => equal,
        });
    }
    Some(JoinFilter::new(
        expression?,
        indices,
        Arc::new(Schema::new(fields)),
    ))
}
