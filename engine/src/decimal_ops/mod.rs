//! Sums, differences and products of decimals computed without a check per row where a
//! batch's bounds show no row can overflow ([`BoundedDecimalOp`]).
//!
//! TPC-H computes `l_extendedprice * (1 - l_discount)` in nine of its 22 queries, on
//! `DECIMAL(15, 2)` columns; Arrow checks each row's operation for an overflow of 128 bits,
//! which at these precisions can never happen, and spends more time on the checks than on the
//! arithmetic.

mod expr;

use std::sync::Arc;

use arrow::datatypes::Schema;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::BinaryExpr;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::aggregates::AggregateExec;
use datafusion::physical_plan::filter::{FilterExec, FilterExecBuilder};
use datafusion::physical_plan::projection::{ProjectionExec, ProjectionExpr};

use self::expr::BoundedDecimalOp;

/// The physical optimizer rule that computes decimal `+`, `-` and `*` as [`BoundedDecimalOp`]s
/// in projections, filters and the arguments of aggregates.
///
/// It runs after DataFusion's rules, which read arithmetic for statistics, orderings and
/// pushdown, and which a [`BoundedDecimalOp`] would hide from them. The result type is
/// DataFusion's in every case: an operation whose type the two would reckon differently is
/// left alone.
#[derive(Debug, Default)]
pub(crate) struct BoundedDecimalOps;

impl PhysicalOptimizerRule for BoundedDecimalOps {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            if let Some(projection) = node.downcast_ref::<ProjectionExec>() {
                let schema = projection.input().schema();
                let mut changed = false;
                let exprs = projection
                    .expr()
                    .iter()
                    .map(|projected| {
                        let expr = bounded(&projected.expr, &schema)?;
                        changed |= expr.transformed;
                        Ok(ProjectionExpr::new(expr.data, projected.alias.clone()))
                    })
                    .collect::<Result<Vec<_>>>()?;
                if !changed {
                    return Ok(Transformed::no(node));
                }
                let input = Arc::clone(projection.input());
                return Ok(Transformed::yes(Arc::new(ProjectionExec::try_new(
                    exprs, input,
                )?)));
            }
            if let Some(filter) = node.downcast_ref::<FilterExec>() {
                let predicate = bounded(filter.predicate(), &filter.input().schema())?;
                if !predicate.transformed {
                    return Ok(Transformed::no(node));
                }
                let filter = FilterExecBuilder::from(filter)
                    .with_predicate(predicate.data)
                    .build()?;
                return Ok(Transformed::yes(Arc::new(filter)));
            }
            if let Some(aggregate) = node.downcast_ref::<AggregateExec>() {
                let schema = aggregate.input_schema();
                let mut changed = false;
                let mut aggregates = Vec::with_capacity(aggregate.aggr_expr().len());
                for function in aggregate.aggr_expr() {
                    let args = function
                        .expressions()
                        .iter()
                        .map(|arg| {
                            let arg = bounded(arg, &schema)?;
                            changed |= arg.transformed;
                            Ok(arg.data)
                        })
                        .collect::<Result<Vec<_>>>()?;
                    let order_by = function
                        .order_bys()
                        .iter()
                        .map(|sort| Arc::clone(&sort.expr))
                        .collect();
                    match function.with_new_expressions(args, order_by) {
                        Some(rewritten) => aggregates.push(Arc::new(rewritten)),
                        None => return Ok(Transformed::no(node)),
                    }
                }
                if !changed {
                    return Ok(Transformed::no(node));
                }
                return Ok(Transformed::yes(Arc::new(
                    aggregate.with_new_aggr_exprs(aggregates),
                )));
            }
            Ok(Transformed::no(node))
        })
        .data()
    }

    fn name(&self) -> &str {
        "bounded_decimal_ops"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// `expr` with each decimal `+`, `-` and `*` in it bounded.
fn bounded(
    expr: &Arc<dyn PhysicalExpr>,
    schema: &Schema,
) -> Result<Transformed<Arc<dyn PhysicalExpr>>> {
    Arc::clone(expr).transform_up(|node| {
        let Some(binary) = node.downcast_ref::<BinaryExpr>() else {
            return Ok(Transformed::no(node));
        };
        Ok(match BoundedDecimalOp::try_from_binary(binary, schema) {
            Some(bounded) => Transformed::yes(Arc::new(bounded) as Arc<dyn PhysicalExpr>),
            None => Transformed::no(node),
        })
    })
}
