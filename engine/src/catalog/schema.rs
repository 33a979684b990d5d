//! One layer of the lake (bronze, silver, gold ...) as a DataFusion schema.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::TableType;
use parking_lot::RwLock;
use url::Url;

use super::layout::{SchemaLayout, TableFolder};
use super::objects::DefinedObjects;
use crate::delta::{TableRefresher, in_a_statement};
use crate::store::ObjectStores;

/// The tables of one layer: the lake's Delta tables, the views and external tables defined in
/// SQL (kept in the catalog folder), and the tables registered in this engine only (by
/// `CREATE TEMPORARY VIEW` and the like).
#[derive(Debug)]
pub struct LakeSchema {
    /// `catalog.schema`, for messages.
    qualified_name: String,
    /// The schema's own name, under which its defined objects are kept.
    name: String,
    root: Url,
    stores: Arc<ObjectStores>,
    lake_tables: RwLock<BTreeMap<String, LakeTable>>,
    objects: Arc<DefinedObjects>,
    registered: RwLock<BTreeMap<String, Arc<dyn TableProvider>>>,
}

#[derive(Debug, Clone)]
enum LakeTable {
    Delta(Arc<TableRefresher>),
    Ambiguous(Vec<String>),
}

impl LakeSchema {
    pub(crate) fn new(
        catalog: &str,
        name: &str,
        root: Url,
        stores: Arc<ObjectStores>,
        objects: Arc<DefinedObjects>,
    ) -> Self {
        Self {
            qualified_name: format!("{catalog}.{name}"),
            name: name.to_string(),
            root,
            stores,
            lake_tables: RwLock::new(BTreeMap::new()),
            objects,
            registered: RwLock::new(BTreeMap::new()),
        }
    }

    /// The Delta table of the lake called `name`.
    pub(crate) fn lake_table(&self, name: &str) -> Option<Arc<TableRefresher>> {
        match self.lake_tables.read().get(name)? {
            LakeTable::Delta(refresher) => Some(refresher.clone()),
            LakeTable::Ambiguous(_) => None,
        }
    }

    /// The folder (relative to the lake root) of the lake table `name`.
    pub(crate) fn folder_of(&self, name: &str) -> Option<String> {
        match self.lake_tables.read().get(name)? {
            LakeTable::Delta(refresher) => Some(refresher.folder().to_string()),
            LakeTable::Ambiguous(_) => None,
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
                        self.stores.clone(),
                    ))),
                },
            };
            next.insert(name.clone(), table);
        }
        *tables = next;
    }

    /// The table or object `name` of this schema, as a statement reads it.
    async fn find(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let lake_table = self.lake_tables.read().get(name).cloned();
        if lake_table.is_some() && self.objects.kind(&self.name, name).is_some() {
            return Err(DataFusionError::Plan(format!(
                "{}.{name} is both a Delta table of the lake and an object defined in SQL; \
                 drop the view or external table, or move the table's folder",
                self.qualified_name
            )));
        }
        match lake_table {
            Some(LakeTable::Delta(refresher)) => Ok(Some(refresher.latest().await?)),
            Some(LakeTable::Ambiguous(folders)) => Err(DataFusionError::Plan(format!(
                "table {}.{name} is ambiguous: the folders {} all map to that name; rename all but one",
                self.qualified_name,
                folders.join(", ")
            ))),
            None => match self.objects.table(&self.name, name).await? {
                Some(object) => Ok(Some(object)),
                None => Ok(self.registered.read().get(name).cloned()),
            },
        }
    }
}

#[async_trait]
impl SchemaProvider for LakeSchema {
    fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.lake_tables.read().keys().cloned().collect();
        names.extend(self.objects.table_names(&self.name));
        names.extend(self.registered.read().keys().cloned());
        names.sort();
        names.dedup();
        names
    }

    /// Outside a statement, only information_schema asks for tables: it reads each table's
    /// columns while its rows are produced, after the statement was planned. A table that
    /// cannot be read now (a damaged log, a view that reads what the user may not) is left out
    /// of that listing rather than ending it; a statement that names it still gets the error.
    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        match self.find(name).await {
            Err(error) if !in_a_statement() => {
                tracing::warn!(
                    table = %format!("{}.{name}", self.qualified_name),
                    error = %error.strip_backtrace(),
                    "left out of information_schema: the table cannot be read"
                );
                Ok(None)
            }
            found => found,
        }
    }

    /// Listing tables (`SHOW TABLES`, `information_schema.tables`) asks every table its type:
    /// answer from the listing, so it neither loads every table nor fails on a damaged one.
    async fn table_type(&self, name: &str) -> Result<Option<TableType>> {
        if self.lake_tables.read().contains_key(name) {
            return Ok(Some(TableType::Base));
        }
        if let Some(table_type) = self.objects.table_type(&self.name, name) {
            return Ok(Some(table_type));
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
        if self.lake_tables.read().contains_key(&name)
            || self.objects.kind(&self.name, &name).is_some()
        {
            return Err(DataFusionError::External(Box::new(
                crate::error::EngineError::AlreadyExists(format!(
                    "table {}.{name} already exists in the lake",
                    self.qualified_name
                )),
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
        self.lake_tables.read().contains_key(name)
            || self.objects.kind(&self.name, name).is_some()
            || self.registered.read().contains_key(name)
    }
}
