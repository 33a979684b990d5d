//! Queries that run again, whole, when their first run failed in a way a second one avoids:
//! a query that loses a cluster worker runs again on the workers left, and a query whose hash
//! join ran out of a memory limit runs again with joins that spill.
//!
//! datafusion-distributed does not retry a task whose worker died, so the whole query runs
//! again, planned anew from its logical plan (the distribution then leaves the lost worker
//! out). This is only sound while nothing of the first run has reached the caller: a query
//! is run again when it fails before its first batch, never after (its client would see rows
//! twice). Statements that write are never run twice. Analytic queries (aggregates, joins,
//! sorts) yield their first batch late, so most of a query's run is covered; a long stream of
//! plain rows that loses a worker midway fails, naming it. So does a query when no worker answers
//! any more: the cluster is down, and its operator and clients should hear it.

use std::time::{Duration, Instant};

use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::dataframe::DataFrame;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::memory_pool::MemoryLimit;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::EmptyRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;

use crate::changes::first_write;
use crate::delta::QueryMemory;
use crate::distributed::Distribution;
use crate::error::{ErrorKind, Result};

/// The longest a query that ran out of memory waits for its first run's memory before it runs
/// again (queries running beside it may hold that much for longer).
const RELEASE_WAIT: Duration = Duration::from_secs(1);

/// Runs `frame` in this process. Under a memory limit, a query that joins and runs out of
/// memory before its first batch runs again with sort-merge joins: DataFusion's hash join
/// holds its whole build side in memory and cannot spill, a sort-merge join's sorts can. Hash
/// joins stay the first choice, being the faster where memory allows (TPC-H SF 10 under a
/// 2 GB limit: Q18 fails with hash joins, finishes with sort-merge joins).
pub(crate) async fn execute_here(frame: DataFrame) -> Result<SendableRecordBatchStream> {
    // Read from the frame's own state: a task context would copy every function registry.
    let (state, plan) = frame.into_parts();
    let limited = matches!(
        state.runtime_env().memory_pool.memory_limit(),
        MemoryLimit::Finite(_)
    );
    // What queries hold, not the data cache, which may grow meanwhile.
    let memory = QueryMemory::of(&state);
    let hash_joins = state.config().options().optimizer.prefer_hash_join;
    let frame = DataFrame::new(state, plan);
    if !limited
        || !hash_joins
        || !joins(frame.logical_plan())
        || first_write(frame.logical_plan()).is_some()
    {
        return Ok(frame.execute_stream().await?);
    }
    let held_before = memory.held();
    let error = match until_first_batch(frame.clone()).await {
        Ok(stream) => return Ok(stream),
        Err(error) if error.kind() == ErrorKind::ResourceExhausted => error,
        Err(error) => return Err(error),
    };
    tracing::warn!("a query ran out of memory and runs again with sort-merge joins: {error}");
    // The failed run's operators give their memory back as their tasks wind down, some only
    // after its error reached us: the second run would otherwise start without it.
    let deadline = Instant::now() + RELEASE_WAIT;
    while memory.held() > held_before && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let (mut state, plan) = frame.into_parts();
    state.config_mut().options_mut().optimizer.prefer_hash_join = false;
    Ok(DataFrame::new(state, plan).execute_stream().await?)
}

/// Whether `plan` joins, in its subqueries too (which the optimizer may make joins of).
fn joins(plan: &LogicalPlan) -> bool {
    let mut found = false;
    let _ = plan.apply_with_subqueries(|node| {
        found = matches!(node, LogicalPlan::Join(_) | LogicalPlan::Subquery(_));
        Ok(if found {
            TreeNodeRecursion::Stop
        } else {
            TreeNodeRecursion::Continue
        })
    });
    found
}

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
