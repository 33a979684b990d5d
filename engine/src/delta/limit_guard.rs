//! Keeps a `LIMIT` above scans that claim to take it but do not.
//!
//! delta-rs 1.1 answers a query that reads only partition columns from the log alone
//! (`DeltaScanMetaExec`). That scan tells DataFusion a limit may be pushed into it, yet it has
//! no way to apply one, so DataFusion's limit pushdown removed the limit and
//! `SELECT currency FROM orders LIMIT 1` returned every row. The guard sits between the two
//! and takes no limit, so the limit stays above it.

use std::fmt;
use std::sync::Arc;

use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::Result;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};

use crate::single_child::single_child;

/// Wraps `scan` when a pushed limit would otherwise be lost: a leaf that accepts limit pushdown
/// but neither holds a fetch nor can take one.
pub(crate) fn keep_limit(
    scan: Arc<dyn ExecutionPlan>,
    limit: Option<usize>,
) -> Arc<dyn ExecutionPlan> {
    let loses_limit = limit.is_some()
        && scan.children().is_empty()
        && scan.supports_limit_pushdown()
        && scan.fetch().is_none()
        && scan.with_fetch(limit).is_none();
    if loses_limit {
        Arc::new(LimitGuardExec { input: scan })
    } else {
        scan
    }
}

/// Passes its input through unchanged; it only refuses limit pushdown.
#[derive(Debug)]
struct LimitGuardExec {
    input: Arc<dyn ExecutionPlan>,
}

impl DisplayAs for LimitGuardExec {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LimitGuardExec")
    }
}

impl ExecutionPlan for LimitGuardExec {
    fn name(&self) -> &str {
        "LimitGuardExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let input = single_child(children, self.name())?;
        Ok(Arc::new(LimitGuardExec { input }))
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        self.input.execute(partition, context)
    }
}
