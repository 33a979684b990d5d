//! Filters whose predicate is a chain of `AND`s test it as a [`NarrowingAnd`]: conjunct by
//! conjunct, cheapest first, each on the rows the ones before it kept.
//!
//! TPC-H's scans of lineitem (Q06, Q12, Q19 and others) filter on three to five conjuncts.
//! DataFusion 55 tests them in the order written and, between two, copies the whole batch and
//! scatters the answer back row by row (`pre_selection_scatter`, with the slicing under it:
//! 20 to 25% of Q06's time at SF 10). Q12 tests `l_shipmode IN ('MAIL', 'SHIP')` on every
//! row before the receipt-date range that keeps one row in seven.

mod expr;
mod order;

use std::sync::Arc;

use datafusion::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::physical_expr::{PhysicalExpr, split_conjunction};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;

use self::expr::NarrowingAnd;
use crate::plan_rewrites::rewrite_filter_predicates;

/// The physical optimizer rule that gives every `FilterExec` with two conjuncts or more an
/// [`NarrowingAnd`] predicate.
///
/// It runs after DataFusion's rules: they read a filter's conjuncts (for constants,
/// equalities, pushdown and statistics), which a [`NarrowingAnd`] hides from them.
#[derive(Debug, Default)]
pub(crate) struct NarrowingAnds;

impl PhysicalOptimizerRule for NarrowingAnds {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        rewrite_filter_predicates(plan, |filter| {
            let conjuncts: Vec<_> = split_conjunction(filter.predicate())
                .into_iter()
                .cloned()
                .collect();
            if conjuncts.len() < 2 {
                return Ok(None);
            }
            let narrowing = NarrowingAnd::try_new(&conjuncts, filter.input().schema())?;
            Ok(Some(Arc::new(narrowing) as Arc<dyn PhysicalExpr>))
        })
    }

    fn name(&self) -> &str {
        "narrowing_ands"
    }

    fn schema_check(&self) -> bool {
        true
    }
}
