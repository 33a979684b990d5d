//! One layer of the lake (bronze, silver, gold ...) as a DataFusion schema.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::TableType;
use parking_lot::RwLock;
use url::Url;

use super::layout::{SchemaLayout, TableFolder};
use crate::delta::TableRefresher;

/// The tables of one layer: the lake's Delta tables, plus the tables and views registered in
/// this engine (by `CREATE VIEW` and the like).
#[derive(Debug)]
pub struct LakeSchema {
    /// `catalog.schema`, for messages.
    qualified_name: String,
    root: Url,
    storage_options: HashMap<String, String>,
    lake_tables: RwLock<BTreeMap<String, LakeTable>>,
    registered: RwLock<BTreeMap<String, Arc<dyn TableProvider>>>,
}

#[derive(Debug, Clone)]
enum LakeTable {
    Delta(Arc<TableRefresher>),
    Ambiguous(Vec<String>),
}

impl LakeSchema {
    pub(crate) fn new(
        qualified_name: String,
        root: Url,
        storage_options: HashMap<String, String>,
    ) -> Self {
        Self {
            qualified_name,
            root,
            storage_options,
            lake_tables: RwLock::new(BTreeMap::new()),
            registered: RwLock::new(BTreeMap::new()),
        }
    }

    /// Takes the tables of a new listing, keeping the refresher (and so the loaded snapshot) of
    /// every table whose folder is unchanged.
    pub(crate) fn set_layout(&self, layout: &SchemaLayout) {
        let mut tables = self.lake_tables.write();
        let mut next = BTreeMap::new();
        for (name, folder) in &layout.tables {
            let table = match folder {
                TableFolder::Ambiguous(folders) => {
                    tracing::warn!(
                        table = %format!("{}.{name}", self.qualified_name),
                        folders = %folders.join(", "),
                        "several folders map to one table name; queries of it will fail"
                    );
                    LakeTable::Ambiguous(folders.clone())
                }
                TableFolder::Delta(folder) => match tables.get(name) {
                    Some(LakeTable::Delta(known)) if known.folder() == folder => {
                        LakeTable::Delta(known.clone())
                    }
                    _ => LakeTable::Delta(Arc::new(TableRefresher::in_lake(
                        format!("{}.{name}", self.qualified_name),
                        &self.root,
                        folder,
                        self.storage_options.clone(),
                    ))),
                },
            };
            next.insert(name.clone(), table);
        }
        *tables = next;
    }
}

#[async_trait]
impl SchemaProvider for LakeSchema {
    fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.lake_tables.read().keys().cloned().collect();
        names.extend(self.registered.read().keys().cloned());
        names
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let lake_table = self.lake_tables.read().get(name).cloned();
        match lake_table {
            Some(LakeTable::Delta(refresher)) => Ok(Some(refresher.latest().await?)),
            Some(LakeTable::Ambiguous(folders)) => Err(DataFusionError::Plan(format!(
                "table {}.{name} is ambiguous: the folders {} all map to that name; rename all but one",
                self.qualified_name,
                folders.join(", ")
            ))),
            None => Ok(self.registered.read().get(name).cloned()),
        }
    }

    /// Listing tables (`SHOW TABLES`, `information_schema.tables`) asks every table its type:
    /// answer from the listing, so it neither loads every table nor fails on a damaged one.
    async fn table_type(&self, name: &str) -> Result<Option<TableType>> {
        if self.lake_tables.read().contains_key(name) {
            return Ok(Some(TableType::Base));
        }
        Ok(self
            .registered
            .read()
            .get(name)
            .map(|table| table.table_type()))
    }

    fn register_table(
        &self,
        name: String,
        table: Arc<dyn TableProvider>,
    ) -> Result<Option<Arc<dyn TableProvider>>> {
        if self.lake_tables.read().contains_key(&name) {
            return Err(DataFusionError::Plan(format!(
                "table {}.{name} already exists in the lake",
                self.qualified_name
            )));
        }
        Ok(self.registered.write().insert(name, table))
    }

    fn deregister_table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        if self.lake_tables.read().contains_key(name) {
            return Err(DataFusionError::Plan(format!(
                "table {}.{name} is a Delta table of the lake; Lakeshore does not delete lake data",
                self.qualified_name
            )));
        }
        Ok(self.registered.write().remove(name))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.lake_tables.read().contains_key(name) || self.registered.read().contains_key(name)
    }
}
