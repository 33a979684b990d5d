//! How the catalog plans a stored view. A view's SQL may use everything a statement may (time
//! travel, history, tables by path), so it is planned by the statement layer above, through
//! this trait: the catalog holds one, and never imports that layer.

use async_trait::async_trait;
use datafusion::logical_expr::LogicalPlan;

use crate::error::Result;

#[async_trait]
pub(crate) trait ViewPlanner: std::fmt::Debug + Send + Sync {
    /// The plan of `sql` (a view's `CREATE VIEW` statement), its unqualified names resolving
    /// in `catalog.default_schema`, as part of the running statement.
    async fn plan(&self, sql: &str, catalog: &str, default_schema: &str) -> Result<LogicalPlan>;
}
