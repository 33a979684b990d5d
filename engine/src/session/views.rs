//! Planning a stored view inside the statement that reads it: in a copy of the engine's
//! session whose unqualified names resolve where the view was created, with what the view
//! reads loaded into the running statement's reads (keyed by the tables as the view resolves
//! them, so they never mix with the statement's own).

use std::sync::Weak;

use async_trait::async_trait;
use datafusion::execution::session_state::SessionState;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use parking_lot::RwLock;

use super::Preparation;
use crate::catalog::ViewPlanner;
use crate::delta::within_a_statement;
use crate::error::{EngineError, Result};
use crate::sql::parse_statement;

#[derive(Debug)]
pub(crate) struct StatementViews {
    /// The engine's session; weak, as the session owns the catalog that owns this.
    session: Weak<RwLock<SessionState>>,
    preparation: std::sync::Arc<Preparation>,
}

impl StatementViews {
    pub(crate) fn new(
        session: Weak<RwLock<SessionState>>,
        preparation: std::sync::Arc<Preparation>,
    ) -> Self {
        Self {
            session,
            preparation,
        }
    }
}

#[async_trait]
impl ViewPlanner for StatementViews {
    async fn plan(&self, sql: &str, catalog: &str, default_schema: &str) -> Result<LogicalPlan> {
        let Some(session) = self.session.upgrade() else {
            return Err(EngineError::Config("the engine is closing".to_string()));
        };
        let mut state = session.read().clone();
        let names = &mut state.config_mut().options_mut().catalog;
        names.default_catalog = catalog.to_string();
        names.default_schema = default_schema.to_string();
        let ctx = SessionContext::new_with_state(state);
        let state = ctx.state();
        let statement = parse_statement(&state, sql)?;
        within_a_statement(async {
            let prepared = self
                .preparation
                .prepare(&ctx, &state, None, statement)
                .await?;
            Ok(state.statement_to_plan(prepared.statement).await?)
        })
        .await
    }
}
