//! `EXPLAIN` on a coordinator shows the plan as it runs: datafusion-distributed distributes the
//! plans of queries (and of `EXPLAIN ANALYZE`), but an `EXPLAIN` would show the plan of one
//! machine. This planner plans the explained query as it would run and shows its stages in
//! place of that physical plan.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::display::{PlanType, StringifiedPlan};
use datafusion::error::Result;
use datafusion::execution::context::QueryPlanner;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::explain::ExplainExec;
use datafusion_distributed::{DistributedExec, display_plan_ascii};

#[derive(Debug)]
pub(crate) struct ExplainStages {
    /// The distributed planner.
    pub(crate) inner: Arc<dyn QueryPlanner + Send + Sync>,
}

#[async_trait]
impl QueryPlanner for ExplainStages {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session: &dyn Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let plan = self
            .inner
            .create_physical_plan(logical_plan, session)
            .await?;
        let (LogicalPlan::Explain(explain), Some(shown)) =
            (logical_plan, plan.downcast_ref::<ExplainExec>())
        else {
            return Ok(plan);
        };
        let running = self
            .inner
            .create_physical_plan(&explain.plan, session)
            .await?;
        if !running.is::<DistributedExec>() {
            return Ok(plan);
        }
        let stages = Arc::new(display_plan_ascii(running.as_ref(), false));
        let plans = shown
            .stringified_plans()
            .iter()
            .map(|shown| match shown.plan_type {
                PlanType::FinalPhysicalPlan => StringifiedPlan {
                    plan_type: PlanType::FinalPhysicalPlan,
                    plan: stages.clone(),
                },
                _ => shown.clone(),
            })
            .collect();
        Ok(Arc::new(ExplainExec::new(
            shown.schema(),
            plans,
            shown.verbose(),
        )))
    }
}
