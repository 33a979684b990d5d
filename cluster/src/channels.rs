//! How a coordinator or a worker reaches the workers: datafusion-distributed's own channels
//! (one per worker, reused), with a transport failure told as what it is.
//!
//! Left alone, a worker that cannot be reached becomes a planning-like error made of transport
//! internals, and one that dies mid-query a bare "h2 protocol error" that names no worker: a
//! client cannot tell either from a bad statement. Here both become
//! [`EngineError::WorkerUnreachable`] / [`EngineError::WorkerLost`], which name the worker and
//! are `UNAVAILABLE` at the server, a code clients retry on. A worker's own errors (a table it
//! cannot read) come back decoded as DataFusion errors and pass through as they are: only the
//! transport leaves a gRPC status in an error's chain. Each loss is also told to the cluster's
//! [`WorkerHealth`], so that the next queries run on the other workers.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use datafusion_distributed::grpc::DefaultChannelResolver;
use datafusion_distributed::{
    ChannelResolver, CoordinatorToWorkerMsg, ExecuteTaskRequest, GetWorkerInfoRequest,
    GetWorkerInfoResponse, SetPlanRequest, WorkerChannel, WorkerToCoordinatorMsg,
};
use futures::StreamExt;
use futures::future::join_all;
use futures::stream::BoxStream;
use lakeshore_engine::EngineError;
use tonic::codegen::http::HeaderMap;
use url::Url;

use crate::health::{WorkerHealth, worker_name};

/// How long a worker asked whether it is there may take to answer before it counts as lost.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The channels to the workers, shared by every session of a process.
#[derive(Clone, Default)]
pub(crate) struct WorkerChannels {
    resolver: DefaultChannelResolver,
    health: Arc<WorkerHealth>,
}

impl WorkerChannels {
    pub(crate) fn health(&self) -> &WorkerHealth {
        &self.health
    }

    /// Asks each of `workers` not already lost whether it is there, counts those that do not
    /// answer as lost (a query can fail first on what a worker says of another one), and gives
    /// how many answered.
    pub(crate) async fn probe(&self, workers: &[Url]) -> usize {
        let live = self.health.live(workers);
        let answers = join_all(live.iter().map(|url| async move {
            let answer = tokio::time::timeout(PROBE_TIMEOUT, async {
                let mut channel = self.get_worker_client_for_url(url).await?;
                channel.get_worker_info(GetWorkerInfoRequest {}).await
            })
            .await;
            match answer {
                Ok(Ok(_)) => true,
                // A refused connection or a broken channel counted the loss where it failed.
                Ok(Err(_)) => false,
                Err(_) => {
                    let worker = worker_name(url);
                    tracing::warn!(
                        "the worker at {worker} did not answer within {PROBE_TIMEOUT:?}"
                    );
                    self.health.lose(&worker);
                    false
                }
            }
        }))
        .await;
        answers.into_iter().filter(|answered| *answered).count()
    }
}

#[async_trait]
impl ChannelResolver for WorkerChannels {
    async fn get_worker_client_for_url(&self, url: &Url) -> Result<Box<dyn WorkerChannel>> {
        let worker = Arc::new(NamedWorker {
            name: worker_name(url),
            health: self.health.clone(),
        });
        match self.resolver.get_worker_client_for_url(url).await {
            Ok(inner) => Ok(Box::new(WorkerChannelOf { inner, worker })),
            Err(error) => {
                // The transport's own words, for the operator; the user gets the worker's name.
                tracing::warn!("cannot connect to the worker at {url}: {error}");
                worker.health.lose(&worker.name);
                Err(DataFusionError::External(Box::new(
                    EngineError::WorkerUnreachable {
                        worker: worker.name.clone(),
                    },
                )))
            }
        }
    }
}

/// A worker as its channel's failures name it.
struct NamedWorker {
    /// `HOST:PORT`.
    name: String,
    health: Arc<WorkerHealth>,
}

impl NamedWorker {
    /// `error` as the loss of this worker when the transport failed, else as it is.
    fn lost_in(&self, error: DataFusionError) -> DataFusionError {
        let first: &(dyn std::error::Error + 'static) = &error;
        let transport = std::iter::successors(Some(first), |error| error.source())
            .any(|error| error.is::<tonic::Status>());
        if !transport {
            return error;
        }
        tracing::warn!("lost the worker at {}: {error}", self.name);
        self.health.lose(&self.name);
        DataFusionError::External(Box::new(EngineError::WorkerLost {
            worker: self.name.clone(),
        }))
    }
}

/// A channel to one worker, whose transport failures name it.
struct WorkerChannelOf {
    inner: Box<dyn WorkerChannel>,
    worker: Arc<NamedWorker>,
}

impl WorkerChannelOf {
    fn named<T: Send + 'static>(
        &self,
        stream: BoxStream<'static, Result<T>>,
    ) -> BoxStream<'static, Result<T>> {
        let worker = self.worker.clone();
        stream
            .map(move |item| item.map_err(|error| worker.lost_in(error)))
            .boxed()
    }
}

#[async_trait]
impl WorkerChannel for WorkerChannelOf {
    async fn coordinator_channel(
        &mut self,
        headers: HeaderMap,
        set_plan_request: SetPlanRequest,
        c2w_stream: BoxStream<'static, CoordinatorToWorkerMsg>,
        metrics: ExecutionPlanMetricsSet,
        task_ctx: &Arc<TaskContext>,
    ) -> Result<BoxStream<'static, Result<WorkerToCoordinatorMsg>>> {
        let stream = self
            .inner
            .coordinator_channel(headers, set_plan_request, c2w_stream, metrics, task_ctx)
            .await
            .map_err(|error| self.worker.lost_in(error))?;
        Ok(self.named(stream))
    }

    async fn execute_task(
        &mut self,
        headers: HeaderMap,
        request: ExecuteTaskRequest,
        metrics: ExecutionPlanMetricsSet,
        task_ctx: &Arc<TaskContext>,
    ) -> Result<Vec<BoxStream<'static, Result<RecordBatch>>>> {
        let streams = self
            .inner
            .execute_task(headers, request, metrics, task_ctx)
            .await
            .map_err(|error| self.worker.lost_in(error))?;
        Ok(streams
            .into_iter()
            .map(|stream| self.named(stream))
            .collect())
    }

    async fn get_worker_info(
        &mut self,
        request: GetWorkerInfoRequest,
    ) -> Result<GetWorkerInfoResponse> {
        self.inner
            .get_worker_info(request)
            .await
            .map_err(|error| self.worker.lost_in(error))
    }
}
