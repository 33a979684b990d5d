//! delta-rs reads a table's log more than once while it loads a snapshot and plans its first
//! scan: the checkpoint's footer three times, each commit after it twice. On a remote store
//! each read is a request of 10-100 ms, so the log files of one load are kept in memory until
//! the load is done, and every file is fetched once.
//!
//! Only versioned log files are kept (`00000000000000000042.json`, checkpoints): Delta never
//! rewrites them, and a table deleted and written again is read through a new cache (the
//! refresher notices the replacement before it reads). `_last_checkpoint`, which changes, is
//! always fetched.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    Attributes, CopyOptions, GetOptions, GetRange, GetResult, GetResultPayload, ListResult,
    MultipartUpload, ObjectMeta, ObjectStore, PutMultipartOptions, PutOptions, PutPayload,
    PutResult, Result,
};
use parking_lot::Mutex;

use super::refresher::log_file_version;

/// At most this many bytes are kept: a larger checkpoint is read as delta-rs asks, uncached.
const MAX_CACHED_BYTES: usize = 64 * 1024 * 1024;

/// One read of a log file, as the store answered it.
#[derive(Debug, Clone)]
struct CachedRead {
    meta: ObjectMeta,
    range: Range<u64>,
    attributes: Attributes,
    bytes: Bytes,
}

/// A table's store that answers repeated reads of log files from memory until [`clear`]ed.
///
/// [`clear`]: LogFileCache::clear
#[derive(Debug)]
pub(crate) struct LogFileCache {
    inner: Arc<dyn ObjectStore>,
    reads: Mutex<HashMap<(Path, Option<String>), CachedRead>>,
    cached_bytes: Mutex<usize>,
}

impl LogFileCache {
    pub(crate) fn new(inner: Arc<dyn ObjectStore>) -> Self {
        Self {
            inner,
            reads: Mutex::new(HashMap::new()),
            cached_bytes: Mutex::new(0),
        }
    }

    /// Forgets every read: the load that needed them is done.
    pub(crate) fn clear(&self) {
        self.reads.lock().clear();
        *self.cached_bytes.lock() = 0;
    }
}

impl fmt::Display for LogFileCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.inner)
    }
}

/// Whether `location` is a log file Delta never rewrites.
fn is_versioned_log_file(location: &Path) -> bool {
    let mut parts = location.parts().collect::<Vec<_>>().into_iter().rev();
    let file = parts.next();
    let folder = parts.next();
    folder.is_some_and(|f| f.as_ref() == "_delta_log")
        && file.is_some_and(|f| log_file_version(f.as_ref()).is_some())
}

/// The part of a read's options that decides its bytes; reads with other conditions (an
/// `if_match`, a version) are not cached at all.
fn cache_key(location: &Path, options: &GetOptions) -> Option<(Path, Option<String>)> {
    let plain = options.if_match.is_none()
        && options.if_none_match.is_none()
        && options.if_modified_since.is_none()
        && options.if_unmodified_since.is_none()
        && options.version.is_none()
        && !options.head;
    (plain && is_versioned_log_file(location)).then(|| {
        let range = options
            .range
            .as_ref()
            .map(|range: &GetRange| format!("{range:?}"));
        (location.clone(), range)
    })
}

fn served(read: CachedRead) -> GetResult {
    let bytes = read.bytes;
    GetResult {
        payload: GetResultPayload::Stream(futures::stream::once(async move { Ok(bytes) }).boxed()),
        meta: read.meta,
        range: read.range,
        attributes: read.attributes,
    }
}

#[async_trait]
impl ObjectStore for LogFileCache {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        let Some(key) = cache_key(location, &options) else {
            return self.inner.get_opts(location, options).await;
        };
        if let Some(read) = self.reads.lock().get(&key).cloned() {
            return Ok(served(read));
        }
        let result = self.inner.get_opts(location, options).await?;
        let read = CachedRead {
            meta: result.meta.clone(),
            range: result.range.clone(),
            attributes: result.attributes.clone(),
            bytes: result.bytes().await?,
        };
        {
            let mut cached_bytes = self.cached_bytes.lock();
            if *cached_bytes + read.bytes.len() <= MAX_CACHED_BYTES {
                *cached_bytes += read.bytes.len();
                self.reads.lock().insert(key, read.clone());
            }
        }
        Ok(served(read))
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list_with_offset(prefix, offset)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

#[cfg(test)]
mod tests {
    use object_store::ObjectStoreExt as _;
    use object_store::memory::InMemory;

    use super::*;

    #[tokio::test]
    async fn a_commit_is_fetched_once_until_the_cache_is_cleared() {
        let memory = Arc::new(InMemory::new());
        let commit = Path::from("t/_delta_log/00000000000000000003.json");
        let pointer = Path::from("t/_delta_log/_last_checkpoint");
        memory
            .put(&commit, PutPayload::from_static(b"{}\n"))
            .await
            .unwrap();
        memory
            .put(&pointer, PutPayload::from_static(b"{\"version\":1}"))
            .await
            .unwrap();
        let cache = LogFileCache::new(memory.clone());
        assert_eq!(
            cache.get(&commit).await.unwrap().bytes().await.unwrap(),
            "{}\n"
        );
        // Changed underneath (as no Delta writer does): the cached read is served.
        memory
            .put(&commit, PutPayload::from_static(b"[]\n"))
            .await
            .unwrap();
        memory
            .put(&pointer, PutPayload::from_static(b"{\"version\":2}"))
            .await
            .unwrap();
        assert_eq!(
            cache.get(&commit).await.unwrap().bytes().await.unwrap(),
            "{}\n"
        );
        // `_last_checkpoint` is never kept.
        let pointer_now = cache.get(&pointer).await.unwrap().bytes().await.unwrap();
        assert_eq!(pointer_now, "{\"version\":2}");
        cache.clear();
        assert_eq!(
            cache.get(&commit).await.unwrap().bytes().await.unwrap(),
            "[]\n"
        );
    }
}
