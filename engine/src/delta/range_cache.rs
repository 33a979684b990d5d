//! The byte ranges of data files that queries read, kept in memory for the queries after them.
//!
//! A Delta data file never changes once written: a commit adds new files and removes old ones,
//! so a range read from a file stays true for as long as that file is. Dashboards and analysts
//! read the same columns of the same tables again and again; each read otherwise goes to the
//! object store (a network request on ADLS, S3 or GCS), or on local disk through a system call
//! that copies the page cache into a fresh buffer on a blocking thread. TPC-H at SF 10 took 0.85
//! of the time with its column chunks kept (Q07 0.69, Q06 0.83; `benches/README.md`), as DuckDB
//! keeps them in its own cache of external files.
//!
//! A range is known by its file's store, path, size and modification time (as the log records
//! them) and its offsets. The cache holds at most its budget (`EngineConfig::data_cache_bytes`);
//! the ranges least recently read go first. Under a memory limit it also holds its ranges in the
//! memory pool that bounds what queries hold, and gives them back when a query needs the memory
//! (see [`CacheYieldingPool`]), so that the limit bounds the whole process, as DuckDB's keeps its
//! cache of external files in its buffer pool. Two queries that miss the same range at once
//! both read it.

use std::ops::Range;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::ParquetFileReaderFactory;
use datafusion::execution::SessionState;
use datafusion::execution::cache::lru_queue::LruQueue;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryPool, MemoryReservation};
use datafusion::parquet::arrow::arrow_reader::ArrowReaderOptions;
use datafusion::parquet::arrow::async_reader::AsyncFileReader;
use datafusion::parquet::errors::Result as ParquetResult;
use datafusion::parquet::file::metadata::ParquetMetaData;
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use futures::FutureExt;
use futures::future::BoxFuture;

/// Byte ranges of data files, up to a budget in bytes; shared by every session of an engine.
pub struct RangeCache {
    budget: u64,
    kept: Mutex<Kept>,
}

struct Kept {
    ranges: LruQueue<RangeKey, Bytes>,
    bytes: u64,
    /// The kept bytes, as held in the memory pool of a bounded engine.
    reservation: Option<MemoryReservation>,
}

impl Kept {
    /// Lets go of the range least recently read; its size, or `None` when nothing is kept.
    fn evict_oldest(&mut self) -> Option<u64> {
        let (_, evicted) = self.ranges.pop()?;
        let size = evicted.len() as u64;
        self.bytes -= size;
        if let Some(reservation) = &self.reservation {
            reservation.shrink(size as usize);
        }
        Some(size)
    }

    /// Whether `size` more bytes fit in the memory pool, letting go of older ranges to make
    /// room; always so without a pool.
    fn make_room_in_pool(&mut self, size: u64) -> bool {
        while let Some(reservation) = &self.reservation {
            if reservation.try_grow(size as usize).is_ok() {
                return true;
            }
            if self.evict_oldest().is_none() {
                return false;
            }
        }
        true
    }
}

impl std::fmt::Debug for RangeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RangeCache")
            .field("budget", &self.budget)
            .field("held", &self.held())
            .finish()
    }
}

/// One version of one file: a file rewritten in place (never by Delta) has another. The store
/// is part of it, since a location is a path inside its store: the same path in two buckets (a
/// table copied, or a log written to point at another's file names) is two files.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct FileKey {
    store: Arc<str>,
    location: Arc<str>,
    size: u64,
    modified_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RangeKey {
    file: FileKey,
    start: u64,
    end: u64,
}

impl RangeCache {
    /// The cache of an engine or worker configured to keep `budget` bytes: none for 0.
    pub(crate) fn with_budget(
        budget: u64,
        pool: Option<&Arc<dyn MemoryPool>>,
    ) -> Option<Arc<Self>> {
        (budget > 0).then(|| Arc::new(Self::new(budget, pool)))
    }

    /// A cache of at most `budget` bytes; 0 keeps nothing. With a `pool`, what it keeps is also
    /// held there, within the pool's limit.
    pub fn new(budget: u64, pool: Option<&Arc<dyn MemoryPool>>) -> Self {
        let reservation = pool.map(|pool| MemoryConsumer::new("data cache").register(pool));
        Self {
            budget,
            kept: Mutex::new(Kept {
                ranges: LruQueue::new(),
                bytes: 0,
                reservation,
            }),
        }
    }

    /// The bytes the cache holds now.
    pub fn held(&self) -> u64 {
        self.kept.lock().map_or(0, |kept| kept.bytes)
    }

