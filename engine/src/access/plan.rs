//! The policy, checked on a logical plan: every table it scans (by the location and layer its
//! provider reads, and by name), every view's own plan and definition, recursively, and every
//! node that writes or changes settings.

use datafusion::catalog::TableProvider;
use datafusion::catalog::default_table_source::source_as_provider;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::MemTable;
use datafusion::datasource::listing::ListingTable;
use datafusion::execution::session_state::SessionState;
use std::sync::Arc;

use datafusion::logical_expr::{DdlStatement, DmlStatement, LogicalPlan, Statement, TableSource};

use super::{Policy, Read, Role};
use crate::changes::write_of;
use crate::delta::DeltaTableProvider;
use crate::error::{EngineError, Result};

/// How deep views may nest before the walk gives up (the engine refuses deeper views anyway).
const MAX_DEPTH: usize = 64;

pub(super) fn check(policy: &Policy, state: &SessionState, plan: &LogicalPlan) -> Result<()> {
    Walk { policy, state }.plan(plan, 0)
}

struct Walk<'a> {
    policy: &'a Policy,
    state: &'a SessionState,
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
            LogicalPlan::TableScan(scan) => self.scan(&scan.source, depth),
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
    fn scan(&self, source: &Arc<dyn TableSource>, depth: usize) -> Result<()> {
        if let Some(view) = source.get_logical_plan() {
            // A view DataFusion left unexpanded: what it reads is read too.
            return self.plan(&view, depth + 1);
        }
        let Ok(provider) = source_as_provider(source) else {
            return Ok(());
        };
        self.provider(provider.as_ref())
    }

    /// The places a table provider reads.
    fn provider(&self, provider: &dyn TableProvider) -> Result<()> {
        if let Some(delta) = provider.downcast_ref::<DeltaTableProvider>() {
            // A change feed holds no table; its target was checked with the statement's
            // references.
            if let Some(table) = delta.table() {
                self.policy
                    .check_read(table.table_url().as_str(), Read::TableRoot)?;
            }
        } else if let Some(listing) = provider.downcast_ref::<ListingTable>() {
            for path in listing.table_paths() {
                self.policy.check_read(path.as_str(), Read::Files)?;
            }
        }
        Ok(())
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
        match name {
            Some(name) => self.policy.check_layer_of(self.state, name, &what),
            None => Ok(()),
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
        self.policy
            .check_layer_of(self.state, &dml.table_name, &what)?;
        let provider = source_as_provider(&dml.target).map_err(EngineError::Query)?;
        if let Some(delta) = provider.downcast_ref::<DeltaTableProvider>()
            && let Some(table) = delta.table()
        {
            return self
                .policy
                .check_lake_write(table.table_url().as_str(), &what);
        }
        if provider.downcast_ref::<MemTable>().is_some() {
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
