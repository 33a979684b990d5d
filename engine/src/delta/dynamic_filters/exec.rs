//! [`DynamicFiltersExec`]: a scan's dynamic filters applied to its batches.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use arrow::array::RecordBatch;
use arrow::compute::BatchCoalescer;
use arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::physical_plan::{FileSource, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::Result;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::DynamicFilterPhysicalExpr;
use datafusion::physical_expr::utils::{reassign_expr_columns, split_conjunction};
use datafusion::physical_plan::metrics::{
    BaselineMetrics, Count, ExecutionPlanMetricsSet, MetricBuilder, MetricsSet,
};
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, RecordBatchStream,
};
use futures::future::BoxFuture;
use futures::{FutureExt, Stream, StreamExt};

use crate::single_child::single_child;

use super::FilterProducers;
use super::judge::{FilterSource, Judge};

/// Keeps the rows of its input (a Parquet scan) that its dynamic filters may keep.
#[derive(Debug)]
pub(crate) struct DynamicFiltersExec {
    input: Arc<dyn ExecutionPlan>,
    /// The scan's dynamic filters, with their columns found in the scan's output.
    filters: Vec<Arc<dyn PhysicalExpr>>,
    /// Where each of `filters` comes from.
    sources: Vec<FilterSource>,
    /// The rows kept and the time spent, for `EXPLAIN ANALYZE`.
    metrics: ExecutionPlanMetricsSet,
}

impl DynamicFiltersExec {
    /// `scan` with its dynamic filters applied, when it is a Parquet scan that has some and
    /// does not apply them to rows itself; the filter of `first_join` only as a bitmap.
    pub(super) fn over(
        scan: &Arc<dyn ExecutionPlan>,
        first_join: Option<u64>,
        producers: &FilterProducers,
    ) -> Option<Arc<dyn ExecutionPlan>> {
        // The predicate names the table's columns; the filter reads the scan's output. A filter
        // on a column the scan does not return is left to the reader.
        let schema = scan.schema();
        let filters: Vec<_> = dynamic_filters(scan)?
            .into_iter()
            .filter_map(|conjunct| reassign_expr_columns(conjunct, &schema).ok())
            .collect();
        Self::applied_to(scan, filters, first_join, producers)
    }

    /// `filtered` (the scan's own filter, over the scan) with `scan`'s dynamic filters applied
    /// to its output, when they all read columns it returns; the filter of `first_join` only
    /// as a bitmap.
    pub(super) fn above(
        filtered: &Arc<dyn ExecutionPlan>,
        scan: &Arc<dyn ExecutionPlan>,
        first_join: Option<u64>,
        producers: &FilterProducers,
    ) -> Option<Arc<dyn ExecutionPlan>> {
        let schema = filtered.schema();
        let filters = dynamic_filters(scan)?
            .into_iter()
            .map(|conjunct| reassign_expr_columns(conjunct, &schema).ok())
            .collect::<Option<Vec<_>>>()?;
        Self::applied_to(filtered, filters, first_join, producers)
    }

    fn applied_to(
        input: &Arc<dyn ExecutionPlan>,
        filters: Vec<Arc<dyn PhysicalExpr>>,
        first_join: Option<u64>,
        producers: &FilterProducers,
    ) -> Option<Arc<dyn ExecutionPlan>> {
        let (filters, sources): (Vec<_>, Vec<_>) = filters
            .into_iter()
            .filter_map(|filter| {
                let source = producers.source_of(&filter, first_join)?;
                Some((filter, source))
            })
            .unzip();
        if filters.is_empty() {
            return None;
        }
        Some(Arc::new(Self {
            input: Arc::clone(input),
            filters,
            sources,
            metrics: ExecutionPlanMetricsSet::new(),
        }))
    }
}

/// The dynamic filters of `scan`, naming the table's columns, when it is a Parquet scan that
/// does not apply them to rows itself.
fn dynamic_filters(scan: &Arc<dyn ExecutionPlan>) -> Option<Vec<Arc<dyn PhysicalExpr>>> {
    let (_, source) = scan
        .downcast_ref::<DataSourceExec>()
        .and_then(|exec| exec.downcast_to_file_source::<ParquetSource>())?;
    let predicate = source.filter()?;
    if source.table_parquet_options().global.pushdown_filters {
        return None;
    }
    let filters = split_conjunction(&predicate)
        .into_iter()
        .filter(|conjunct| conjunct.is::<DynamicFilterPhysicalExpr>())
        .map(Arc::clone)
        .collect();
    Some(filters)
}

