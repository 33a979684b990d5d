//! `CREATE [OR REPLACE] VIEW`, `CREATE EXTERNAL TABLE ... STORED AS DELTA`, `DROP VIEW` and
//! `DROP TABLE` of the objects kept in the catalog folder.

use datafusion::logical_expr::{
    CreateExternalTable, CreateView, DdlStatement, DropTable, DropView, LogicalPlan,
};

use super::{LakeChange, check_name, done, plan_error};
use crate::catalog::{Definition, ObjectKind};
use crate::delta::TableRefresher;
use crate::error::{EngineError, Result};
use crate::location::{display_url, folder_url};

impl LakeChange<'_> {
    pub(super) async fn create_view(&self, view: CreateView) -> Result<LogicalPlan> {
        let Some((schema, name)) = self.lake_name(&view.name) else {
            return Ok(LogicalPlan::Ddl(DdlStatement::CreateView(view)));
        };
        check_name("view", &schema, &name)?;
        self.refuse_lake_table(&schema, &name).await?;
        let qualified = self.qualified(&schema, &name);
        match self.catalog.objects().kind(&schema, &name) {
            Some(ObjectKind::ExternalTable) => {
                return Err(plan_error(format!(
                    "{qualified} is an external table; drop it before creating a view of that name"
                )));
            }
            Some(_) if !view.or_replace => {
                return Err(EngineError::AlreadyExists(format!(
                    "view {qualified} already exists; use CREATE OR REPLACE VIEW to change it"
                )));
            }
            _ => {}
        }
        let Some(sql) = view.definition else {
            return Err(plan_error(format!(
                "view {qualified} has no SQL text to keep"
            )));
        };
        let definition = Definition::View {
            sql,
            default_schema: self.default_schema(),
        };
        self.store(&schema, &name, &definition, view.or_replace)
            .await?;
        Ok(done())
    }

    pub(super) async fn create_external_table(
        &self,
        table: CreateExternalTable,
    ) -> Result<LogicalPlan> {
        let Some((schema, name)) = self.lake_name(&table.name) else {
            return Ok(LogicalPlan::Ddl(DdlStatement::CreateExternalTable(
                Box::new(table),
            )));
        };
        check_name("external table", &schema, &name)?;
        let qualified = self.qualified(&schema, &name);
        if !table.schema.fields().is_empty() || !table.table_partition_cols.is_empty() {
            return Err(plan_error(format!(
                "external table {qualified}: leave out the columns and PARTITIONED BY; a Delta \
                 table brings its own"
            )));
        }
        let [location] = table.locations.as_slice() else {
            return Err(plan_error(format!(
                "external table {qualified} needs exactly one LOCATION"
            )));
        };
        // The definition is kept in the lake for every reader: credentials must not be in it.
        let url = folder_url(location)?;
        if !table.options.is_empty() || url.password().is_some() || url.query().is_some() {
            return Err(plan_error(format!(
                "external table {qualified}: OPTIONS and credentials in the LOCATION are not \
                 accepted, as the definition is stored in the lake for every reader; give them \
                 with --storage-option or the --config file"
            )));
        }
        self.refuse_lake_table(&schema, &name).await?;
        match self.catalog.objects().kind(&schema, &name) {
            Some(ObjectKind::View) => {
                return Err(plan_error(format!(
                    "{qualified} is a view; drop it before creating a table of that name"
                )));
            }
            Some(_) if table.if_not_exists => return Ok(done()),
            Some(_) if !table.or_replace => {
                return Err(EngineError::AlreadyExists(format!(
                    "external table {qualified} already exists; drop it first, or use CREATE \
                     OR REPLACE EXTERNAL TABLE"
                )));
            }
            _ => {}
        }
        // Read it now, so a wrong location fails here rather than in every later query.
        TableRefresher::at(url.clone(), self.catalog.stores().clone())
            .latest()
            .await?;
        tracing::debug!(table = %qualified, location = %display_url(&url), "external table");
        let definition = Definition::ExternalTable {
            location: url.to_string(),
        };
        self.store(&schema, &name, &definition, table.or_replace)
            .await?;
        Ok(done())
    }

    pub(super) async fn drop_view(&self, drop: DropView) -> Result<LogicalPlan> {
        let Some((schema, name)) = self.lake_name(&drop.name) else {
            return Ok(LogicalPlan::Ddl(DdlStatement::DropView(drop)));
        };
        match self.catalog.objects().kind(&schema, &name) {
            Some(ObjectKind::View | ObjectKind::Unreadable) => self.remove(&schema, &name).await,
            Some(ObjectKind::ExternalTable) => Err(plan_error(format!(
                "{} is an external table, not a view; use DROP TABLE",
                self.qualified(&schema, &name)
            ))),
            // Views of this session only, and the errors of missing ones, are DataFusion's.
            None => Ok(LogicalPlan::Ddl(DdlStatement::DropView(drop))),
        }
    }

    pub(super) async fn drop_table(&self, drop: DropTable) -> Result<LogicalPlan> {
        let Some((schema, name)) = self.lake_name(&drop.name) else {
            return Ok(LogicalPlan::Ddl(DdlStatement::DropTable(drop)));
        };
        match self.catalog.objects().kind(&schema, &name) {
            // Only the definition goes: an external table's data is never deleted.
            Some(ObjectKind::ExternalTable | ObjectKind::Unreadable) => {
                self.remove(&schema, &name).await
            }
            Some(ObjectKind::View) => Err(plan_error(format!(
                "{} is a view, not a table; use DROP VIEW",
                self.qualified(&schema, &name)
            ))),
            None => {
                self.catalog.refresh().await?;
                if let Some(folder) = self.catalog.lake_table_folder(&schema, &name) {
                    return Err(plan_error(format!(
                        "{} is a Delta table of the lake (folder {folder}); Lakeshore does not \
                         delete lake data: delete the folder, or replace the table with CREATE \
                         OR REPLACE TABLE",
                        self.qualified(&schema, &name)
                    )));
                }
                // Tables of this session only, and the errors of missing ones, are DataFusion's.
                Ok(LogicalPlan::Ddl(DdlStatement::DropTable(drop)))
            }
        }
    }

    /// Fails when the lake holds a Delta table of that name (listing the lake first).
    pub(super) async fn refuse_lake_table(&self, schema: &str, name: &str) -> Result<()> {
        self.catalog.refresh().await?;
        match self.catalog.lake_table_folder(schema, name) {
            Some(folder) => Err(plan_error(format!(
                "{} is a Delta table of the lake (folder {folder})",
                self.qualified(schema, name)
            ))),
            None => Ok(()),
        }
    }

    async fn store(
        &self,
        schema: &str,
        name: &str,
        definition: &Definition,
        replace: bool,
    ) -> Result<()> {
        let objects = self.catalog.objects();
        if replace {
            objects.store().replace(schema, name, definition).await?;
        } else {
            objects.store().create(schema, name, definition).await?;
        }
        objects.refresh().await
    }

    async fn remove(&self, schema: &str, name: &str) -> Result<LogicalPlan> {
        let objects = self.catalog.objects();
        objects.store().remove(schema, name).await?;
        objects.refresh().await?;
        Ok(done())
    }
}
