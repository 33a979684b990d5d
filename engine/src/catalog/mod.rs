//! The lake as a DataFusion catalog: layers (top-level folders) are schemas, Delta tables are
//! tables. See [`layout`] for the naming rule.

mod definitions;
mod layout;
mod objects;
mod schema;
mod view;
mod view_planner;

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::catalog::{CatalogProvider, SchemaProvider};
use datafusion::error::DataFusionError;
use datafusion::execution::session_state::SessionState;
use datafusion::sql::parser::Statement;
use deltalake::{ObjectStore, Path};
use parking_lot::RwLock;
use url::Url;

pub(crate) use definitions::Definition;
pub use layout::DEFAULT_SCHEMA;
pub(crate) use layout::sql_name;
pub(crate) use objects::{DefinedObjects, ObjectKind};
pub(crate) use view_planner::ViewPlanner;

use crate::delta::TableRefresher;
use crate::store::ObjectStores;
pub use schema::LakeSchema;

use crate::error::{EngineError, Result};
use crate::location::{display_url, folder_url};
use definitions::DefinitionStore;

/// A lake root as a catalog. The list of schemas and tables is refreshed by
/// [`LakeCatalog::refresh`]; each table's data is refreshed by the query that reads it.
#[derive(Debug)]
pub struct LakeCatalog {
    name: String,
    root: Url,
    store: Arc<dyn ObjectStore>,
    stores: Arc<ObjectStores>,
    /// Schemas found in the lake, kept across refreshes so their tables keep their snapshots.
    layers: RwLock<BTreeMap<String, Arc<LakeSchema>>>,
    /// Schemas made with `CREATE SCHEMA`: they live as long as the engine.
    created: RwLock<BTreeMap<String, Arc<dyn SchemaProvider>>>,
    /// Views and external tables defined in SQL, kept in the catalog folder.
    objects: Arc<DefinedObjects>,
}

/// Where the catalog keeps the objects defined in SQL, and what plans the views.
pub(crate) struct DefinitionsConfig {
    /// The catalog folder; `<lake>/_lakeshore` when `None`.
    pub location: Option<String>,
    pub views: Arc<dyn ViewPlanner>,
}

/// The catalog folder below the lake root, when none is configured.
const DEFAULT_DEFINITIONS_FOLDER: &str = "_lakeshore/";

impl LakeCatalog {
    /// Opens the lake at `location` and lists its tables.
    pub(crate) async fn open(
        name: &str,
        location: &str,
        stores: Arc<ObjectStores>,
        definitions: DefinitionsConfig,
    ) -> Result<Self> {
        let root = folder_url(location)?;
        let definitions_folder = match &definitions.location {
            Some(folder) => definitions_folder_url(folder)?,
            None => {
                root.join(DEFAULT_DEFINITIONS_FOLDER)
                    .map_err(|e| EngineError::InvalidLocation {
                        location: display_url(&root),
                        reason: e.to_string(),
                    })?
            }
        };
        let objects = Arc::new(DefinedObjects::new(
            name,
            DefinitionStore::open(definitions_folder, &stores)?,
            stores.clone(),
            definitions.views,
        ));
        let store = stores.folder_store(&root)?;
        let catalog = Self {
            name: name.to_string(),
            root,
            store,
            stores,
            layers: RwLock::new(BTreeMap::new()),
            created: RwLock::new(BTreeMap::new()),
            objects,
        };
        catalog.refuse_a_table_as_root(location).await?;
        catalog.objects.refresh().await?;
        catalog.refresh().await?;
        Ok(catalog)
    }

    /// A lake is a folder of layers. Opening one table as the lake would show an empty catalog
    /// with no hint why, so say what to do instead.
    async fn refuse_a_table_as_root(&self, location: &str) -> Result<()> {
        let log = self
            .store
            .list_with_delimiter(Some(&Path::from("_delta_log")))
            .await
            .map_err(|e| EngineError::Lake {
                location: display_url(&self.root),
                reason: e.to_string(),
            })?;
        if log.objects.is_empty() {
            return Ok(());
        }
        Err(EngineError::InvalidLocation {
            location: display_url(&self.root),
            reason: format!(
                "this folder is a Delta table, not a lake of layers: open the folder above it as \
                 the lake, or read the table with delta_scan('{location}')"
            ),
        })
    }

    /// Lists the lake again, so tables and layers created since are seen and removed ones go.
    /// Tables still present keep their loaded snapshots.
    pub async fn refresh(&self) -> Result<()> {
        let layout =
            layout::discover(self.store.as_ref())
                .await
                .map_err(|e| EngineError::Lake {
                    location: display_url(&self.root),
                    reason: e.to_string(),
                })?;
        let mut layers = self.layers.write();
        layers.retain(|name, _| layout.schemas.contains_key(name) || self.objects.has_schema(name));
        for (name, tables) in &layout.schemas {
            let schema = layers
                .entry(name.clone())
                .or_insert_with(|| self.new_schema(name));
            schema.set_layout(tables);
        }
        Ok(())
    }

    fn new_schema(&self, name: &str) -> Arc<LakeSchema> {
        Arc::new(LakeSchema::new(
            &self.name,
            name,
            self.root.clone(),
            self.stores.clone(),
            self.objects.clone(),
        ))
    }

