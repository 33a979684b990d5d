//! `CREATE [OR REPLACE] TABLE ... [PARTITIONED BY (...)] AS SELECT` and `INSERT INTO`: plans
//! that write a Delta table into the lake when they run.

use std::sync::Arc;

use datafusion::common::TableReference;
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::dml::InsertOp;
use datafusion::logical_expr::{
    CreateMemoryTable, DmlStatement, LogicalPlan, LogicalPlanBuilder, WriteOp, lit,
};

use super::{LakeChange, check_name, plan_error};
use crate::catalog::DEFAULT_SCHEMA;
use crate::error::{EngineError, Result};
use crate::write::{Destination, IngestMode, TableDefinition, WriteTarget};

impl LakeChange<'_> {
    pub(super) async fn create_table(
        &self,
        create: CreateMemoryTable,
        partition_columns: Vec<String>,
    ) -> Result<LogicalPlan> {
        let Some((schema, name)) = self.lake_name(&create.name) else {
            return Err(plan_error(format!(
                "CREATE TABLE {} names no schema of the lake catalog {}",
                create.name,
                self.catalog.name()
            )));
        };
        check_name("table", &schema, &name)?;
        let qualified = self.qualified(&schema, &name);
        if !create.constraints.is_empty() || !create.column_defaults.is_empty() {
            return Err(plan_error(format!(
                "table {qualified}: Delta tables take no constraints or column defaults here"
            )));
        }
        let columns = create.input.schema().as_arrow().clone();
        for column in &partition_columns {
            if columns.field_with_name(column).is_err() {
                return Err(plan_error(format!(
                    "table {qualified}: the partition column {column} is not a column of the query"
                )));
            }
        }
        if self.catalog.objects().kind(&schema, &name).is_some() {
            return Err(plan_error(format!(
                "{qualified} is a view or external table; drop it before creating a table of that name"
            )));
        }
        self.catalog.refresh().await?;
        let found = self.catalog.lake_table_folder(&schema, &name);
        if found.is_some() && create.if_not_exists {
            return Ok(LogicalPlanBuilder::empty(true)
                .project(vec![lit(0u64).alias("count")])?
                .build()?);
        }
        if let Some(folder) = &found
            && !create.or_replace
        {
            return Err(EngineError::AlreadyExists(format!(
                "table {qualified} already exists (folder {folder}); use CREATE OR REPLACE TABLE \
                 to replace it"
            )));
        }
        let folder = found.unwrap_or_else(|| match schema.as_str() {
            DEFAULT_SCHEMA => name.clone(),
            _ => format!("{schema}/{name}"),
        });
        let mode = if create.or_replace {
            IngestMode::Replace
        } else {
            IngestMode::Create
        };
        let target = WriteTarget::new(
            Destination::new(
                &qualified,
                self.folder_url(&folder)?,
                self.catalog.stores().clone(),
            ),
            mode,
            Some(TableDefinition { partition_columns }),
            Arc::new(columns),
        );
        Ok(LogicalPlan::Dml(DmlStatement::new(
            TableReference::full(self.catalog.name(), schema, name),
            provider_as_source(Arc::new(target)),
            WriteOp::Insert(InsertOp::Append),
            create.input,
        )))
    }

    pub(super) fn insert(&self, dml: DmlStatement) -> Result<LogicalPlan> {
        let Some((schema, name)) = self.lake_name(&dml.table_name) else {
            return Ok(LogicalPlan::Dml(dml));
        };
        let url = match self.catalog.lake_table_folder(&schema, &name) {
            Some(folder) => self.folder_url(&folder)?,
            None => match self.catalog.objects().external_location(&schema, &name) {
                Some(location) => location,
                // Not a Delta table of ours (a view, a session table): DataFusion's to handle.
                None => return Ok(LogicalPlan::Dml(dml)),
            },
        };
        let mode = match dml.op {
            WriteOp::Insert(InsertOp::Append) => IngestMode::Append,
            WriteOp::Insert(InsertOp::Overwrite) => IngestMode::Replace,
            _ => {
                return Err(plan_error(
                    "REPLACE INTO is not supported on Delta tables; use INSERT OVERWRITE"
                        .to_string(),
                ));
            }
        };
        let target = WriteTarget::new(
            Destination::new(
                &self.qualified(&schema, &name),
                url,
                self.catalog.stores().clone(),
            ),
            mode,
            None,
            Arc::new(dml.input.schema().as_arrow().clone()),
        );
        Ok(LogicalPlan::Dml(DmlStatement::new(
            dml.table_name,
            provider_as_source(Arc::new(target)),
            dml.op,
            dml.input,
        )))
    }

    /// The URL of a folder of the lake.
    pub(super) fn folder_url(&self, folder: &str) -> Result<url::Url> {
        let root = self.catalog.root();
        root.join(&format!("{}/", folder.trim_end_matches('/')))
            .map_err(|e| EngineError::InvalidLocation {
                location: format!("{root}{folder}"),
                reason: e.to_string(),
            })
    }
}
