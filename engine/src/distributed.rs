//! What the engine offers a distributed engine that runs its plans on other machines (the
//! `lakeshore-cluster` crate, on datafusion-distributed): Delta scans that travel, their codec,
//! and the session a worker runs its share of a query in. The engine itself knows no network.
//!
//! A coordinator is an [`crate::Engine`] opened with a [`Distribution`]: its Delta scans are
//! planned as portable scans (see [`split_delta_scan`]) and the distribution adds its planner
//! to the engine's session. A worker is a [`ScanWorker`]: the same object stores and functions,
//! and the codec that turns a scan's few bytes back into a scan of its files.

use std::fmt;
use std::sync::Arc;

use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::future::BoxFuture;

pub use crate::delta::DeltaScanCodec;
use crate::delta::{PinnedSnapshots, PortableDeltaScanExec, RangeCache};
use crate::store::{LakeObjectStoreRegistry, ObjectStores, StorageOptions};

/// Turns an engine's session into a coordinator's: given in [`crate::EngineConfig`], it adds a
/// distributed planner to the session and registers `codec` with it, so that the Delta scans in
/// the stages it ships can be encoded.
///
/// A cluster loses workers. A query that fails having lost one before its first row runs
/// again, up to [`Distribution::reruns`] times, and the distribution plans it on the workers
/// left: see `rerun.rs`.
pub trait Distribution: fmt::Debug + Send + Sync {
    fn coordinate(
        &self,
        session: SessionStateBuilder,
        codec: Arc<DeltaScanCodec>,
    ) -> SessionStateBuilder;

    /// How many times the cluster has lost a worker since it was opened. A distribution that
    /// does not count them (the default) never has a query run again.
    fn workers_lost(&self) -> u64 {
        0
    }

    /// Asks the workers not lost lately whether they are there, counting those that do not
    /// answer as lost (a query may first fail on what one worker says of another), and gives
    /// how many answered.
    fn probe_workers(&self) -> BoxFuture<'_, usize> {
        Box::pin(std::future::ready(0))
    }

    /// How many times a query that lost a worker may run again.
    fn reruns(&self) -> usize {
        0
    }
}

/// The number of data files a portable Delta scan reads; `None` for any other plan. A planner
/// asks how many tasks such a scan is worth.
pub fn delta_scan_files(plan: &Arc<dyn ExecutionPlan>) -> Option<usize> {
    plan.downcast_ref::<PortableDeltaScanExec>()
        .map(PortableDeltaScanExec::file_count)
}

/// The URLs of the data files a portable Delta scan reads, partition by partition; `None` for
/// any other plan. A distributed engine sends the tasks that read the same files to the same
/// workers, whose data caches then hold them.
pub fn delta_scan_file_urls(
    plan: &Arc<dyn ExecutionPlan>,
) -> Option<impl Iterator<Item = &str> + '_> {
    let scan = plan.downcast_ref::<PortableDeltaScanExec>()?;
    Some(scan.file_groups().iter().flatten().map(String::as_str))
}

/// A portable Delta scan cut into `tasks` parts that read disjoint sets of its files and
/// together read them all, each with the scan's number of output partitions; `None` for any
/// other plan.
pub fn split_delta_scan(
    plan: &Arc<dyn ExecutionPlan>,
    tasks: usize,
) -> Option<Vec<Arc<dyn ExecutionPlan>>> {
    let scan = plan.downcast_ref::<PortableDeltaScanExec>()?;
    Some(
        scan.split(tasks)
            .into_iter()
            .map(|part| Arc::new(part) as Arc<dyn ExecutionPlan>)
            .collect(),
    )
}

/// What a worker needs to run the stages a coordinator sends: the object stores (with the
/// worker's own storage options: credentials are never sent with a plan), the snapshots its
/// scans read, and the SQL functions the engine adds to DataFusion's.
#[derive(Debug)]
pub struct ScanWorker {
    snapshots: Arc<PinnedSnapshots>,
    runtime: Arc<RuntimeEnv>,
    /// The data files' byte ranges this worker's scans read, kept for the next stages that
    /// read them (see `delta/range_cache.rs`); `None` keeps none.
    data_cache: Option<Arc<RangeCache>>,
}

impl ScanWorker {
    /// A worker reaching the stores with `storage`, keeping up to `data_cache_bytes` of the
    /// data files it reads (0: none).
    pub fn new(storage: StorageOptions, data_cache_bytes: u64) -> crate::Result<Self> {
        crate::store::register_store_handlers();
        let stores = Arc::new(ObjectStores::new(storage));
        let runtime = RuntimeEnvBuilder::new()
            .with_object_store_registry(Arc::new(LakeObjectStoreRegistry::new(stores.clone())))
            .build_arc()?;
        Ok(Self {
            snapshots: Arc::new(PinnedSnapshots::new(stores)),
            runtime,
            data_cache: RangeCache::with_budget(data_cache_bytes, None),
        })
    }

    /// The codec to register on the worker's sessions.
    pub fn codec(&self) -> Arc<DeltaScanCodec> {
        Arc::new(DeltaScanCodec::new(self.snapshots.clone()))
    }

    /// The runtime of the worker's tasks: its object stores, reached with its storage options.
    pub fn runtime_env(&self) -> Arc<RuntimeEnv> {
        self.runtime.clone()
    }

    /// The session one task runs in: `session` (the distributed engine's, holding the query's
    /// settings and the codec) with the worker's stores, data cache and the engine's functions.
    pub fn session(&self, mut session: SessionStateBuilder) -> SessionState {
        if let Some(cache) = &self.data_cache {
            session
                .config()
                .get_or_insert_with(SessionConfig::new)
                .set_extension(Arc::clone(cache));
        }
        let ctx =
            SessionContext::new_with_state(session.with_runtime_env(self.runtime.clone()).build());
        crate::functions::register_tsql_functions(&ctx);
        ctx.state()
    }
}

/// The codec a coordinator registers, decoding (should it ever) through its own stores.
pub(crate) fn coordinator_codec(stores: Arc<ObjectStores>) -> Arc<DeltaScanCodec> {
    Arc::new(DeltaScanCodec::new(Arc::new(PinnedSnapshots::new(stores))))
}
