//! The views and external tables defined in SQL, as this process knows them: a copy of the
//! definition files, brought up to date before each statement by one listing of the catalog
//! folder (files whose stamp is unchanged are not read again).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

use datafusion::catalog::TableProvider;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::TableType;
use parking_lot::RwLock;
use url::Url;

use super::definitions::{Definition, DefinitionStore, FileStamp};
use super::view::plan_view;
use super::view_planner::ViewPlanner;
use crate::delta::{TableRefresher, accepted_since};
use crate::error::{EngineError, Result};
use crate::store::ObjectStores;

/// One defined object, as last read from its file.
#[derive(Debug, Clone)]
enum DefinedObject {
    View {
        sql: String,
        default_schema: String,
    },
    /// The refresher keeps the table's snapshot between queries.
    ExternalTable {
        location: Url,
        table: Arc<TableRefresher>,
    },
    /// The file could not be read: using the object fails with this error, so a damaged file
    /// is never mistaken for a missing object.
    Unreadable {
        reason: String,
    },
}

#[derive(Debug, Clone)]
struct Entry {
    stamp: FileStamp,
    object: DefinedObject,
}

/// What kind of object a name is, for statements that create and drop them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ObjectKind {
    View,
    ExternalTable,
    Unreadable,
}

/// The defined objects of one lake, by `(schema, name)`.
#[derive(Debug)]
pub(crate) struct DefinedObjects {
    catalog: String,
    store: DefinitionStore,
    stores: Arc<ObjectStores>,
    /// Plans the views, in the statement that reads them.
    views: Arc<dyn ViewPlanner>,
    entries: RwLock<BTreeMap<(String, String), Entry>>,
    /// When the listing `entries` come from began.
    listed_at: parking_lot::Mutex<Option<Instant>>,
}

impl DefinedObjects {
    pub(crate) fn new(
        catalog: &str,
        store: DefinitionStore,
        stores: Arc<ObjectStores>,
        views: Arc<dyn ViewPlanner>,
    ) -> Self {
        Self {
            catalog: catalog.to_string(),
            store,
            stores,
            views,
            entries: RwLock::new(BTreeMap::new()),
            listed_at: parking_lot::Mutex::new(None),
        }
    }

    pub(crate) fn store(&self) -> &DefinitionStore {
        &self.store
    }

    /// Lists the definition files again unless the running statement accepts the last
    /// listing (see `lakeshore.max_staleness`). When the catalog folder cannot be listed
    /// (its store stopped answering), the last listing stands, with a warning: a statement
    /// over tables elsewhere must not fail for it, and one that reads the unreachable store
    /// fails there, naming its table.
    pub(crate) async fn refresh_if_stale(&self) -> Result<()> {
        let listed_at = *self.listed_at.lock();
        if listed_at.is_some_and(|at| at >= accepted_since()) {
            return Ok(());
        }
        match self.refresh().await {
            Err(error) if listed_at.is_some() => {
                tracing::warn!(%error, "views and external tables not listed again");
                Ok(())
            }
            other => other,
        }
    }

    /// Lists the definition files and reads those that are new or changed.
    pub(crate) async fn refresh(&self) -> Result<()> {
        let listed_at = Instant::now();
        let files = self.store.list().await?;
        let known = self.entries.read().clone();
        let mut next = BTreeMap::new();
        for file in files {
            let key = (file.schema.clone(), file.name.clone());
            if let Some(entry) = known.get(&key)
                && entry.stamp == file.stamp
            {
                next.insert(key, entry.clone());
                continue;
            }
            let object = match self.store.read(&file.path).await {
                Ok(definition) => self.object_of(definition, &known, &key),
                Err(error) => {
                    tracing::warn!(%error, "a catalog definition cannot be read");
                    DefinedObject::Unreadable {
                        reason: error.to_string(),
                    }
                }
            };
            next.insert(
                key,
                Entry {
                    stamp: file.stamp,
                    object,
                },
            );
        }
        *self.entries.write() = next;
        *self.listed_at.lock() = Some(listed_at);
        Ok(())
    }