impl DisplayAs for DynamicFiltersExec {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let filters: Vec<String> = self.filters.iter().map(ToString::to_string).collect();
        write!(f, "DynamicFiltersExec: {}", filters.join(" AND "))
    }
}

impl ExecutionPlan for DynamicFiltersExec {
    fn name(&self) -> &str {
        "DynamicFiltersExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let input = single_child(children, self.name())?;
        Ok(Arc::new(Self {
            input,
            filters: self.filters.clone(),
            sources: self.sources.clone(),
            metrics: ExecutionPlanMetricsSet::new(),
        }))
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        let mut recursion = TreeNodeRecursion::Continue;
        for filter in &self.filters {
            recursion = f(filter)?;
            if recursion == TreeNodeRecursion::Stop {
                break;
            }
        }
        Ok(recursion)
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let batch_size = context.session_config().batch_size();
        let input = self.input.execute(partition, context)?;
        let judge = Judge::new(self.filters.clone(), self.sources.clone());
        Ok(Box::pin(FilteredStream::new(
            input,
            judge,
            batch_size,
            &self.metrics,
            partition,
        )))
    }
}

/// How much of its input a stream holds back while a join above has yet to build its filter.
///
/// A join's dynamic filter is a placeholder that keeps every row until the join has built its
/// hash table, and scans start as soon as the plan does: a collected join side is read by
/// tasks spawned when the query starts, alongside the builds of the joins above it. In TPC-H
/// Q21 at SF 10 the supplier scan ran ahead of the nation join's filter (`n_name = 'SAUDI
/// ARABIA'`), 27.6 K suppliers passed instead of 4 K, and 10.4 M lineitem rows went through
/// the orders join where 1.5 M would have. Held back, the batches wait for the filter: at the
/// input's end, until the join has built, which does not depend on this scan (a join's filter
/// goes to the scan of its other side). Past this size they are passed on as before, so that
/// a large scan is not held in memory.
const HOLD_BYTES: usize = 32 * 1024 * 1024;

/// The input's batches, filtered and gathered into batches of the session's size.
struct FilteredStream {
    input: SendableRecordBatchStream,
    judge: Judge,
    coalescer: BatchCoalescer,
    /// Batches read while a join above had yet to build its filter (see [`HOLD_BYTES`]).
    held: Vec<RecordBatch>,
    held_bytes: usize,
    /// Once the input has ended, the wait for the joins the held batches await.
    awaiting: Option<BoxFuture<'static, ()>>,
    held_batches: Count,
    metrics: BaselineMetrics,
    finished: bool,
}

impl FilteredStream {
    fn new(
        input: SendableRecordBatchStream,
        judge: Judge,
        batch_size: usize,
        metrics: &ExecutionPlanMetricsSet,
        partition: usize,
    ) -> Self {
        Self {
            // Filtered batches are gathered into full ones, as `FilterExec` does: a join
            // probed with many small batches pays for each.
            coalescer: BatchCoalescer::new(input.schema(), batch_size)
                .with_biggest_coalesce_batch_size(Some(batch_size / 2)),
            input,
            judge,
            held: Vec::new(),
            held_bytes: 0,
            awaiting: None,
            held_batches: MetricBuilder::new(metrics).counter("batches_held_for_joins", partition),
            metrics: BaselineMetrics::new(metrics, partition),
            finished: false,
        }
    }

    /// Filters `batch`, or holds it back while a join above has yet to build its filter.
    fn filter_or_hold(&mut self, batch: RecordBatch) -> Result<()> {
        // Sized only while a join is awaited: most batches are read after every join built.
        if self.judge.awaits_a_join(&batch.schema()) {
            let size = batch.get_array_memory_size();
            if self.held_bytes + size <= HOLD_BYTES {
                self.held_bytes += size;
                self.held_batches.add(1);
                self.held.push(batch);
                return Ok(());
            }
        }
        self.release_held()?;
        self.judge.push(batch, &mut self.coalescer)
    }

    /// Filters the held batches with what the filters hold now.
    fn release_held(&mut self) -> Result<()> {
        self.held_bytes = 0;
        for batch in std::mem::take(&mut self.held) {
            self.judge.push(batch, &mut self.coalescer)?;
        }
        Ok(())
    }

    /// The input has ended: the held batches wait for the joins they await, if any.
    fn end_input(&mut self) -> Result<()> {
        let schema = self.coalescer.schema();
        if !self.held.is_empty() && self.judge.awaits_a_join(&schema) {
            self.awaiting = Some(built(self.judge.awaited_joins()).boxed());
            return Ok(());
        }
        self.finish()
    }

