//! Rules that change how a filter tests its rows rewrite the predicate of each `FilterExec` and
//! keep everything else of it (input, projection, fetch, batch size, selectivity).

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::error::Result;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::filter::{FilterExec, FilterExecBuilder};

/// `plan` with the predicate of each filter `rewrite` gives a new one for replaced.
pub(crate) fn rewrite_filter_predicates(
    plan: Arc<dyn ExecutionPlan>,
    rewrite: impl Fn(&FilterExec) -> Result<Option<Arc<dyn PhysicalExpr>>>,
) -> Result<Arc<dyn ExecutionPlan>> {
    plan.transform_up(|node| {
        let Some(filter) = node.downcast_ref::<FilterExec>() else {
            return Ok(Transformed::no(node));
        };
        let Some(predicate) = rewrite(filter)? else {
            return Ok(Transformed::no(node));
        };
        let filter = FilterExecBuilder::from(filter)
            .with_predicate(predicate)
            .build()?;
        Ok(Transformed::yes(Arc::new(filter) as Arc<dyn ExecutionPlan>))
    })
    .data()
}