    /// The bytes the cache holds in the memory pool now: 0 without a pool.
    fn held_in_pool(&self) -> usize {
        self.kept.lock().map_or(0, |kept| {
            kept.reservation.as_ref().map_or(0, MemoryReservation::size)
        })
    }

    fn get(&self, key: &RangeKey) -> Option<Bytes> {
        self.kept.lock().ok()?.ranges.get(key).cloned()
    }

    fn insert(&self, key: RangeKey, bytes: &Bytes) {
        let size = bytes.len() as u64;
        // A range as large as a quarter of the budget would push out many that are read more.
        if size.saturating_mul(4) > self.budget {
            return;
        }
        let bytes = own_buffer(bytes);
        let Ok(mut kept) = self.kept.lock() else {
            return;
        };
        if kept.ranges.get(&key).is_some() {
            return;
        }
        while kept.bytes + size > self.budget && kept.evict_oldest().is_some() {}
        if !kept.make_room_in_pool(size) {
            return;
        }
        kept.ranges.put(key, bytes);
        kept.bytes += size;
    }

    /// Lets go of the ranges least recently read until `wanted` bytes are freed or none are
    /// left; returns the bytes freed.
    fn release(&self, wanted: u64) -> u64 {
        let Ok(mut kept) = self.kept.lock() else {
            return 0;
        };
        let mut freed = 0;
        while freed < wanted
            && let Some(size) = kept.evict_oldest()
        {
            freed += size;
        }
        freed
    }
}

/// The memory a session's queries hold: its pool's, but for the data cache's ranges where the
/// cache shares the pool.
pub(crate) struct QueryMemory {
    pool: Arc<dyn MemoryPool>,
    cache: Option<Arc<RangeCache>>,
}

impl QueryMemory {
    pub(crate) fn of(state: &SessionState) -> Self {
        Self {
            pool: Arc::clone(&state.runtime_env().memory_pool),
            cache: state.config().get_extension::<RangeCache>(),
        }
    }

    /// The bytes queries hold now.
    pub(crate) fn held(&self) -> usize {
        let cached = self.cache.as_ref().map_or(0, |cache| cache.held_in_pool());
        self.pool.reserved().saturating_sub(cached)
    }
}

/// The memory pool of an engine under a memory limit, shared by its queries and its data
/// cache: a query that needs memory held by cached ranges gets it, the ranges least recently
/// read leaving the cache first. Without it, the cache would sit on top of the limit, and a
/// limit set to fit a container would not.
#[derive(Debug)]
pub(crate) struct CacheYieldingPool {
    pool: Arc<dyn MemoryPool>,
    cache: Arc<RangeCache>,
}

impl CacheYieldingPool {
    /// `pool` (the cache's own reservation in it) giving back `cache`'s memory on demand.
    pub(crate) fn new(pool: Arc<dyn MemoryPool>, cache: Arc<RangeCache>) -> Self {
        Self { pool, cache }
    }
}

impl std::fmt::Display for CacheYieldingPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} shared with the data cache", self.pool)
    }
}

impl MemoryPool for CacheYieldingPool {
    fn name(&self) -> &str {
        self.pool.name()
    }

    fn register(&self, consumer: &MemoryConsumer) {
        self.pool.register(consumer)
    }

    fn unregister(&self, consumer: &MemoryConsumer) {
        self.pool.unregister(consumer)
    }

    fn grow(&self, reservation: &MemoryReservation, additional: usize) {
        self.pool.grow(reservation, additional)
    }

    fn shrink(&self, reservation: &MemoryReservation, shrink: usize) {
        self.pool.shrink(reservation, shrink)
    }

    /// As the pool's, but cached ranges leave to make room before a query is refused. The cache
    /// grows through the pool itself, never through here, so it never evicts for itself.
    fn try_grow(
        &self,
        reservation: &MemoryReservation,
        additional: usize,
    ) -> datafusion::error::Result<()> {
        loop {
            match self.pool.try_grow(reservation, additional) {
                Ok(()) => return Ok(()),
                Err(error) => {
                    if self.cache.release(additional as u64) == 0 {
                        return Err(error);
                    }
                }
            }
        }
    }

    fn reserved(&self) -> usize {
        self.pool.reserved()
    }

    fn memory_limit(&self) -> datafusion::execution::memory_pool::MemoryLimit {
        self.pool.memory_limit()
    }
}

