//! Rules that rewrite some nodes of a physical plan and keep the rest as they are.

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::error::Result;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::filter::{FilterExec, FilterExecBuilder};

/// `plan` with each node `rewrite` gives a new one for replaced, children first.
pub(crate) fn rewrite_nodes(
    plan: Arc<dyn ExecutionPlan>,
    rewrite: impl Fn(&Arc<dyn ExecutionPlan>) -> Result<Option<Arc<dyn ExecutionPlan>>>,
) -> Result<Arc<dyn ExecutionPlan>> {
    plan.transform_up(|node| {
        Ok(match rewrite(&node)? {
            Some(rewritten) => Transformed::yes(rewritten),
            None => Transformed::no(node),
        })
    })
    .data()
}

/// `plan` with the predicate of each filter `rewrite` gives a new one for replaced; the filter
/// keeps everything else (input, projection, fetch, batch size, selectivity).
pub(crate) fn rewrite_filter_predicates(
    plan: Arc<dyn ExecutionPlan>,
    rewrite: impl Fn(&FilterExec) -> Result<Option<Arc<dyn PhysicalExpr>>>,
) -> Result<Arc<dyn ExecutionPlan>> {
    rewrite_nodes(plan, |node| {
        let Some(filter) = node.downcast_ref::<FilterExec>() else {
            return Ok(None);
        };
        let Some(predicate) = rewrite(filter)? else {
            return Ok(None);
        };
        let filter = FilterExecBuilder::from(filter)
            .with_predicate(predicate)
            .build()?;
        Ok(Some(Arc::new(filter) as Arc<dyn ExecutionPlan>))
    })
}
