//! DataFusion's own reads and writes of files (`COPY ... TO`, external Parquet or CSV tables)
//! find their store by URL in the runtime's registry. Stores registered there (delta-rs
//! registers each table's) are used as they are; any other `s3://`, `az://`, `gs://` ...
//! location gets the engine's shared, counted store of its bucket.

use std::sync::Arc;

use datafusion::error::{DataFusionError, Result};
use datafusion::execution::object_store::{DefaultObjectStoreRegistry, ObjectStoreRegistry};
use object_store::ObjectStore;
use url::Url;

use super::ObjectStores;

#[derive(Debug)]
pub(crate) struct LakeObjectStoreRegistry {
    registered: DefaultObjectStoreRegistry,
    stores: Arc<ObjectStores>,
}

impl LakeObjectStoreRegistry {
    pub(crate) fn new(stores: Arc<ObjectStores>) -> Self {
        let registered = DefaultObjectStoreRegistry::new();
        // It starts with an uncounted local file system: without it, local files go to the
        // counted store as remote ones do, so a local lake's reads are counted and tested too.
        if let Ok(local) = Url::parse("file:///") {
            let _ = registered.deregister_store(&local);
        }
        Self { registered, stores }
    }
}

impl ObjectStoreRegistry for LakeObjectStoreRegistry {
    fn register_store(
        &self,
        url: &Url,
        store: Arc<dyn ObjectStore>,
    ) -> Option<Arc<dyn ObjectStore>> {
        self.registered.register_store(url, store)
    }

    fn deregister_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        self.registered.deregister_store(url)
    }

    fn get_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        if let Ok(store) = self.registered.get_store(url) {
            return Ok(store);
        }
        self.stores
            .root_store(url)
            .map_err(|error| DataFusionError::External(Box::new(error)))
    }
}
