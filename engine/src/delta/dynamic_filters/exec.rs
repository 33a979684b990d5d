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
use datafusion::physical_plan::metrics::{BaselineMetrics, ExecutionPlanMetricsSet, MetricsSet};
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, RecordBatchStream,
};
use futures::{Stream, StreamExt};

use crate::single_child::single_child;

use super::judge::Judge;

/// Keeps the rows of its input (a Parquet scan) that its dynamic filters may keep.
#[derive(Debug)]
pub(crate) struct DynamicFiltersExec {
    input: Arc<dyn ExecutionPlan>,
    /// The scan's dynamic filters, with their columns found in the scan's output.
    filters: Vec<Arc<dyn PhysicalExpr>>,
    /// The rows kept and the time spent, for `EXPLAIN ANALYZE`.
    metrics: ExecutionPlanMetricsSet,
}

impl DynamicFiltersExec {
    /// `scan` with its dynamic filters but `first_join`'s applied, when it is a Parquet scan
    /// that has some and does not apply them to rows itself.
    pub(super) fn over(
        scan: &Arc<dyn ExecutionPlan>,
        first_join: Option<u64>,
    ) -> Option<Arc<dyn ExecutionPlan>> {
        // The predicate names the table's columns; the filter reads the scan's output. A filter
        // on a column the scan does not return is left to the reader.
        let schema = scan.schema();
        let filters: Vec<_> = dynamic_filters(scan, first_join)?
            .into_iter()
            .filter_map(|conjunct| reassign_expr_columns(conjunct, &schema).ok())
            .collect();
        Self::applied_to(scan, filters)
    }

    /// `filtered` (the scan's own filter, over the scan) with `scan`'s dynamic filters but
    /// `first_join`'s applied to its output, when they all read columns it returns.
    pub(super) fn above(
        filtered: &Arc<dyn ExecutionPlan>,
        scan: &Arc<dyn ExecutionPlan>,
        first_join: Option<u64>,
    ) -> Option<Arc<dyn ExecutionPlan>> {
        let schema = filtered.schema();
        let filters = dynamic_filters(scan, first_join)?
            .into_iter()
            .map(|conjunct| reassign_expr_columns(conjunct, &schema).ok())
            .collect::<Option<Vec<_>>>()?;
        Self::applied_to(filtered, filters)
    }

    fn applied_to(
        input: &Arc<dyn ExecutionPlan>,
        filters: Vec<Arc<dyn PhysicalExpr>>,
    ) -> Option<Arc<dyn ExecutionPlan>> {
        if filters.is_empty() {
            return None;
        }
        Some(Arc::new(Self {
            input: Arc::clone(input),
            filters,
            metrics: ExecutionPlanMetricsSet::new(),
        }))
    }
}

/// The dynamic filters of `scan` but `first_join`'s, naming the table's columns, when it is a
/// Parquet scan that does not apply them to rows itself.
fn dynamic_filters(
    scan: &Arc<dyn ExecutionPlan>,
    first_join: Option<u64>,
) -> Option<Vec<Arc<dyn PhysicalExpr>>> {
    let (_, source) = scan
        .downcast_ref::<DataSourceExec>()
        .and_then(|exec| exec.downcast_to_file_source::<ParquetSource>())?;
    let predicate = source.filter()?;
    if source.table_parquet_options().global.pushdown_filters {
        return None;
    }
    let filters = split_conjunction(&predicate)
        .into_iter()
        .filter(|conjunct| {
            conjunct
                .downcast_ref::<DynamicFilterPhysicalExpr>()
                .is_some()
                && (first_join.is_none() || conjunct.expression_id() != first_join)
        })
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
        Ok(Box::pin(FilteredStream {
            // Filtered batches are gathered into full ones, as `FilterExec` does: a join
            // probed with many small batches pays for each.
            coalescer: BatchCoalescer::new(input.schema(), batch_size)
                .with_biggest_coalesce_batch_size(Some(batch_size / 2)),
            input,
            judge: Judge::new(self.filters.clone()),
            metrics: BaselineMetrics::new(&self.metrics, partition),
            finished: false,
        }))
    }
}

/// The input's batches, filtered and gathered into batches of the session's size.
struct FilteredStream {
    input: SendableRecordBatchStream,
    judge: Judge,
    coalescer: BatchCoalescer,
    metrics: BaselineMetrics,
    finished: bool,
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
            match ready!(self.input.poll_next_unpin(cx)) {
                Some(Ok(batch)) => {
                    let this = &mut *self;
                    let timer = this.metrics.elapsed_compute().timer();
                    let pushed = this.judge.push(batch, &mut this.coalescer);
                    timer.done();
                    pushed?;
                }
                Some(Err(error)) => return Poll::Ready(Some(Err(error))),
                None => {
                    self.finished = true;
                    self.coalescer.finish_buffered_batch()?;
                }
            }
        }
    }
}

impl RecordBatchStream for FilteredStream {
    fn schema(&self) -> SchemaRef {
        self.coalescer.schema()
    }
}
