//! A query that loses a cluster worker runs again on the workers left.
//!
//! datafusion-distributed does not retry a task whose worker died, so the whole query runs
//! again, planned anew from its logical plan (the distribution then leaves the lost worker
//! out). This is only sound while nothing of the first run has reached the caller: a query
//! is run again when it fails before its first batch, never after (its client would see rows
//! twice). Statements that write are never run twice. Analytic queries (aggregates, joins,
//! sorts) yield their first batch late, so most of a query's run is covered; a long stream of
//! plain rows that loses a worker midway fails, naming it. So does a query when no worker answers
//! any more: the cluster is down, and its operator and clients should hear it.

use datafusion::dataframe::DataFrame;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::EmptyRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;

use crate::changes::first_write;
use crate::distributed::Distribution;
use crate::error::Result;

/// Runs `frame` on the cluster, again when it loses a worker before its first batch.
pub(crate) async fn execute_on_cluster(
    frame: DataFrame,
    cluster: &dyn Distribution,
) -> Result<SendableRecordBatchStream> {
    if first_write(frame.logical_plan()).is_some() {
        return Ok(frame.execute_stream().await?);
    }
    let mut reruns_left = cluster.reruns();
    loop {
        let lost_before = cluster.workers_lost();
        let error = match until_first_batch(frame.clone()).await {
            Ok(stream) => return Ok(stream),
            Err(error) => error,
        };
        if reruns_left == 0 {
            return Err(error);
        }
        // The failure may be a worker's account of another one it lost, so the workers are
        // asked even when this run counted no loss.
        let answering = cluster.probe_workers().await;
        if cluster.workers_lost() == lost_before || answering == 0 {
            // Not a lost worker's doing, or no worker left to run on: a cluster that is down
            // says so (UNAVAILABLE, naming a worker) rather than run on the coordinator alone.
            return Err(error);
        }
        tracing::warn!("a query lost a cluster worker and runs again on the others: {error}");
        reruns_left -= 1;
    }
}

/// `frame`'s stream, once its first batch (or its end) has come.
async fn until_first_batch(frame: DataFrame) -> Result<SendableRecordBatchStream> {
    let mut stream = frame.execute_stream().await?;
    let schema = stream.schema();
    Ok(match stream.next().await {
        None => Box::pin(EmptyRecordBatchStream::new(schema)),
        Some(Err(error)) => return Err(error.into()),
        Some(Ok(first)) => Box::pin(RecordBatchStreamAdapter::new(
            schema,
            futures::stream::once(async { Ok(first) }).chain(stream),
        )),
    })
}
