use std::path::PathBuf;
use std::time::Duration;

use std::sync::Arc;

use crate::access::AccessConfig;
use crate::distributed::Distribution;
use crate::store::StorageOptions;

/// How to open a lake and how much of the machine a query may use.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The lake root: a local path or an object-store URI. `None` opens an empty catalog, where
    /// `delta_scan(...)`, `COPY` and plain SQL still work.
    pub lake: Option<String>,
    /// The name of the catalog the lake becomes.
    pub catalog_name: String,
    /// Options for the object stores (credentials, endpoints, timeouts), for every location and
    /// by URI prefix; passed to delta-rs' store crates as they are.
    pub storage: StorageOptions,
    /// How old a look at a table's log a query may reuse, unless a session sets
    /// `lakeshore.max_staleness`; zero (always fresh) by default.
    pub max_staleness: Duration,
    /// Memory a query may hold, in bytes; operators that can spill go to disk past it.
    /// `None` means no limit.
    pub memory_limit: Option<usize>,
    /// Where spilled data goes; the system's temporary folder when `None`.
    pub spill_dir: Option<PathBuf>,
    /// Bytes of data files kept in memory for the queries that read them again (see
    /// `delta/range_cache.rs`); 0 keeps none. By default a quarter of the machine's or
    /// container's memory. Under a `memory_limit`, within that limit too.
    pub data_cache_bytes: u64,
    /// Parallelism of a query; defaults to the number of cores.
    pub target_partitions: usize,
    /// Rows per record batch.
    pub batch_size: usize,
    /// Refuse every statement that writes: DDL, DML and ingest.
    pub read_only: bool,
    /// Where views and external tables are kept; `<lake>/_lakeshore` when `None`.
    pub catalog_location: Option<String>,
    /// The access policy's places: with one, the engine reads only inside the lake and these
    /// prefixes, and checks each user's role and layers (see [`crate::Engine::as_user`]).
    /// `None` (the embedded shell) leaves every statement unrestricted.
    pub access: Option<AccessConfig>,
    /// Run queries on a cluster: the engine plans as a coordinator and the distribution ships
    /// stages to its workers. `None` (the default) runs everything in this process.
    pub distribution: Option<Arc<dyn Distribution>>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            lake: None,
            catalog_name: "lake".to_string(),
            storage: StorageOptions::default(),
            max_staleness: Duration::ZERO,
            memory_limit: None,
            spill_dir: None,
            data_cache_bytes: quarter_of_memory(),
            target_partitions: std::thread::available_parallelism().map_or(1, |n| n.get()),
            batch_size: 8192,
            read_only: false,
            catalog_location: None,
            access: None,
            distribution: None,
        }
    }
}

/// A quarter of the memory this process may use: the machine's (`MemTotal` in `/proc/meminfo`),
/// or its container's limit when lower, since a container sees the host's `/proc/meminfo`
/// (cgroup v2's `memory.max`, else v1's `memory.limit_in_bytes`); 1 GiB where neither is known.
fn quarter_of_memory() -> u64 {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let cgroup_limit = read("/sys/fs/cgroup/memory.max")
        .or_else(|| read("/sys/fs/cgroup/memory/memory.limit_in_bytes"));
    usable_memory(read("/proc/meminfo").as_deref(), cgroup_limit.as_deref())
        .map_or(1 << 30, |bytes| bytes / 4)
}

/// The lower of `meminfo`'s `MemTotal` and a cgroup's memory limit (`max`: none), in bytes.
fn usable_memory(meminfo: Option<&str>, cgroup_limit: Option<&str>) -> Option<u64> {
    let total = meminfo.and_then(|info| {
        let line = info.lines().find(|line| line.starts_with("MemTotal:"))?;
        let kib = line.split_whitespace().nth(1)?.parse::<u64>().ok()?;
        kib.checked_mul(1024)
    });
    let limit = cgroup_limit.and_then(|text| text.trim().parse::<u64>().ok());
    match (total, limit) {
        (Some(total), Some(limit)) => Some(total.min(limit)),
        (total, limit) => total.or(limit),
    }
}

impl EngineConfig {
    /// A configuration for the lake at `lake`, defaults elsewhere.
    pub fn for_lake(lake: impl Into<String>) -> Self {
        Self {
            lake: Some(lake.into()),
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::usable_memory;

    const MEMINFO: &str = "MemTotal:       24683772 kB\nMemFree:         1000000 kB\n";

    #[test]
    fn a_containers_limit_below_the_machines_memory_is_what_may_be_used() {
        assert_eq!(
            usable_memory(Some(MEMINFO), Some("4294967296\n")),
            Some(4 << 30)
        );
        // No limit: cgroup v2 writes `max`, v1 a number larger than any machine.
        assert_eq!(
            usable_memory(Some(MEMINFO), Some("max\n")),
            Some(24683772 * 1024)
        );
        assert_eq!(
            usable_memory(Some(MEMINFO), Some("9223372036854771712")),
            Some(24683772 * 1024)
        );
        assert_eq!(usable_memory(None, Some("1073741824")), Some(1 << 30));
        assert_eq!(usable_memory(Some("garbage"), None), None);
    }
}
