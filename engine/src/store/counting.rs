//! Counting the requests a query makes of its object stores. On a remote store each request
//! costs 10-100 ms, so the count is the speed: it is shown to users (`\timing`, the server's
//! query log) and asserted in tests.

use std::fmt;
use std::ops::{Range, Sub};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions, Result,
};

/// How many requests of each kind were made, and how many bytes they moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestCounts {
    /// Listings: one per page a store returns.
    pub list: u64,
    /// Metadata reads of one object.
    pub head: u64,
    /// Reads of an object or of a range of one.
    pub get: u64,
    /// Writes, copies and renames.
    pub put: u64,
    /// Deletions.
    pub delete: u64,
    /// Bytes the reads returned.
    pub bytes_read: u64,
    /// Bytes the writes sent.
    pub bytes_written: u64,
}

impl RequestCounts {
    /// Every request, of any kind.
    pub fn total(&self) -> u64 {
        self.list + self.head + self.get + self.put + self.delete
    }
}

impl Sub for RequestCounts {
    type Output = RequestCounts;

    /// The requests made between two readings of the same counter.
    fn sub(self, earlier: RequestCounts) -> RequestCounts {
        RequestCounts {
            list: self.list.saturating_sub(earlier.list),
            head: self.head.saturating_sub(earlier.head),
            get: self.get.saturating_sub(earlier.get),
            put: self.put.saturating_sub(earlier.put),
            delete: self.delete.saturating_sub(earlier.delete),
            bytes_read: self.bytes_read.saturating_sub(earlier.bytes_read),
            bytes_written: self.bytes_written.saturating_sub(earlier.bytes_written),
        }
    }
}

impl fmt::Display for RequestCounts {
    /// `5 requests (1 LIST, 1 HEAD, 3 GET; 12.0 KiB read)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.total();
        write!(f, "{total} request{}", if total == 1 { "" } else { "s" })?;
        let kinds: Vec<String> = [
            (self.list, "LIST"),
            (self.head, "HEAD"),
            (self.get, "GET"),
            (self.put, "PUT"),
            (self.delete, "DELETE"),
        ]
        .iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, kind)| format!("{count} {kind}"))
        .collect();
        let mut moved = Vec::new();
        if self.bytes_read > 0 {
            moved.push(format!("{} read", human_bytes(self.bytes_read)));
        }
        if self.bytes_written > 0 {
            moved.push(format!("{} written", human_bytes(self.bytes_written)));
        }
        match (kinds.is_empty(), moved.is_empty()) {
            (true, _) => Ok(()),
            (false, true) => write!(f, " ({})", kinds.join(", ")),
            (false, false) => write!(f, " ({}; {})", kinds.join(", "), moved.join(", ")),
        }
    }
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// The requests made since a moment: hold one for a query's life, read it at the end.
#[derive(Debug, Clone)]
pub struct RequestWatch {
    start: RequestCounts,
    counter: Arc<RequestCounter>,
}

impl RequestWatch {
    pub(crate) fn new(counter: Arc<RequestCounter>) -> Self {
        Self {
            start: counter.read(),
            counter,
        }
    }

    /// The requests made since the watch began (by every query of the engine: a busy server
    /// shows its neighbours' requests too).
    pub fn elapsed(&self) -> RequestCounts {
        self.counter.read() - self.start
    }
}

/// The running totals of every store of one engine.
#[derive(Debug, Default)]
pub(crate) struct RequestCounter {
    list: AtomicU64,
    head: AtomicU64,
    get: AtomicU64,
    put: AtomicU64,
    delete: AtomicU64,
    bytes_read: AtomicU64,
    bytes_written: AtomicU64,
}

