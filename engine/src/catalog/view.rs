//! Reading a stored view: its `CREATE VIEW` statement is planned anew each time, so the view
//! follows the tables it reads (new versions, new columns) and fails clearly when one is gone.

use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::catalog::view::ViewTable;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{DdlStatement, LogicalPlan};

use super::view_planner::ViewPlanner;

/// How deep views may read other views: deeper is taken for a view that reads itself.
const MAX_VIEW_DEPTH: usize = 32;

tokio::task_local! {
    /// How many views are being planned, one inside the other, in this task.
    static VIEW_DEPTH: usize;
}

/// The view `qualified_name` (`lake.gold.v`) defined by `sql`, planned by `planner` with
/// unqualified names resolving in `catalog.default_schema`.
pub(crate) async fn plan_view(
    planner: &dyn ViewPlanner,
    qualified_name: &str,
    sql: &str,
    catalog: &str,
    default_schema: &str,
) -> Result<Arc<dyn TableProvider>> {
    let cannot = |reason: String| {
        DataFusionError::Plan(format!("view {qualified_name} cannot be read: {reason}"))
    };
    let depth = VIEW_DEPTH.try_with(|depth| *depth).unwrap_or(0);
    if depth >= MAX_VIEW_DEPTH {
        return Err(cannot(format!(
            "views nest more than {MAX_VIEW_DEPTH} deep; does it read itself through other views?"
        )));
    }
    let plan = VIEW_DEPTH
        .scope(depth + 1, planner.plan(sql, catalog, default_schema))
        .await
        .map_err(|e| cannot(e.to_string()))?;
    match plan {
        LogicalPlan::Ddl(DdlStatement::CreateView(view)) => Ok(Arc::new(ViewTable::new(
            Arc::unwrap_or_clone(view.input),
            Some(sql.to_string()),
        ))),
        _ => Err(cannot(
            "its stored definition is not a CREATE VIEW statement".to_string(),
        )),
    }
}
