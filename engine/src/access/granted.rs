//! The catalogs as one user sees them: the lake's catalog shows only the layers granted to the
//! user, so that nothing that lists or looks up names (information_schema, `SHOW TABLES`,
//! `SHOW COLUMNS`, `DESCRIBE`, the Flight SQL catalog commands, planning itself) can reveal the
//! tables or columns of another layer. The statement checks still refuse a read of such a
//! table by name, with a message that says why; this closes what no statement names.

use std::sync::Arc;

use datafusion::catalog::{CatalogProvider, CatalogProviderList, SchemaProvider};
use datafusion::error::Result;

use super::Layers;

/// Every catalog of `inner`, with the lake's catalog narrowed to `layers`.
#[derive(Debug)]
pub(crate) struct GrantedCatalogs {
    inner: Arc<dyn CatalogProviderList>,
    lake: String,
    layers: Layers,
}

impl GrantedCatalogs {
    pub(crate) fn new(inner: Arc<dyn CatalogProviderList>, lake: &str, layers: Layers) -> Self {
        Self {
            inner,
            lake: lake.to_string(),
            layers,
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
            layers: self.layers.clone(),
        }))
    }
}

/// The lake's catalog with only the granted layers in it.
#[derive(Debug)]
struct GrantedLayers {
    inner: Arc<dyn CatalogProvider>,
    layers: Layers,
}

impl CatalogProvider for GrantedLayers {
    fn schema_names(&self) -> Vec<String> {
        self.inner
            .schema_names()
            .into_iter()
            .filter(|layer| self.layers.allows(layer))
            .collect()
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        if self.layers.allows(name) {
            self.inner.schema(name)
        } else {
            None
        }
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
