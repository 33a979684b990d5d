//! The catalogs as one user sees them: the lake's catalog shows only the layers granted to the
//! user, so that nothing that lists or looks up names (information_schema, `SHOW TABLES`,
//! `SHOW COLUMNS`, `DESCRIBE`, the Flight SQL catalog commands, planning itself) can reveal the
//! tables or columns of another layer. The statement checks still refuse a read of such a
//! table by name, with a message that says why; this closes what no statement names. A view
//! in a granted layer that reads another is there by name, without its columns: they are the
//! columns of what it reads.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{CatalogProvider, CatalogProviderList, SchemaProvider, TableProvider};
use datafusion::error::Result;
use datafusion::logical_expr::TableType;

use super::Policy;

/// Every catalog of `inner`, with the lake's catalog narrowed to what `policy`'s user may read.
#[derive(Debug)]
pub(crate) struct GrantedCatalogs {
    inner: Arc<dyn CatalogProviderList>,
    lake: String,
    policy: Arc<Policy>,
}

impl GrantedCatalogs {
    pub(crate) fn new(
        inner: Arc<dyn CatalogProviderList>,
        lake: &str,
        policy: Arc<Policy>,
    ) -> Self {
        Self {
            inner,
            lake: lake.to_string(),
            policy,
        }
    }
}

impl CatalogProviderList for GrantedCatalogs {
    fn register_catalog(
        &self,
        name: String,
        catalog: Arc<dyn CatalogProvider>,
    ) -> Option<Arc<dyn CatalogProvider>> {
        self.inner.register_catalog(name, catalog)
    }

    fn catalog_names(&self) -> Vec<String> {
        self.inner.catalog_names()
    }

    fn catalog(&self, name: &str) -> Option<Arc<dyn CatalogProvider>> {
        let catalog = self.inner.catalog(name)?;
        if name != self.lake {
            return Some(catalog);
        }
        Some(Arc::new(GrantedLayers {
            inner: catalog,
            policy: self.policy.clone(),
        }))
    }
}

/// The lake's catalog with only the granted layers in it.
#[derive(Debug)]
struct GrantedLayers {
    inner: Arc<dyn CatalogProvider>,
    policy: Arc<Policy>,
}

impl CatalogProvider for GrantedLayers {
    fn schema_names(&self) -> Vec<String> {
        self.inner
            .schema_names()
            .into_iter()
            .filter(|layer| self.policy.may_read_layer(layer))
            .collect()
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        if !self.policy.may_read_layer(name) {
            return None;
        }
        let layer: Arc<dyn SchemaProvider> = Arc::new(GrantedLayer {
            inner: self.inner.schema(name)?,
            policy: self.policy.clone(),
        });
        Some(layer)
    }

    // Changes pass through: the policy decides beforehand who may make them.
    fn register_schema(
        &self,
        name: &str,
        schema: Arc<dyn SchemaProvider>,
    ) -> Result<Option<Arc<dyn SchemaProvider>>> {
        self.inner.register_schema(name, schema)
    }

    fn deregister_schema(
        &self,
        name: &str,
        cascade: bool,
    ) -> Result<Option<Arc<dyn SchemaProvider>>> {
        self.inner.deregister_schema(name, cascade)
    }
}

/// A granted layer, whose views that read what the user may not show no columns.
#[derive(Debug)]
struct GrantedLayer {
    inner: Arc<dyn SchemaProvider>,
    policy: Arc<Policy>,
}

#[async_trait]
impl SchemaProvider for GrantedLayer {
    fn owner_name(&self) -> Option<&str> {
        self.inner.owner_name()
    }

    fn table_names(&self) -> Vec<String> {
        self.inner.table_names()
    }

    /// A statement that names such a view was refused before planning, with the reason; what
    /// asks without a statement (information_schema's columns, a client's table schema) finds
    /// nothing to describe.
    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let table = self.inner.table(name).await?;
        let view = table.as_ref().and_then(|table| table.get_logical_plan());
        if let Some(view) = view
            && self.policy.check_view(&view).is_err()
        {
            return Ok(None);
        }
        Ok(table)
    }

    async fn table_type(&self, name: &str) -> Result<Option<TableType>> {
        self.inner.table_type(name).await
    }

    // Changes pass through: the policy decides beforehand who may make them.
    fn register_table(
        &self,
        name: String,
        table: Arc<dyn TableProvider>,
    ) -> Result<Option<Arc<dyn TableProvider>>> {
        self.inner.register_table(name, table)
    }

    fn deregister_table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        self.inner.deregister_table(name)
    }

    fn table_exist(&self, name: &str) -> bool {
        self.inner.table_exist(name)
    }
}
