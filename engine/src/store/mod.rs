//! The object stores an engine reads and writes: local disk, ADLS Gen2 / Azure Blob, S3 and
//! GCS, through delta-rs' own store crates.
//!
//! One client per bucket (or container) and set of options, shared by every table in it, so
//! connections and credentials are reused; every request goes through a [`CountingStore`], so
//! a query's cost on a remote store can be shown and tested.

mod counting;
mod options;
mod registry;
pub(crate) mod secrets;

use std::collections::HashMap;
use std::sync::{Arc, Once};

use deltalake::DeltaTableBuilder;
use deltalake::logstore::{StorageConfig, object_store_factories};
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreScheme};
use parking_lot::Mutex;
use url::Url;

pub(crate) use counting::{CountingStore, RequestCounter};
pub use counting::{RequestCounts, RequestWatch};
pub use options::StorageOptions;
pub(crate) use registry::LakeObjectStoreRegistry;
pub use secrets::RedactedStderr;

use crate::error::{EngineError, Result};
use crate::location::display_url;

/// Object stores by bucket, built on first use.
#[derive(Debug)]
pub(crate) struct ObjectStores {
    options: StorageOptions,
    counter: Arc<RequestCounter>,
    /// Root stores (of a whole bucket or container) by [`store_key`].
    roots: Mutex<HashMap<String, Arc<dyn ObjectStore>>>,
}

impl ObjectStores {
    pub(crate) fn new(options: StorageOptions) -> Self {
        register_store_handlers();
        secrets::remember(&options);
        Self {
            options,
            counter: Arc::new(RequestCounter::default()),
            roots: Mutex::new(HashMap::new()),
        }
    }

    /// A watch on the requests made through these stores from now on.
    pub(crate) fn watch(&self) -> RequestWatch {
        RequestWatch::new(self.counter.clone())
    }

    /// The options for `url`: the configured ones for its prefix, with defaults for what a
    /// remote store must bound (timeouts, retries).
    pub(crate) fn options_for(&self, url: &Url) -> HashMap<String, String> {
        self.options.for_location(url)
    }

    /// The store of the bucket (or container, or local file system) that holds `url`.
    pub(crate) fn root_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        let options = self.options_for(url);
        let key = store_key(url, &options);
        if let Some(store) = self.roots.lock().get(&key) {
            return Ok(store.clone());
        }
        let invalid = |reason: String| EngineError::InvalidLocation {
            location: display_url(url),
            reason,
        };
        let scheme = Url::parse(&format!("{}://", url.scheme()))
            .map_err(|e| invalid(format!("not a store URI: {e}")))?;
        let factory = object_store_factories()
            .get(&scheme)
            .map(|entry| entry.value().clone())
            .ok_or_else(|| {
                invalid(format!(
                    "{}:// is not a store Lakeshore reads; use a local path, file://, s3://, \
                     s3a://, az://, abfs://, abfss://, adl:// or gs://",
                    url.scheme()
                ))
            })?;
        refuse_unsafe_commits(url, &options).map_err(invalid)?;
        let config = StorageConfig::parse_options(options.clone())
            .map_err(|e| invalid(format!("invalid storage options: {e}")))?;
        let (store, _) = factory
            .parse_url_opts(url, &config)
            .map_err(|e| invalid(secrets::redact(&e.to_string())))?;
        let store: Arc<dyn ObjectStore> = Arc::new(CountingStore::new(store, self.counter.clone()));
        Ok(self.roots.lock().entry(key).or_insert(store).clone())
    }

    /// A store rooted at the folder `url`, for listing and keeping files below it.
    pub(crate) fn folder_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        let root = self.root_store(url)?;
        let path = path_in_store(url)?;
        if path.as_ref().is_empty() {
            return Ok(root);
        }
        Ok(Arc::new(PrefixStore::new(root, path)))
    }

    /// A delta-rs table builder for the table at `url` that uses the shared store of its
    /// bucket (through `store`, when given, a view of that store).
    pub(crate) fn table_builder(
        &self,
        url: &Url,
        store: Option<Arc<dyn ObjectStore>>,
    ) -> Result<DeltaTableBuilder> {
        let store = match store {
            Some(store) => store,
            None => self.root_store(url)?,
        };
        let builder =
            DeltaTableBuilder::from_url(url.clone()).map_err(|e| EngineError::InvalidLocation {
                location: display_url(url),
                reason: e.to_string(),
            })?;
        Ok(builder
            .with_storage_backend(store, url.clone())
            .with_storage_options(self.options_for(url)))
    }
}

/// One key per bucket and options: two lakes on two accounts, or one bucket reached with two
/// sets of credentials, get clients of their own.
fn store_key(url: &Url, options: &HashMap<String, String>) -> String {
    let mut options: Vec<_> = options.iter().collect();
    options.sort();
    format!("{}|{options:?}", &url[..url::Position::BeforePath])
}

/// A Delta commit is the creation of the next log file, and on S3 delta-rs creates it with a
/// conditional put (`If-None-Match: *`) that only one of two racing writers can win. Its
/// opt-ins to an unlocked rename (or to the DynamoDB lock it no longer implements, which ends
/// in the same rename) let the second writer replace the first one's commit without an
/// error: a lost write. Refused, by option or by environment, rather than silently risked.
fn refuse_unsafe_commits(
    url: &Url,
    options: &HashMap<String, String>,
) -> std::result::Result<(), String> {
    if !matches!(url.scheme(), "s3" | "s3a") {
        return Ok(());
    }
    let setting = |key: &str| {
        let upper = key.to_ascii_uppercase();
        options
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(key))
            .map(|(_, value)| value.clone())
            .or_else(|| std::env::var(&upper).ok())
    };
    let truthy = |value: &str| {
        matches!(
            value.to_ascii_lowercase().as_str(),
            "1" | "true" | "on" | "yes" | "y"
        )
    };
    if setting("aws_s3_allow_unsafe_rename").is_some_and(|value| truthy(&value)) {
        return Err(
            "aws_s3_allow_unsafe_rename is set: Lakeshore commits to S3 with a \
                    conditional put, which S3, MinIO and Ceph support, because a commit by \
                    rename can be overwritten by a concurrent writer; remove the option"
                .to_string(),
        );
    }
    if setting("aws_s3_locking_provider").is_some() {
        return Err(
            "aws_s3_locking_provider is set: delta-rs no longer implements the \
                    DynamoDB lock and would commit by rename; Lakeshore commits to S3 with a \
                    conditional put, so remove the option"
                .to_string(),
        );
    }
    Ok(())
}

/// Where `url` is inside its bucket's store.
pub(crate) fn path_in_store(url: &Url) -> Result<Path> {
    let (_, path) = ObjectStoreScheme::parse(url).map_err(|e| EngineError::InvalidLocation {
        location: display_url(url),
        reason: e.to_string(),
    })?;
    Ok(path)
}

/// delta-rs finds a store by URL scheme in a registry its store crates fill. They can do it
/// themselves at start-up, but saying so here keeps the set of schemes we serve in one place.
/// An engine does it when it opens; call it before using delta-rs directly on a store URI.
pub fn register_store_handlers() {
    static REGISTERED: Once = Once::new();
    REGISTERED.call_once(|| {
        deltalake::aws::register_handlers(None);
        deltalake::azure::register_handlers(None);
        deltalake::gcp::register_handlers(None);
    });
}
