//! The operator that computes a shared aggregate once and hands its batches to each use.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow::record_batch::RecordBatch;
use datafusion::common::runtime::SpawnedTask;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::{StreamExt, TryStreamExt};
use tokio::sync::OnceCell;

use crate::single_child::single_child;

/// The results of one shared aggregate, computed by whichever use runs first.
#[derive(Debug, Default)]
pub(super) struct SharedResults {
    /// How many places of the statement's plan use them.
    uses: AtomicUsize,
    /// Each output partition's batches; `None` when the memory pool would not hold them, and
    /// each use then computes its own.
    held: OnceCell<Option<HeldBatches>>,
}

#[derive(Debug)]
struct HeldBatches {
    partitions: Vec<Vec<RecordBatch>>,
    /// The batches' memory, counted in the pool until the plan is dropped.
    _reservation: MemoryReservation,
}

impl SharedResults {
    pub(super) fn add_use(&self) {
        self.uses.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs every partition of `input` and keeps its batches, unless the memory pool refuses
    /// them.
    async fn compute(
        input: Arc<dyn ExecutionPlan>,
        context: Arc<TaskContext>,
    ) -> Result<Option<HeldBatches>> {
        let reservation =
            Arc::new(MemoryConsumer::new("SharedSubplanExec").register(context.memory_pool()));
        let partitions = input.properties().partitioning.partition_count();
        let tasks: Vec<SpawnedTask<Result<Option<Vec<RecordBatch>>>>> = (0..partitions)
            .map(|partition| {
                let stream = input.execute(partition, Arc::clone(&context));
                let reservation = Arc::clone(&reservation);
                SpawnedTask::spawn(async move { keep_all(stream?, &reservation).await })
            })
            .collect();
        let mut held = Vec::with_capacity(partitions);
        for task in tasks {
            let kept = task
                .join_unwind()
                .await
                .map_err(|error| DataFusionError::External(Box::new(error)))??;
            match kept {
                Some(batches) => held.push(batches),
                None => return Ok(None),
            }
        }
        let Ok(reservation) = Arc::try_unwrap(reservation) else {
            return Ok(None);
        };
        Ok(Some(HeldBatches {
            partitions: held,
            _reservation: reservation,
        }))
    }
}

/// Every batch of `stream`, counted in `reservation`; `None` once the pool refuses one.
async fn keep_all(
    mut stream: SendableRecordBatchStream,
    reservation: &MemoryReservation,
) -> Result<Option<Vec<RecordBatch>>> {
    let mut batches = Vec::new();
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        if reservation.try_grow(batch.get_array_memory_size()).is_err() {
            return Ok(None);
        }
        batches.push(batch);
    }
    Ok(Some(batches))
}

/// One use of a shared aggregate: its input is the use's own plan of the aggregate, run only
/// when this use is the first to need the results (or when they could not be held).
#[derive(Debug)]
pub(super) struct SharedSubplanExec {
    input: Arc<dyn ExecutionPlan>,
    results: Arc<SharedResults>,
}

impl SharedSubplanExec {
    /// `input`, shared through `results` when more than one place uses them.
    pub(super) fn over(
        input: Arc<dyn ExecutionPlan>,
        results: Arc<SharedResults>,
    ) -> Arc<dyn ExecutionPlan> {
        if results.uses.load(Ordering::Relaxed) < 2 {
            return input;
        }
        Arc::new(Self { input, results })
    }
}

impl DisplayAs for SharedSubplanExec {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let uses = self.results.uses.load(Ordering::Relaxed);
        write!(f, "SharedSubplanExec: computed once for {uses} uses")
    }
}

impl ExecutionPlan for SharedSubplanExec {
    fn name(&self) -> &str {
        "SharedSubplanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    // Optimizer rules rewrite each use's input alike and keep what it computes; filters and
    // limits of one use never reach it (DataFusion's defaults), so the results stay shared.
    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let input = single_child(children, self.name())?;
        Ok(Arc::new(Self {
            input,
            results: Arc::clone(&self.results),
        }))
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = Arc::clone(&self.input);
        let results = Arc::clone(&self.results);
        let schema = input.schema();
        let batches = futures::stream::once(async move {
            let held = results
                .held
                .get_or_try_init(|| {
                    SharedResults::compute(Arc::clone(&input), Arc::clone(&context))
                })
                .await?;
            // A use whose input was planned with other partitions computes its own.
            let own_partitions = input.properties().partitioning.partition_count();
            let batches = held
                .as_ref()
                .filter(|held| held.partitions.len() == own_partitions)
                .and_then(|held| held.partitions.get(partition));
            match batches {
                Some(batches) => {
                    Ok(futures::stream::iter(batches.clone().into_iter().map(Ok)).boxed())
                }
                None => input
                    .execute(partition, context)
                    .map(|stream| stream.boxed()),
            }
        })
        .try_flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, batches)))
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};
    use datafusion::datasource::memory::MemorySourceConfig;
    use datafusion::execution::memory_pool::GreedyMemoryPool;
    use datafusion::execution::runtime_env::RuntimeEnvBuilder;
    use datafusion::physical_plan::common::collect;

    use super::*;

    /// Two uses of one input of two partitions (1,000 and 2,000 numbers), run in a pool of
    /// `pool_bytes`; the numbers each use reads of each partition.
    async fn rows_of_two_uses(pool_bytes: usize) -> Vec<Vec<usize>> {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]));
        let batch = |count: i64| {
            RecordBatch::try_new(
                Arc::clone(&schema),
                vec![Arc::new(Int64Array::from_iter_values(0..count))],
            )
            .unwrap()
        };
        let input = MemorySourceConfig::try_new_exec(
            &[vec![batch(1000)], vec![batch(2000)]],
            Arc::clone(&schema),
            None,
        )
        .unwrap();
        let results = Arc::new(SharedResults::default());
        results.add_use();
        results.add_use();
        let uses = [
            SharedSubplanExec::over(input.clone(), Arc::clone(&results)),
            SharedSubplanExec::over(input, results),
        ];
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_pool(Arc::new(GreedyMemoryPool::new(pool_bytes)))
            .build_arc()
            .unwrap();
        let context = Arc::new(TaskContext::default().with_runtime(runtime));
        let mut read = Vec::new();
        for shared in uses {
            assert_eq!(shared.name(), "SharedSubplanExec");
            let mut per_partition = Vec::new();
            for partition in 0..2 {
                let stream = shared.execute(partition, Arc::clone(&context)).unwrap();
                let batches = collect(stream).await.unwrap();
                per_partition.push(batches.iter().map(RecordBatch::num_rows).sum());
            }
            read.push(per_partition);
        }
        read
    }

    #[tokio::test]
    async fn each_use_reads_every_row_whether_the_pool_holds_them_or_not() {
        // Held: 24 KB of numbers in a 1 MB pool.
        assert_eq!(
            rows_of_two_uses(1 << 20).await,
            [[1000, 2000], [1000, 2000]]
        );
        // Refused: a 1 KB pool, so each use computes its own.
        assert_eq!(rows_of_two_uses(1024).await, [[1000, 2000], [1000, 2000]]);
    }
}