/// Readers from `inner` whose byte ranges go through `cache`.
#[derive(Debug)]
pub(crate) struct CachedRanges {
    pub(crate) inner: Arc<dyn ParquetFileReaderFactory>,
    pub(crate) cache: Arc<RangeCache>,
    /// The scan's object store (its URL), which the files' locations are relative to.
    pub(crate) store: Arc<str>,
}

impl ParquetFileReaderFactory for CachedRanges {
    fn create_reader(
        &self,
        partition_index: usize,
        partitioned_file: PartitionedFile,
        metadata_size_hint: Option<usize>,
        metrics: &ExecutionPlanMetricsSet,
    ) -> datafusion::error::Result<Box<dyn AsyncFileReader + Send>> {
        let meta = &partitioned_file.object_meta;
        let file = FileKey {
            store: Arc::clone(&self.store),
            location: Arc::from(meta.location.as_ref()),
            size: meta.size,
            modified_ms: meta.last_modified.timestamp_millis(),
        };
        let inner = self.inner.create_reader(
            partition_index,
            partitioned_file,
            metadata_size_hint,
            metrics,
        )?;
        Ok(Box::new(CachedRangesReader {
            inner,
            file,
            cache: Arc::clone(&self.cache),
        }))
    }
}

struct CachedRangesReader {
    inner: Box<dyn AsyncFileReader + Send>,
    file: FileKey,
    cache: Arc<RangeCache>,
}

impl CachedRangesReader {
    fn key(&self, range: &Range<u64>) -> RangeKey {
        RangeKey {
            file: self.file.clone(),
            start: range.start,
            end: range.end,
        }
    }
}

/// `bytes` in a buffer of its own. A remote store fetches nearby ranges in one request and
/// hands out slices of it; kept as they are, each would hold the whole request's buffer, and the
/// cache would hold more than it counts. A range read alone (as from local disk) is kept as is.
fn own_buffer(bytes: &Bytes) -> Bytes {
    if bytes.is_unique() {
        bytes.clone()
    } else {
        Bytes::copy_from_slice(bytes)
    }
}

impl AsyncFileReader for CachedRangesReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, ParquetResult<Bytes>> {
        async move {
            let mut bytes = self.get_byte_ranges(vec![range]).await?;
            Ok(bytes.pop().unwrap_or_default())
        }
        .boxed()
    }

    /// The ranges the cache holds from it; the others from the file, in one request, and kept.
    fn get_byte_ranges(
        &mut self,
        ranges: Vec<Range<u64>>,
    ) -> BoxFuture<'_, ParquetResult<Vec<Bytes>>> {
        async move {
            let mut found: Vec<Option<Bytes>> = ranges
                .iter()
                .map(|range| self.cache.get(&self.key(range)))
                .collect();
            let missing: Vec<Range<u64>> = ranges
                .iter()
                .zip(&found)
                .filter(|(_, bytes)| bytes.is_none())
                .map(|(range, _)| range.clone())
                .collect();
            if !missing.is_empty() {
                let mut fetched = self.inner.get_byte_ranges(missing).await?.into_iter();
                for (range, slot) in ranges.iter().zip(found.iter_mut()) {
                    if slot.is_none() {
                        let bytes = fetched.next().unwrap_or_default();
                        self.cache.insert(self.key(range), &bytes);
                        *slot = Some(bytes);
                    }
                }
            }
            Ok(found.into_iter().map(Option::unwrap_or_default).collect())
        }
        .boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, ParquetResult<Arc<ParquetMetaData>>> {
        self.inner.get_metadata(options)
    }
}

#[cfg(test)]
mod tests {
    use datafusion::execution::memory_pool::GreedyMemoryPool;

    use super::*;

    fn key(start: u64, end: u64) -> RangeKey {
        RangeKey {
            file: FileKey {
                store: Arc::from("s3://lake/"),
                location: Arc::from("t/part-0.parquet"),
                size: 100,
                modified_ms: 1,
            },
            start,
            end,
        }
    }

    #[test]
    fn the_ranges_least_recently_read_leave_first_when_the_budget_is_reached() {
        let cache = RangeCache::new(100, None);
        cache.insert(key(0, 20), &Bytes::from(vec![1; 20]));
        cache.insert(key(20, 40), &Bytes::from(vec![2; 20]));
        cache.insert(key(40, 60), &Bytes::from(vec![3; 20]));
        // Read again: now the most recent.
        assert!(cache.get(&key(0, 20)).is_some());
        cache.insert(key(60, 85), &Bytes::from(vec![4; 25]));
        cache.insert(key(85, 100), &Bytes::from(vec![5; 15]));
        assert_eq!(cache.held(), 100);
        cache.insert(key(0, 10), &Bytes::from(vec![6; 10]));
        assert!(cache.get(&key(20, 40)).is_none(), "the oldest left");
        assert_eq!(cache.get(&key(0, 20)).as_deref(), Some(&[1u8; 20][..]));
        assert!(cache.held() <= 100);
    }

