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
    /// `delta/range_cache.rs`); 0 keeps none. A quarter of the machine's memory by default.
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

/// A quarter of the machine's memory (`MemTotal` in `/proc/meminfo`); 1 GiB where that cannot
/// be read.
fn quarter_of_memory() -> u64 {
    let total_kib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            let line = info.lines().find(|line| line.starts_with("MemTotal:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        });
    total_kib.map_or(1 << 30, |kib| kib * 1024 / 4)
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
