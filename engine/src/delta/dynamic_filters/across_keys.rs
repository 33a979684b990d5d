//! A join's dynamic filter on a column also holds for every column an inner join below made
//! equal to it, so it is handed to the scans of those columns too.
//!
//! DataFusion pushes a hash join's dynamic filter (the keys its build side holds) down the
//! probe side to the scan of the key's own table, and no further. It does not know that an
//! inner join on the way made other columns equal to the key. TPC-H Q05 joins the five nations
//! of ASIA with the rows of `supplier ⋈ (customer ⋈ orders ⋈ lineitem)`, whose supplier join
//! made `s_nationkey = c_nationkey`: the nations' filter reached the suppliers only, and at
//! SF 10 the orders of all customers (2.28 M) were joined with all 60 M lineitem rows before
//! the supplier join dropped four fifths of them. Copied to `c_nationkey`, the same filter
//! keeps a fifth of the customers at their scan, as DuckDB's plan does.
//!
//! A copy never changes an answer. The filter drops rows its own join would drop; an inner
//! join's output rows have equal keys on both sides, and a null key matches nothing (joins
//! where null equals null are left alone); and a filter travels only through operators that
//! hand rows on unchanged (`PASS_ROWS_ON`) and the two sides of inner hash joins, keys of the
//! same type. Everywhere else it stops.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{JoinType, NullEquality};
use datafusion::config::ConfigOptions;
use datafusion::datasource::physical_plan::{FileSource, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::Result;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::utils::{collect_columns, split_conjunction};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::execution_plan::replace_children_if_necessary;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::filter_pushdown::{
    ChildFilterPushdownResult, ChildPushdownResult, FilterPushdownPhase,
};
use datafusion::physical_plan::joins::HashJoinExec;
use datafusion::physical_plan::projection::ProjectionExec;

use super::PASS_ROWS_ON;

/// The physical optimizer rule that copies dynamic filters across the keys of inner joins
/// into the Parquet scans of the other side (see the module's documentation). Runs after
/// DataFusion has pushed the filters down, before [`super::ApplyDynamicFilters`] applies the
/// scans' filters to their rows.
#[derive(Debug, Default)]
pub(crate) struct TransitiveDynamicFilters;

impl PhysicalOptimizerRule for TransitiveDynamicFilters {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        carry_down(plan, Vec::new(), config)
    }

    fn name(&self) -> &str {
        "transitive_dynamic_filters"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// A dynamic filter on its way down the plan, its columns those of the node it has reached.
struct Carried {
    filter: Arc<dyn PhysicalExpr>,
    /// Copied across a join's keys: new to the scan it reaches, where an original is already
    /// there (DataFusion pushed it).
    copied: bool,
}

impl Carried {
    /// This filter with each of its columns replaced by `replace`'s, copied if `copied`, or
    /// `None` if a column has no replacement.
    fn replaced(&self, replace: impl Fn(&Column) -> Option<Column>, copied: bool) -> Option<Self> {
        let mut complete = true;
        let filter = Arc::clone(&self.filter)
            .transform_up(|expr| {
                let Some(column) = expr.downcast_ref::<Column>() else {
                    return Ok(Transformed::no(expr));
                };
                match replace(column) {
                    Some(new) => Ok(Transformed::yes(Arc::new(new) as Arc<dyn PhysicalExpr>)),
                    None => {
                        complete = false;
                        Ok(Transformed::no(expr))
                    }
                }
            })
            .ok()?
            .data;
        complete.then_some(Self { filter, copied })
    }
}

/// `plan` with the copies among `carried` (filters on its output) and those made below it
/// pushed into its Parquet scans.
fn carry_down(
    plan: Arc<dyn ExecutionPlan>,
    carried: Vec<Carried>,
    config: &ConfigOptions,
) -> Result<Arc<dyn ExecutionPlan>> {
    if let Some(join) = plan.downcast_ref::<HashJoinExec>() {
        let [left, right] = through_join(join, carried);
        let children = vec![
            carry_down(Arc::clone(join.left()), left, config)?,
            carry_down(Arc::clone(join.right()), right, config)?,
        ];
        return replace_children_if_necessary(plan, children);
    }
    if let Some(present) = joins_filtering(&plan) {
        return into_scan(plan, present, carried, config);
    }
    let children = match plan.children()[..] {
        [child] => {
            let carried = through_node(&plan, child, carried);
            vec![carry_down(Arc::clone(child), carried, config)?]
        }
        ref children => children
            .iter()
            .map(|child| carry_down(Arc::clone(child), Vec::new(), config))
            .collect::<Result<_>>()?,
    };
    replace_children_if_necessary(plan, children)
}

/// The filters `carried` to `join`'s output, as they reach its left and right sides: each on
/// the side its columns come from, and copied to the other side when they are all keys of an
/// inner join. The join's own filter goes down its probe (right) side.
fn through_join(join: &HashJoinExec, carried: Vec<Carried>) -> [Vec<Carried>; 2] {
    let own = join
        .dynamic_expressions_produced()
        .into_iter()
        .map(|filter| Carried {
            filter,
            copied: false,
        })
        .collect();
    let mut sides = [Vec::new(), own];
    if *join.join_type() != JoinType::Inner
        || join.null_equality() != NullEquality::NullEqualsNothing
    {
        return sides;
    }
    let schemas = [join.left().schema(), join.right().schema()];
    let left_width = schemas[0].fields().len();
    // An output column's side (0 left, 1 right) and index there.
    let side_of = |output: usize| {
        let joined = match &join.projection {
            Some(projection) => *projection.get(output)?,
            None => output,
        };
        Some(if joined < left_width {
            (0, joined)
        } else {
            (1, joined - left_width)
        })
    };
    // The keys that are columns of the same type on both sides, as [left, right] indices.
    let keys: Vec<[usize; 2]> = join
        .on()
        .iter()
        .filter_map(|(left, right)| {
            let pair = [
                left.downcast_ref::<Column>()?.index(),
                right.downcast_ref::<Column>()?.index(),
            ];
            let [left, right] = [0, 1].map(|side| schemas[side].fields().get(pair[side]));
            (left?.data_type() == right?.data_type()).then_some(pair)
        })
        .collect();
    let column_of = |side: usize, index: usize| {
        let field = schemas[side].fields().get(index)?;
        Some(Column::new(field.name(), index))
    };
    for filter in carried {
        let columns: Option<Vec<(usize, usize)>> = collect_columns(&filter.filter)
            .iter()
            .map(|column| side_of(column.index()))
            .collect();
        let Some(side) = columns.and_then(|columns| one_side(&columns)) else {
            continue;
        };
        let other = 1 - side;
        let across = filter.replaced(
            |column| {
                let (_, index) = side_of(column.index())?;
                let key = keys.iter().find(|key| key[side] == index)?;
                column_of(other, key[other])
            },
            true,
        );
        sides[other].extend(across);
        let copied = filter.copied;
        sides[side].extend(filter.replaced(
            |column| {
                let (_, index) = side_of(column.index())?;
                column_of(side, index)
            },
            copied,
        ));
    }
    sides
}

/// The one side all `columns` (side, index) come from, if they do.
fn one_side(columns: &[(usize, usize)]) -> Option<usize> {
    let (side, _) = *columns.first()?;
    columns
        .iter()
        .all(|(other, _)| *other == side)
        .then_some(side)
}

/// The filters `carried` to `plan`'s output, as they reach its only child: none unless `plan`
/// hands rows on unchanged.
fn through_node(
    plan: &Arc<dyn ExecutionPlan>,
    child: &Arc<dyn ExecutionPlan>,
    carried: Vec<Carried>,
) -> Vec<Carried> {
    if !PASS_ROWS_ON.contains(&plan.name()) {
        return Vec::new();
    }
    let output = plan.schema();
    let input = child.schema();
    let replace = |column: &Column| -> Option<Column> {
        let out = output.fields().get(column.index())?;
        let index = if let Some(projection) = plan.downcast_ref::<ProjectionExec>() {
            projection
                .expr()
                .get(column.index())?
                .expr
                .downcast_ref::<Column>()?
                .index()
        } else if let Some(filter) = plan.downcast_ref::<FilterExec>() {
            match filter.projection() {
                Some(projection) => *projection.get(column.index())?,
                None => column.index(),
            }
        } else if output.fields().len() == input.fields().len() {
            column.index()
        } else {
            // The Delta scan leaves its file column out: the others are found by name, when
            // no other column has it (a join's output can have two `id`s).
            let mut named = input
                .fields()
                .iter()
                .enumerate()
                .filter(|(_, field)| field.name() == out.name());
            match (named.next(), named.next()) {
                (Some((index, _)), None) => index,
                _ => return None,
            }
        };
        let field = input.fields().get(index)?;
        (field.data_type() == out.data_type()).then(|| Column::new(field.name(), index))
    };
    carried
        .into_iter()
        .filter_map(|filter| filter.replaced(replace, filter.copied))
        .collect()
}

/// The joins whose dynamic filters `plan` already applies, by their filters' identities, when
/// it is a Parquet scan.
fn joins_filtering(plan: &Arc<dyn ExecutionPlan>) -> Option<HashSet<u64>> {
    let (_, source) = plan
        .downcast_ref::<DataSourceExec>()
        .and_then(|exec| exec.downcast_to_file_source::<ParquetSource>())?;
    let present = source.filter().map(|predicate| {
        split_conjunction(&predicate)
            .into_iter()
            .filter_map(|conjunct| conjunct.expression_id())
            .collect()
    });
    Some(present.unwrap_or_default())
}

/// `scan` with the copies among `carried` added to its predicate, as DataFusion adds the
/// filters it pushes, but for the filter of a join the scan already applies (`present`: a plan
/// seen before).
fn into_scan(
    scan: Arc<dyn ExecutionPlan>,
    mut present: HashSet<u64>,
    carried: Vec<Carried>,
    config: &ConfigOptions,
) -> Result<Arc<dyn ExecutionPlan>> {
    let copies: Vec<ChildFilterPushdownResult> = carried
        .into_iter()
        .filter(|carried| carried.copied)
        .filter(|carried| {
            carried
                .filter
                .expression_id()
                .is_some_and(|id| present.insert(id))
        })
        .map(|carried| ChildFilterPushdownResult {
            filter: carried.filter,
            child_results: Vec::new(),
        })
        .collect();
    if copies.is_empty() {
        return Ok(scan);
    }
    let pushed = scan.handle_child_pushdown_result(
        FilterPushdownPhase::Post,
        ChildPushdownResult {
            parent_filters: copies,
            self_filters: Vec::new(),
        },
        config,
    )?;
    Ok(pushed.updated_node.unwrap_or(scan))
}