    /// Filters what is held with what the filters hold now, and flushes the last batch.
    fn finish(&mut self) -> Result<()> {
        self.release_held()?;
        self.finished = true;
        Ok(self.coalescer.finish_buffered_batch()?)
    }
}

/// Waits until the joins that produce `filters` have built them.
async fn built(filters: Vec<Arc<dyn PhysicalExpr>>) {
    for filter in filters {
        if let Some(dynamic) = filter.downcast_ref::<DynamicFilterPhysicalExpr>() {
            dynamic.wait_complete().await;
        }
    }
}

impl Stream for FilteredStream {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(batch) = self.coalescer.next_completed_batch() {
                self.metrics.record_output(batch.num_rows());
                return Poll::Ready(Some(Ok(batch)));
            }
            if self.finished {
                return Poll::Ready(None);
            }
            if let Some(awaiting) = self.awaiting.as_mut() {
                ready!(awaiting.poll_unpin(cx));
                self.awaiting = None;
                self.finish()?;
                continue;
            }
            match ready!(self.input.poll_next_unpin(cx)) {
                Some(Ok(batch)) => {
                    let this = &mut *self;
                    let elapsed = this.metrics.elapsed_compute().clone();
                    let timer = elapsed.timer();
                    let taken = this.filter_or_hold(batch);
                    timer.done();
                    taken?;
                }
                Some(Err(error)) => return Poll::Ready(Some(Err(error))),
                None => self.end_input()?,
            }
        }
    }
}

impl RecordBatchStream for FilteredStream {
    fn schema(&self) -> SchemaRef {
        self.coalescer.schema()
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, Int64Array};
    use arrow::datatypes::{DataType, Field, Schema};
    use datafusion::logical_expr::Operator;
    use datafusion::physical_expr::expressions::{binary, col, lit};
    use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
    use futures::TryStreamExt;

    use super::*;

    /// Two batches of `k`: 1 to 5 and 6 to 10.
    fn keys() -> SendableRecordBatchStream {
        let schema = Arc::new(Schema::new(vec![Field::new("k", DataType::Int64, false)]));
        let batches = [1..=5, 6..=10].map(|keys| {
            RecordBatch::try_new(
                Arc::clone(&schema),
                vec![Arc::new(Int64Array::from_iter_values(keys)) as Arc<dyn Array>],
            )
        });
        Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&schema),
            futures::stream::iter(batches.map(|batch| batch.map_err(Into::into))),
        ))
    }

    /// A dynamic filter on `k`, still its placeholder, and the filter its producer will set.
    fn placeholder_and_update() -> (Arc<DynamicFilterPhysicalExpr>, Arc<dyn PhysicalExpr>) {
        let input = keys();
        let schema = input.schema();
        let k = col("k", &schema).expect("k is a column of the input");
        let filter = Arc::new(DynamicFilterPhysicalExpr::new(
            vec![Arc::clone(&k)],
            lit(true),
        ));
        let update = binary(k, Operator::LtEq, lit(3i64), &schema).expect("k <= 3 is typed");
        (filter, update)
    }

    fn filtered(filter: &Arc<DynamicFilterPhysicalExpr>, from_join: bool) -> FilteredStream {
        let filters = vec![Arc::clone(filter) as Arc<dyn PhysicalExpr>];
        let source = FilterSource {
            from_join,
            build_keys: None,
            bitmap_only: false,
        };
        let judge = Judge::new(filters, vec![source]);
        FilteredStream::new(keys(), judge, 8192, &ExecutionPlanMetricsSet::new(), 0)
    }

    fn kept(batches: &[RecordBatch]) -> usize {
        batches.iter().map(RecordBatch::num_rows).sum()
    }

    #[tokio::test]
    async fn rows_read_before_a_join_has_built_wait_for_its_filter() {
        let (filter, update) = placeholder_and_update();
        let mut stream = filtered(&filter, true);
        // The input ends while the join has yet to build: nothing passes untested.
        assert!(futures::poll!(stream.next()).is_pending());
        filter.update(update).expect("the filter takes k <= 3");
        filter.mark_complete();
        let batches: Vec<RecordBatch> = stream.try_collect().await.expect("the rows are read");
        assert_eq!(kept(&batches), 3);
    }

    #[tokio::test]
    async fn a_filter_no_join_produces_is_not_waited_for() {
        // A TopK's filter, say, is set from the rows this stream passes on: waiting for it
        // would wait for ever.
        let (filter, _) = placeholder_and_update();
        let batches: Vec<RecordBatch> = filtered(&filter, false)
            .try_collect()
            .await
            .expect("the rows are read");
        assert_eq!(kept(&batches), 10);
    }
}