impl RequestCounter {
    pub(crate) fn read(&self) -> RequestCounts {
        RequestCounts {
            list: self.list.load(Ordering::Relaxed),
            head: self.head.load(Ordering::Relaxed),
            get: self.get.load(Ordering::Relaxed),
            put: self.put.load(Ordering::Relaxed),
            delete: self.delete.load(Ordering::Relaxed),
            bytes_read: self.bytes_read.load(Ordering::Relaxed),
            bytes_written: self.bytes_written.load(Ordering::Relaxed),
        }
    }

    fn add(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Ordering::Relaxed);
    }
}

/// An object store that counts what passes through it. It leaves `get_ranges` to the trait's
/// default, which splits a vectored read into the ranged GETs a remote store would send, so
/// each is counted as the request it is.
#[derive(Debug)]
pub(crate) struct CountingStore {
    inner: Arc<dyn ObjectStore>,
    counter: Arc<RequestCounter>,
}

impl CountingStore {
    pub(crate) fn new(inner: Arc<dyn ObjectStore>, counter: Arc<RequestCounter>) -> Self {
        Self { inner, counter }
    }
}

impl fmt::Display for CountingStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Counting({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for CountingStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        RequestCounter::add(&self.counter.put, 1);
        RequestCounter::add(&self.counter.bytes_written, payload.content_length() as u64);
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        RequestCounter::add(&self.counter.put, 1);
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        let head = options.head;
        RequestCounter::add(
            if head {
                &self.counter.head
            } else {
                &self.counter.get
            },
            1,
        );
        let result = self.inner.get_opts(location, options).await?;
        if !head {
            let Range { start, end } = result.range;
            RequestCounter::add(&self.counter.bytes_read, end.saturating_sub(start));
        }
        Ok(result)
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        let counter = self.counter.clone();
        let counted = locations
            .inspect(move |_| RequestCounter::add(&counter.delete, 1))
            .boxed();
        self.inner.delete_stream(counted)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        RequestCounter::add(&self.counter.list, 1);
        self.inner.list(prefix)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        RequestCounter::add(&self.counter.list, 1);
        self.inner.list_with_offset(prefix, offset)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        RequestCounter::add(&self.counter.list, 1);
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        RequestCounter::add(&self.counter.put, 1);
        self.inner.copy_opts(from, to, options).await
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: RenameOptions) -> Result<()> {
        RequestCounter::add(&self.counter.put, 1);
        self.inner.rename_opts(from, to, options).await
    }
}

#[cfg(test)]
mod tests {
    use object_store::ObjectStoreExt as _;
    use object_store::memory::InMemory;

    use super::*;

    #[tokio::test]
    async fn each_kind_of_request_is_counted_once() {
        let counter = Arc::new(RequestCounter::default());
        let store = CountingStore::new(Arc::new(InMemory::new()), counter.clone());
        let path = Path::from("t/_delta_log/00000000000000000000.json");
        store
            .put(&path, PutPayload::from_static(b"{}\n"))
            .await
            .unwrap();
        store.head(&path).await.unwrap();
        store.get(&path).await.unwrap().bytes().await.unwrap();
        let _: Vec<_> = store.list(Some(&Path::from("t"))).collect().await;
        let counts = counter.read();
        assert_eq!(
            (counts.put, counts.head, counts.get, counts.list),
            (1, 1, 1, 1)
        );
        assert_eq!((counts.bytes_read, counts.bytes_written), (3, 3));
        assert_eq!(
            counts.to_string(),
            "4 requests (1 LIST, 1 HEAD, 1 GET, 1 PUT; 3 B read, 3 B written)"
        );
    }

    #[test]
    fn the_difference_of_two_readings_is_what_happened_between() {
        let before = RequestCounts {
            list: 2,
            get: 5,
            ..RequestCounts::default()
        };
        let after = RequestCounts {
            list: 3,
            get: 5,
            bytes_read: 2048,
            ..RequestCounts::default()
        };
        assert_eq!(
            (after - before).to_string(),
            "1 request (1 LIST; 2.0 KiB read)"
        );
        assert_eq!(RequestCounts::default().to_string(), "0 requests");
    }
}