    #[test]
    fn a_range_too_large_for_the_budget_is_not_kept() {
        let cache = RangeCache::new(100, None);
        cache.insert(key(0, 10), &Bytes::from(vec![1; 10]));
        cache.insert(key(10, 40), &Bytes::from(vec![2; 30]));
        assert!(cache.get(&key(10, 40)).is_none());
        assert!(cache.get(&key(0, 10)).is_some());
        assert_eq!(cache.held(), 10);
    }

    /// A pool of `limit` bytes shared by a cache (of a much larger budget) and queries.
    fn shared_pool(limit: usize) -> (Arc<RangeCache>, Arc<dyn MemoryPool>) {
        let pool: Arc<dyn MemoryPool> = Arc::new(GreedyMemoryPool::new(limit));
        let cache = Arc::new(RangeCache::new(1000, Some(&pool)));
        let shared: Arc<dyn MemoryPool> =
            Arc::new(CacheYieldingPool::new(pool, Arc::clone(&cache)));
        (cache, shared)
    }

    #[test]
    fn under_a_memory_limit_the_cache_keeps_what_fits_beside_the_queries() {
        let (cache, pool) = shared_pool(100);
        let query = MemoryConsumer::new("query").register(&pool);
        query.try_grow(50).unwrap();
        for start in (0..100).step_by(20) {
            cache.insert(key(start, start + 20), &Bytes::from(vec![1; 20]));
        }
        assert_eq!(
            cache.held(),
            40,
            "the newest two ranges, beside the query's 50 bytes"
        );
        assert!(cache.get(&key(80, 100)).is_some() && cache.get(&key(0, 20)).is_none());
        assert_eq!(pool.reserved(), 90);
        drop(query);
        assert_eq!(pool.reserved(), 40);
    }

    #[test]
    fn a_query_gets_memory_the_cache_held_the_oldest_ranges_leaving_first() {
        let (cache, pool) = shared_pool(100);
        for start in (0..100).step_by(20) {
            cache.insert(key(start, start + 20), &Bytes::from(vec![1; 20]));
        }
        assert!(
            cache.get(&key(0, 20)).is_some(),
            "read again: now the most recent"
        );
        assert_eq!(pool.reserved(), 100);
        let query = MemoryConsumer::new("query").register(&pool);
        query
            .try_grow(50)
            .expect("the cache makes room for the query");
        assert_eq!(cache.held(), 40);
        assert!(cache.get(&key(0, 20)).is_some() && cache.get(&key(80, 100)).is_some());
        assert!(cache.get(&key(20, 40)).is_none());
        // More than the whole limit: refused, and the cache has given all it could.
        assert!(query.try_grow(60).is_err());
        assert_eq!((cache.held(), query.size()), (0, 50));
    }

    #[test]
    fn a_slice_of_a_larger_fetch_is_kept_apart_from_it() {
        let fetched = Bytes::from(vec![7u8; 1000]);
        let slice = fetched.slice(100..110);
        let kept = own_buffer(&slice);
        assert_eq!(kept, slice);
        let whole = fetched.as_ptr_range();
        assert!(
            !whole.contains(&kept.as_ptr()),
            "a copy, not the fetch's buffer"
        );
        let alone = Bytes::from(vec![1u8; 10]);
        assert_eq!(
            own_buffer(&alone).as_ptr(),
            alone.as_ptr(),
            "read alone: not copied"
        );
    }

    #[test]
    fn another_version_of_a_file_is_another_key() {
        let cache = RangeCache::new(100, None);
        cache.insert(key(0, 10), &Bytes::from(vec![1; 10]));
        let mut rewritten = key(0, 10);
        rewritten.file.modified_ms = 2;
        assert!(cache.get(&rewritten).is_none());
    }

    #[test]
    fn the_same_path_in_another_store_is_another_file() {
        let cache = RangeCache::new(100, None);
        cache.insert(key(0, 10), &Bytes::from(vec![1; 10]));
        let mut elsewhere = key(0, 10);
        elsewhere.file.store = Arc::from("s3://other/");
        assert!(cache.get(&elsewhere).is_none());
    }
}
