//! Statements that change the lake, recognised in their logical plans: DataFusion plans them
//! (names resolved, queries checked), and we carry them out on the lake where DataFusion would
//! keep them in memory. Views and external tables are stored in the catalog folder; tables are
//! written as Delta tables into the lake's folders.

mod ingest;
mod objects;
mod read_only;
mod tables;

use std::sync::Arc;

use datafusion::common::{DFSchema, TableReference};
use datafusion::execution::session_state::SessionState;
use datafusion::logical_expr::{DdlStatement, EmptyRelation, LogicalPlan, WriteOp};

pub(crate) use ingest::ingest;
pub(crate) use read_only::{first_write, refuse_writes, write_of};

use crate::catalog::{LakeCatalog, sql_name};
use crate::error::{EngineError, Result};

/// The plan to run for `plan`: a change to the catalog is made now and leaves a plan of no
/// rows; a write becomes a plan that writes when it runs; any other plan is returned as it is.
/// `partition_columns` come from the statement's `PARTITIONED BY`.
pub(crate) async fn plan_change(
    catalog: &LakeCatalog,
    state: &SessionState,
    plan: LogicalPlan,
    partition_columns: Vec<String>,
) -> Result<LogicalPlan> {
    let change = LakeChange { catalog, state };
    match plan {
        LogicalPlan::Ddl(DdlStatement::CreateMemoryTable(create)) if !create.temporary => {
            change.create_table(create, partition_columns).await
        }
        _ if !partition_columns.is_empty() => Err(EngineError::Query(
            datafusion::error::DataFusionError::Plan(
                "PARTITIONED BY is only for CREATE TABLE of a lake table".to_string(),
            ),
        )),
        LogicalPlan::Ddl(DdlStatement::CreateView(view)) if !view.temporary => {
            change.create_view(view).await
        }
        LogicalPlan::Ddl(DdlStatement::CreateExternalTable(table))
            if table.file_type.eq_ignore_ascii_case("delta") =>
        {
            change.create_external_table(*table).await
        }
        LogicalPlan::Ddl(DdlStatement::DropView(drop)) => change.drop_view(drop).await,
        LogicalPlan::Ddl(DdlStatement::DropTable(drop)) => change.drop_table(drop).await,
        LogicalPlan::Dml(dml) if matches!(dml.op, WriteOp::Insert(_)) => change.insert(dml),
        other => Ok(other),
    }
}

/// One statement's change to the lake.
struct LakeChange<'a> {
    catalog: &'a LakeCatalog,
    state: &'a SessionState,
}

impl LakeChange<'_> {
    /// `(schema, name)` of `reference` in the lake's catalog; `None` when it names another.
    fn lake_name(&self, reference: &TableReference) -> Option<(String, String)> {
        let options = self.state.config().options();
        let resolved = reference.clone().resolve(
            &options.catalog.default_catalog,
            &options.catalog.default_schema,
        );
        (resolved.catalog.as_ref() == self.catalog.name())
            .then(|| (resolved.schema.to_string(), resolved.table.to_string()))
    }

    fn qualified(&self, schema: &str, name: &str) -> String {
        format!("{}.{schema}.{name}", self.catalog.name())
    }

    /// The schema unqualified names resolve in now.
    fn default_schema(&self) -> String {
        self.state.config().options().catalog.default_schema.clone()
    }
}

/// Objects kept in the lake get names that need no quoting and that the lake's naming rule
/// gives back unchanged (a table's folder is its name).
fn check_name(kind: &str, schema: &str, name: &str) -> Result<()> {
    for part in [schema, name] {
        if part.is_empty() || sql_name(part) != part || part.starts_with('_') {
            return Err(plan_error(format!(
                "cannot create the {kind} {schema}.{name}: names of lake objects hold only \
                 lower-case letters, digits and _, and do not start with _"
            )));
        }
    }
    Ok(())
}

/// What a statement that changed the catalog returns: no rows.
fn done() -> LogicalPlan {
    LogicalPlan::EmptyRelation(EmptyRelation {
        produce_one_row: false,
        schema: Arc::new(DFSchema::empty()),
    })
}

fn plan_error(message: String) -> EngineError {
    EngineError::Query(datafusion::error::DataFusionError::Plan(message))
}
