//! How a coordinator or a worker reaches the workers: datafusion-distributed's own channels
//! (one per worker, reused), with a transport failure told as what it is.
//!
//! Left alone, a worker that cannot be reached becomes a planning-like error made of transport
//! internals, and one that dies mid-query a bare "h2 protocol error" that names no worker: a
//! client cannot tell either from a bad statement. Here both become
//! [`EngineError::WorkerUnreachable`] / [`EngineError::WorkerLost`], which name the worker and
//! are `UNAVAILABLE` at the server, a code clients retry on. A worker's own errors (a table it
//! cannot read) come back decoded as DataFusion errors and pass through as they are: only the
//! transport leaves a gRPC status in an error's chain.

use std::sync::Arc;

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
use futures::stream::BoxStream;
use lakeshore_engine::EngineError;
use tonic::codegen::http::HeaderMap;
use url::Url;

/// The channels to the workers, shared by every session of a process.
#[derive(Clone, Default)]
pub(crate) struct WorkerChannels(DefaultChannelResolver);

#[async_trait]
impl ChannelResolver for WorkerChannels {
    async fn get_worker_client_for_url(&self, url: &Url) -> Result<Box<dyn WorkerChannel>> {
        let worker = match (url.host_str(), url.port_or_known_default()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            _ => url.to_string(),
        };
        match self.0.get_worker_client_for_url(url).await {
            Ok(inner) => Ok(Box::new(NamedWorker { inner, worker })),
            Err(error) => {
                // The transport's own words, for the operator; the user gets the worker's name.
                tracing::warn!("cannot connect to the worker at {url}: {error}");
                Err(DataFusionError::External(Box::new(
                    EngineError::WorkerUnreachable { worker },
                )))
            }
        }
    }
}

/// A channel to one worker, whose transport failures name it.
struct NamedWorker {
    inner: Box<dyn WorkerChannel>,
    /// `HOST:PORT`.
    worker: String,
}

impl NamedWorker {
    /// `error` as the loss of this worker when the transport failed, else as it is.
    fn name_in(worker: &str, error: DataFusionError) -> DataFusionError {
        let first: &(dyn std::error::Error + 'static) = &error;
        let transport = std::iter::successors(Some(first), |error| error.source())
            .any(|error| error.is::<tonic::Status>());
        if !transport {
            return error;
        }
        tracing::warn!("lost the worker at {worker}: {error}");
        DataFusionError::External(Box::new(EngineError::WorkerLost {
            worker: worker.to_string(),
        }))
    }

    fn named<T: Send + 'static>(
        &self,
        stream: BoxStream<'static, Result<T>>,
    ) -> BoxStream<'static, Result<T>> {
        let worker = self.worker.clone();
        stream
            .map(move |item| item.map_err(|error| Self::name_in(&worker, error)))
            .boxed()
    }
}

#[async_trait]
impl WorkerChannel for NamedWorker {
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
            .map_err(|error| Self::name_in(&self.worker, error))?;
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
            .map_err(|error| Self::name_in(&self.worker, error))?;
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
            .map_err(|error| Self::name_in(&self.worker, error))
    }
}