    fn object_of(
        &self,
        definition: Definition,
        known: &BTreeMap<(String, String), Entry>,
        key: &(String, String),
    ) -> DefinedObject {
        match definition {
            Definition::View {
                sql,
                default_schema,
            } => DefinedObject::View {
                sql,
                default_schema,
            },
            Definition::ExternalTable { location } => match Url::parse(&location) {
                Ok(location) => {
                    // A table still at the same place keeps its loaded snapshot.
                    let table = match known.get(key).map(|entry| &entry.object) {
                        Some(DefinedObject::ExternalTable {
                            location: before,
                            table,
                        }) if *before == location => table.clone(),
                        _ => Arc::new(TableRefresher::at(location.clone(), self.stores.clone())),
                    };
                    DefinedObject::ExternalTable { location, table }
                }
                Err(e) => DefinedObject::Unreadable {
                    reason: format!(
                        "external table {}.{}: invalid location {location}: {e}",
                        key.0, key.1
                    ),
                },
            },
        }
    }

    /// The schemas that hold at least one object.
    pub(crate) fn schema_names(&self) -> BTreeSet<String> {
        self.entries
            .read()
            .keys()
            .map(|(schema, _)| schema.clone())
            .collect()
    }

    pub(crate) fn has_schema(&self, schema: &str) -> bool {
        self.entries.read().keys().any(|(s, _)| s == schema)
    }

    pub(crate) fn table_names(&self, schema: &str) -> Vec<String> {
        self.entries
            .read()
            .keys()
            .filter(|(s, _)| s == schema)
            .map(|(_, name)| name.clone())
            .collect()
    }

    pub(crate) fn kind(&self, schema: &str, name: &str) -> Option<ObjectKind> {
        let entries = self.entries.read();
        let entry = entries.get(&(schema.to_string(), name.to_string()))?;
        Some(match entry.object {
            DefinedObject::View { .. } => ObjectKind::View,
            DefinedObject::ExternalTable { .. } => ObjectKind::ExternalTable,
            DefinedObject::Unreadable { .. } => ObjectKind::Unreadable,
        })
    }

    /// How `SHOW TABLES` lists the object; a damaged one is listed as a view, the kind it
    /// cannot be told from.
    pub(crate) fn table_type(&self, schema: &str, name: &str) -> Option<TableType> {
        self.kind(schema, name).map(|kind| match kind {
            ObjectKind::ExternalTable => TableType::Base,
            ObjectKind::View | ObjectKind::Unreadable => TableType::View,
        })
    }

    /// The statement and default schema of a view, for checking what it reads.
    pub(crate) fn view_definition(&self, schema: &str, name: &str) -> Option<(String, String)> {
        let entries = self.entries.read();
        match &entries.get(&(schema.to_string(), name.to_string()))?.object {
            DefinedObject::View {
                sql,
                default_schema,
            } => Some((sql.clone(), default_schema.clone())),
            _ => None,
        }
    }

    /// The location of an external table.
    pub(crate) fn external_location(&self, schema: &str, name: &str) -> Option<Url> {
        let entries = self.entries.read();
        match &entries.get(&(schema.to_string(), name.to_string()))?.object {
            DefinedObject::ExternalTable { location, .. } => Some(location.clone()),
            _ => None,
        }
    }

    /// The object as a table to scan: a view planned now, or the latest version of an external
    /// table.
    pub(crate) async fn table(
        &self,
        schema: &str,
        name: &str,
    ) -> datafusion::error::Result<Option<Arc<dyn TableProvider>>> {
        let object = self
            .entries
            .read()
            .get(&(schema.to_string(), name.to_string()))
            .map(|entry| entry.object.clone());
        let qualified = format!("{}.{schema}.{name}", self.catalog);
        match object {
            None => Ok(None),
            Some(DefinedObject::View {
                sql,
                default_schema,
            }) => plan_view(
                self.views.as_ref(),
                &qualified,
                &sql,
                &self.catalog,
                &default_schema,
            )
            .await
            .map(Some),
            Some(DefinedObject::ExternalTable { table, .. }) => Ok(Some(table.latest().await?)),
            Some(DefinedObject::Unreadable { reason }) => {
                Err(DataFusionError::External(Box::new(EngineError::Table {
                    table: qualified,
                    reason,
                })))
            }
        }
    }
}
