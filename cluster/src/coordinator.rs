//! The coordinator's side: the engine's session given datafusion-distributed's planner, the
//! cluster's workers, and what the planner needs to know of Lakeshore's Delta scans (how many
//! tasks a scan is worth, how to cut it into them, and which workers run them).

use std::sync::Arc;

use datafusion::error::{DataFusionError, Result};
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion_distributed::{
    DesiredTaskCountEvent, DesiredTaskCountEventResponse, DistributedExt, DistributedLeafExec,
    ScaleUpLeafNodeEvent, ScaleUpLeafNodeEventResponse, SessionStateBuilderExt, WorkerResolver,
};
use futures::FutureExt;
use futures::future::BoxFuture;
use lakeshore_engine::distributed::{
    DeltaScanCodec, Distribution, delta_scan_files, split_delta_scan,
};
use url::Url;

use crate::channels::WorkerChannels;
use crate::error::ClusterError;
use crate::explain::ExplainStages;
use crate::routing::FileAffinity;

/// Queries planned here, run on a fixed set of workers.
#[derive(Clone)]
pub struct ClusterDistribution {
    workers: Vec<Url>,
    channels: WorkerChannels,
}

impl std::fmt::Debug for ClusterDistribution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterDistribution")
            .field("workers", &self.workers)
            .finish_non_exhaustive()
    }
}

impl ClusterDistribution {
    /// The workers at `urls`: each `http://HOST:PORT` (or `grpc://HOST:PORT`, the same), and a
    /// value may list several, separated by commas.
    pub fn new<S: AsRef<str>>(urls: &[S]) -> Result<Self, ClusterError> {
        let mut workers = Vec::new();
        for url in urls
            .iter()
            .flat_map(|value| value.as_ref().split(','))
            .map(str::trim)
            .filter(|url| !url.is_empty())
        {
            workers.push(worker_url(url)?);
        }
        if workers.is_empty() {
            return Err(ClusterError::NoWorkers);
        }
        Ok(Self {
            workers,
            channels: WorkerChannels::default(),
        })
    }

    pub fn workers(&self) -> &[Url] {
        &self.workers
    }
}

fn worker_url(text: &str) -> Result<Url, ClusterError> {
    let invalid = |reason: &str| ClusterError::WorkerUrl {
        url: text.to_string(),
        reason: reason.to_string(),
    };
    let mut url = Url::parse(text).map_err(|e| invalid(&e.to_string()))?;
    match url.scheme() {
        "http" => {}
        // Said as the server's own clients say it; the transport is the same.
        "grpc" => {
            url = Url::parse(&format!("http{}", &text["grpc".len()..]))
                .map_err(|e| invalid(&e.to_string()))?;
        }
        other => {
            return Err(invalid(&format!(
                "the scheme must be http or grpc, not {other} (workers speak plain gRPC)"
            )));
        }
    }
    if url.host_str().is_none() || url.port_or_known_default().is_none() {
        return Err(invalid("it needs a host and a port"));
    }
    Ok(url)
}

/// The workers a query is planned and routed on: the cluster's, but those lost lately.
#[derive(Clone)]
struct LiveWorkers {
    workers: Vec<Url>,
    channels: WorkerChannels,
}

impl WorkerResolver for LiveWorkers {
    fn get_urls(&self) -> Result<Vec<Url>, DataFusionError> {
        Ok(self.channels.health().live(&self.workers))
    }
}

impl Distribution for ClusterDistribution {
    fn coordinate(
        &self,
        session: SessionStateBuilder,
        codec: Arc<DeltaScanCodec>,
    ) -> SessionStateBuilder {
        let workers = LiveWorkers {
            workers: self.workers.clone(),
            channels: self.channels.clone(),
        };
        let mut session = session
            .with_distributed_worker_resolver(workers.clone())
            .with_distributed_route_tasks_handler(FileAffinity { workers })
            .with_distributed_channel_resolver(self.channels.clone())
            .with_distributed_user_codec_arc(codec)
            .with_distributed_desired_task_count_handler(delta_scan_task_count)
            .with_distributed_scale_up_leaf_node_handler(split_delta_scan_into_tasks)
            .with_distributed_planner();
        match std::mem::take(session.query_planner()) {
            Some(inner) => session.with_query_planner(Arc::new(ExplainStages { inner })),
            None => session,
        }
    }

    fn workers_lost(&self) -> u64 {
        self.channels.health().losses()
    }

    fn probe_workers(&self) -> BoxFuture<'_, usize> {
        self.channels.probe(&self.workers).boxed()
    }

    fn reruns(&self) -> usize {
        self.workers.len()
    }
}

/// A Delta scan is worth a task per data file (the planner caps it at the number of workers):
/// a task reads whole files, so there is nothing to share below one.
fn delta_scan_task_count(
    event: DesiredTaskCountEvent,
) -> Option<Result<DesiredTaskCountEventResponse>> {
    let files = delta_scan_files(event.plan)?;
    Some(Ok(DesiredTaskCountEventResponse::desired(files.max(1))))
}

/// A Delta scan cut into one part per task, each reading its own files.
fn split_delta_scan_into_tasks(
    event: ScaleUpLeafNodeEvent,
) -> Option<Result<ScaleUpLeafNodeEventResponse>> {
    let parts = split_delta_scan(event.plan, event.task_count)?;
    Some(
        DistributedLeafExec::try_new(Arc::clone(event.plan), parts)
            .map(|leaf| ScaleUpLeafNodeEventResponse::new(Arc::new(leaf))),
    )
}
