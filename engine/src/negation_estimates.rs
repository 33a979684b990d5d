//! How many rows a filter of negations keeps, as the planner estimates it.
//!
//! DataFusion estimates a filter it cannot analyse (a `LIKE`, an `IN` list, a function) to keep
//! `datafusion.optimizer.default_filter_selectivity` of its rows, 20% by default, and gives its
//! negation the same 20%: `o_comment NOT LIKE '%special%requests%'`, which keeps 99% of TPC-H's
//! orders, is reckoned as selective as the `LIKE`. Q13 at SF 10 then built its join's hash
//! table from 15 M orders, 10 per customer, to probe it with 1.5 M customers: 2 s of the
//! query's 2.2 s. A negation of what keeps a share `d` keeps `1 - d`; a filter of `k` such
//! negations, `(1 - d)^k`.
//!
//! Only filters made of negations alone (`NOT LIKE`, `NOT IN`, `NOT`, `<>`) change: any other conjunct keeps DataFusion's
//! estimate, whatever it is, so that plans of queries without negations stay DataFusion's.

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::logical_expr::Operator;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{BinaryExpr, InListExpr, LikeExpr, NotExpr};
use datafusion::physical_expr::intervals::utils::check_support;
use datafusion::physical_expr::split_conjunction;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::filter::{FilterExec, FilterExecBuilder};

/// The physical optimizer rule that sets the estimated selectivity of filters of negations,
/// before the rules that choose joins' build sides and modes read it.
#[derive(Debug, Default)]
pub(crate) struct NegationEstimates;

impl PhysicalOptimizerRule for NegationEstimates {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let default = config.optimizer.default_filter_selectivity;
        plan.transform_up(|node| {
            let Some(filter) = node.downcast_ref::<FilterExec>() else {
                return Ok(Transformed::no(node));
            };
            let input = filter.input().schema();
            // A filter DataFusion can analyse has its own estimate; one whose default a user
            // or another rule set is left as it is.
            if check_support(filter.predicate(), &input) || filter.default_selectivity() != default
            {
                return Ok(Transformed::no(node));
            }
            let conjuncts = split_conjunction(filter.predicate());
            if !conjuncts
                .iter()
                .all(|conjunct| is_negation(conjunct.as_ref()))
            {
                return Ok(Transformed::no(node));
            }
            let kept = 1.0 - f64::from(default) / 100.0;
            let percent = (kept.powi(conjuncts.len() as i32) * 100.0).round() as u8;
            let estimated = FilterExecBuilder::from(filter)
                .with_default_selectivity(percent.clamp(1, 100))
                .build()?;
            Ok(Transformed::yes(
                Arc::new(estimated) as Arc<dyn ExecutionPlan>
            ))
        })
        .data()
    }

    fn name(&self) -> &str {
        "negation_estimates"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// `NOT LIKE`, `NOT IN (...)`, `NOT (...)` or `<>` (DataFusion writes a short `NOT IN` list as
/// `<>`s).
fn is_negation(expr: &dyn PhysicalExpr) -> bool {
    if let Some(binary) = expr.downcast_ref::<BinaryExpr>() {
        return matches!(binary.op(), Operator::NotEq | Operator::IsDistinctFrom);
    }
    if let Some(like) = expr.downcast_ref::<LikeExpr>() {
        return like.negated();
    }
    if let Some(list) = expr.downcast_ref::<InListExpr>() {
        return list.negated();
    }
    expr.is::<NotExpr>()
}