    /// The lake schema called `name`, if the lake has that layer or objects are defined in it.
    fn layer(&self, name: &str) -> Option<Arc<LakeSchema>> {
        if let Some(layer) = self.layers.read().get(name) {
            return Some(layer.clone());
        }
        if !self.objects.has_schema(name) {
            return None;
        }
        // A schema that only holds defined objects (an external table outside the layers).
        Some(
            self.layers
                .write()
                .entry(name.to_string())
                .or_insert_with(|| self.new_schema(name))
                .clone(),
        )
    }

    /// Lists the views and external tables again when the last look is older than the running
    /// statement accepts, unless `statement` is a query that names lake tables only (or
    /// nothing, as `SELECT 1`): it reads no definition, so it costs no request to the catalog
    /// folder, which on an object store is a round trip per statement.
    pub(crate) async fn refresh_objects_named_by(
        &self,
        state: &SessionState,
        statement: &Statement,
    ) -> Result<()> {
        if self.names_only_lake_tables(state, statement) {
            return Ok(());
        }
        self.objects.refresh_if_stale().await
    }

    /// Whether `statement` is a query that names lake tables only (no view, external table or
    /// unknown name), so the definitions of views need not be listed for it.
    fn names_only_lake_tables(&self, state: &SessionState, statement: &Statement) -> bool {
        use datafusion::sql::sqlparser::ast;
        if !matches!(statement, Statement::Statement(inner) if matches!(**inner, ast::Statement::Query(_)))
        {
            return false;
        }
        let Ok(references) = state.resolve_table_references(statement) else {
            return false;
        };
        let names = &state.config().options().catalog;
        references.into_iter().all(|reference| {
            let resolved = reference.resolve(&names.default_catalog, &names.default_schema);
            *resolved.catalog == self.name
                && self
                    .layers
                    .read()
                    .get(&*resolved.schema)
                    .is_some_and(|layer| layer.lake_table(&resolved.table).is_some())
        })
    }

    /// Brings every lake table `statement` names up to date at once, so a query over many
    /// tables waits for the slowest look at a log rather than for their sum. Planning then
    /// finds them fresh. Failures are left for planning, which names the table as written.
    pub(crate) async fn refresh_tables_of(&self, state: &SessionState, statement: &Statement) {
        let Ok(references) = state.resolve_table_references(statement) else {
            return;
        };
        let names = &state.config().options().catalog;
        let tables: Vec<Arc<TableRefresher>> = references
            .into_iter()
            .filter_map(|reference| {
                let resolved = reference.resolve(&names.default_catalog, &names.default_schema);
                if *resolved.catalog != self.name {
                    return None;
                }
                self.layers
                    .read()
                    .get(&*resolved.schema)?
                    .lake_table(&resolved.table)
            })
            .collect();
        if tables.len() > 1 {
            futures::future::join_all(tables.iter().map(|table| table.latest())).await;
        }
    }

    /// The catalog's name (`lake`).
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The lake root.
    pub(crate) fn root(&self) -> &Url {
        &self.root
    }

    /// The object stores the lake and the tables it names are in.
    pub(crate) fn stores(&self) -> &Arc<ObjectStores> {
        &self.stores
    }

    /// The views and external tables defined in SQL.
    pub(crate) fn objects(&self) -> &Arc<DefinedObjects> {
        &self.objects
    }

    /// The folder (relative to the lake root) of the Delta table `schema.name` of the lake, as of
    /// the last listing.
    pub(crate) fn lake_table_folder(&self, schema: &str, name: &str) -> Option<String> {
        self.layers.read().get(schema)?.folder_of(name)
    }
}

/// The URL of a configured catalog folder; a local one is created when missing, as the first
/// definition would create it anyway.
fn definitions_folder_url(folder: &str) -> Result<Url> {
    if !folder.contains("://") {
        std::fs::create_dir_all(folder).map_err(|e| EngineError::InvalidLocation {
            location: folder.to_string(),
            reason: format!("cannot create the catalog folder: {e}"),
        })?;
    }
    folder_url(folder)
}

impl CatalogProvider for LakeCatalog {
    fn schema_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.layers.read().keys().cloned().collect();
        names.extend(self.objects.schema_names());
        names.extend(self.created.read().keys().cloned());
        names.sort();
        names.dedup();
        names
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        if let Some(layer) = self.layer(name) {
            return Some(layer);
        }
        self.created.read().get(name).cloned()
    }

    fn register_schema(
        &self,
        name: &str,
        schema: Arc<dyn SchemaProvider>,
    ) -> datafusion::error::Result<Option<Arc<dyn SchemaProvider>>> {
        if self.layers.read().contains_key(name) {
            return Err(DataFusionError::External(Box::new(
                EngineError::AlreadyExists(format!(
                    "schema {}.{name} already exists: it is a folder of the lake",
                    self.name
                )),
            )));
        }
        Ok(self.created.write().insert(name.to_string(), schema))
    }

    fn deregister_schema(
        &self,
        name: &str,
        cascade: bool,
    ) -> datafusion::error::Result<Option<Arc<dyn SchemaProvider>>> {
        if self.layers.read().contains_key(name) {
            return Err(DataFusionError::Plan(format!(
                "schema {}.{name} is a folder of the lake; Lakeshore never deletes lake folders",
                self.name
            )));
        }
        let mut created = self.created.write();
        if let Some(schema) = created.get(name)
            && !cascade
            && !schema.table_names().is_empty()
        {
            return Err(DataFusionError::Plan(format!(
                "schema {}.{name} is not empty; use CASCADE to drop it with its tables",
                self.name
            )));
        }
        Ok(created.remove(name))
    }
}
