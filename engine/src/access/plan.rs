//! The policy, checked on a logical plan: every table it scans (by the location and layer its
//! provider reads, and by name), every view's own plan and definition, recursively, and every
//! node that writes or changes settings.

use datafusion::catalog::TableProvider;
use datafusion::catalog::default_table_source::source_as_provider;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::common::TableReference;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::MemTable;
use datafusion::datasource::empty::EmptyTable;
use datafusion::datasource::listing::ListingTable;
use datafusion::execution::session_state::SessionState;
use datafusion::functions_table::generate_series::GenerateSeriesTable;
use std::sync::Arc;

use datafusion::logical_expr::{DdlStatement, DmlStatement, LogicalPlan, Statement, TableSource};

use super::{Policy, Read, Role};
use crate::changes::write_of;
use crate::delta::DeltaTableProvider;
use crate::error::{EngineError, Result};

/// How deep views may nest before the walk gives up (the engine refuses deeper views anyway).
const MAX_DEPTH: usize = 64;

pub(super) fn check(policy: &Policy, state: &SessionState, plan: &LogicalPlan) -> Result<()> {
    Walk {
        policy,
        state: Some(state),
    }
    .plan(plan, 0)
}

/// Checks what the plan of a view reads, with no statement around it: a view only reads.
pub(super) fn check_view(policy: &Policy, view: &LogicalPlan) -> Result<()> {
    Walk {
        policy,
        state: None,
    }
    .plan(view, 0)
}

struct Walk<'a> {
    policy: &'a Policy,
    /// Where the statement's names resolve; none for a view's plan, which names no target.
    state: Option<&'a SessionState>,
}

impl Walk<'_> {
    /// `depth` counts the unexpanded views the walk went through.
    fn plan(&self, plan: &LogicalPlan, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(self.policy.denied(
                "read a view",
                format!("views nest more than {MAX_DEPTH} deep"),
            ));
        }
        let mut outcome = Ok(());
        plan.apply_with_subqueries(|node| {
            outcome = self.node(node, depth);
            Ok(if outcome.is_err() {
                TreeNodeRecursion::Stop
            } else {
                TreeNodeRecursion::Continue
            })
        })?;
        outcome
    }

    fn node(&self, node: &LogicalPlan, depth: usize) -> Result<()> {
        match node {
            LogicalPlan::TableScan(scan) => self.scan(&scan.table_name, &scan.source, depth),
            LogicalPlan::Ddl(ddl) => self.ddl(node, ddl),
            LogicalPlan::Dml(dml) => self.dml(node, dml),
            LogicalPlan::Copy(copy) => self.policy.check_copy_to(&copy.output_url),
            LogicalPlan::Statement(Statement::SetVariable(set)) => {
                self.policy.check_set(&set.variable)
            }
            LogicalPlan::Statement(Statement::ResetVariable(reset)) => {
                self.policy.check_set(&reset.variable)
            }
            _ => Ok(()),
        }
    }

    /// The places a scan reads. Layers are checked by name on the statement's text (see
    /// [`super::Policy::check_statement`]), where names resolve as they were written; here
    /// by location, which no name can disguise.
    fn scan(
        &self,
        name: &TableReference,
        source: &Arc<dyn TableSource>,
        depth: usize,
    ) -> Result<()> {
        if let Some(view) = source.get_logical_plan() {
            // A view DataFusion left unexpanded: what it reads is read too.
            return self.plan(&view, depth + 1);
        }
        if !self.policy.confined() {
            return Ok(());
        }
        match source_as_provider(source) {
            Ok(provider) => self.provider(name, provider.as_ref()),
            // Planning makes every scan's source from a table provider; one that is not cannot
            // be told what it reads.
            Err(_) => Err(self.policy.denied(
                format!("read {name}"),
                "its source is not a table the access policy knows what it reads of",
            )),
        }
    }

    /// The places a table provider reads. A kind of table the policy does not know is refused:
    /// what it reads cannot be checked, and a new kind (a table function of a new DataFusion,
    /// say) must not read past the policy unseen.
    fn provider(&self, name: &TableReference, provider: &dyn TableProvider) -> Result<()> {
        if let Some(delta) = provider.downcast_ref::<DeltaTableProvider>() {
            // A change feed holds no table; its target was checked with the statement's
            // references.
            if let Some(table) = delta.table() {
                self.policy
                    .check_read(table.table_url().as_str(), Read::TableRoot)?;
            }
            return Ok(());
        }
        if let Some(listing) = provider.downcast_ref::<ListingTable>() {
            for path in listing.table_paths() {
                self.policy.check_read(path.as_str(), Read::Files)?;
            }
            return Ok(());
        }
        if reads_no_place(provider) {
            return Ok(());
        }
        Err(self.policy.denied(
            format!("read {name}"),
            "it is of a kind the access policy does not know what it reads of",
        ))
    }

    fn ddl(&self, ddl_node: &LogicalPlan, ddl: &DdlStatement) -> Result<()> {
        let kind = write_of(ddl_node).unwrap_or("change the catalog");
        let name = match ddl {
            DdlStatement::CreateExternalTable(create) => Some(&create.name),
            DdlStatement::CreateMemoryTable(create) => Some(&create.name),
            DdlStatement::CreateView(create) => Some(&create.name),
            DdlStatement::DropTable(drop) => Some(&drop.name),
            DdlStatement::DropView(drop) => Some(&drop.name),
            _ => None,
        };
        let what = match name {
            Some(name) => format!("{kind} {name}"),
            None => kind.to_string(),
        };
        self.policy.require(Role::Writer, &what)?;
        if let DdlStatement::CreateExternalTable(create) = ddl {
            let read = if create.file_type.eq_ignore_ascii_case("delta") {
                Read::TableRoot
            } else {
                Read::Files
            };
            for location in &create.locations {
                self.policy.check_read(location, read)?;
            }
        }
        if matches!(
            ddl,
            DdlStatement::CreateCatalog(_)
                | DdlStatement::CreateFunction(_)
                | DdlStatement::DropFunction(_)
        ) {
            self.policy.require(Role::Admin, &what)?;
        }
        match (name, self.state) {
            (Some(name), Some(state)) => self.policy.check_layer_of(state, name, &what),
            (Some(_), None) => Err(self.policy.denied(what, "a view only reads")),
            (None, _) => Ok(()),
        }
    }

    /// A write goes into a Delta table of the lake (or a table held in memory), never into
    /// files elsewhere.
    fn dml(&self, dml_node: &LogicalPlan, dml: &DmlStatement) -> Result<()> {
        let what = format!(
            "{} {}",
            write_of(dml_node).unwrap_or("write"),
            dml.table_name
        );
        self.policy.require(Role::Writer, &what)?;
        let Some(state) = self.state else {
            return Err(self.policy.denied(what, "a view only reads"));
        };
        self.policy.check_layer_of(state, &dml.table_name, &what)?;
        let provider = source_as_provider(&dml.target).map_err(EngineError::Query)?;
        if let Some(delta) = provider.downcast_ref::<DeltaTableProvider>()
            && let Some(table) = delta.table()
        {
            return self
                .policy
                .check_lake_write(table.table_url().as_str(), &what);
        }
        if provider.downcast_ref::<MemTable>().is_some() || !self.policy.confined() {
            return Ok(());
        }
        Err(self.policy.denied(
            what,
            format!(
                "{} is not a Delta table of the lake, and files are written through lake tables only",
                dml.table_name
            ),
        ))
    }
}

/// Whether `provider` is of a kind that holds its rows or makes them, reading no place: rows in
/// memory (tables in memory, a table's history and details), information_schema's listings
/// (streamed from the catalog) and the series of `generate_series` and `range`.
fn reads_no_place(provider: &dyn TableProvider) -> bool {
    provider.downcast_ref::<MemTable>().is_some()
        || provider.downcast_ref::<StreamingTable>().is_some()
        || provider.downcast_ref::<EmptyTable>().is_some()
        || provider.downcast_ref::<GenerateSeriesTable>().is_some()
}

#[cfg(test)]
mod tests {
    use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
    use async_trait::async_trait;
    use datafusion::catalog::Session;
    use datafusion::datasource::provider_as_source;
    use datafusion::logical_expr::{Expr, LogicalPlanBuilder, TableType};
    use datafusion::physical_plan::ExecutionPlan;
    use datafusion::prelude::SessionContext;

    use super::*;
    use crate::access::{Places, Principal};

    /// A kind of table the policy knows nothing of.
    #[derive(Debug)]
    struct Mystery(SchemaRef);

    #[async_trait]
    impl TableProvider for Mystery {
        fn schema(&self) -> SchemaRef {
            self.0.clone()
        }

        fn table_type(&self) -> TableType {
            TableType::Base
        }

        async fn scan(
            &self,
            _state: &dyn Session,
            _projection: Option<&Vec<usize>>,
            _filters: &[Expr],
            _limit: Option<usize>,
        ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
            datafusion::common::not_impl_err!("never scanned")
        }
    }

    fn scan_of(name: &str, table: Arc<dyn TableProvider>) -> LogicalPlan {
        LogicalPlanBuilder::scan(name, provider_as_source(table), None)
            .unwrap()
            .build()
            .unwrap()
    }

    #[test]
    fn a_table_of_an_unknown_kind_is_refused_naming_it() {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, true)]));
        let places = Arc::new(Places::new(None, None).unwrap());
        let server = Policy::new(places.clone(), Principal::admin("ada"));
        let state = SessionContext::new().state();

        let mystery = scan_of("mystery", Arc::new(Mystery(schema.clone())));
        let refused = server.check_plan(&state, &mystery).unwrap_err().to_string();
        assert!(refused.contains("may not read mystery"), "{refused}");
        assert!(refused.contains("of a kind"), "{refused}");

        let in_memory = MemTable::try_new(schema, vec![vec![]]).unwrap();
        server
            .check_plan(&state, &scan_of("rows", Arc::new(in_memory)))
            .unwrap();
        // The embedded shell reaches everywhere, tables of any kind included.
        Policy::unconfined(places)
            .check_plan(&state, &mystery)
            .unwrap();
    }
}
