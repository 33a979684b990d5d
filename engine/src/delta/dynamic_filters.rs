//! Dynamic filters applied to the rows of a Delta scan, batch by batch, while they pay.
//!
//! A hash join that has built its table knows which keys can match; DataFusion hands that
//! knowledge (a "dynamic filter": the keys' bounds and the keys themselves) down to the scan
//! of the other side. With the session's row filters off, as they are by default, and as they
//! must be for speed (see `parquet_scan.rs`), the Parquet reader uses it only to skip row
//! groups by their bounds, and every row reaches the join. TPC-H Q18 at SF 10 then joins all
//! 60 M lineitem rows with all 15 M orders, to keep 600 orders: 18.9 s, where the same query
//! with the filter applied to rows takes 4.3 s.
//!
//! [`DynamicFiltersExec`] sits on the Parquet scan and applies only the dynamic filters, to
//! whole batches (vectorized, as a `FilterExec` does), not through the reader's row selection.
//! A filter that keeps nearly every row costs a hash lookup per row and saves nothing, so a
//! stream stops applying a filter once it has kept more than [`KEPT_TO_GIVE_UP`] of the first
//! [`ROWS_TO_JUDGE`] rows it read. Each filter reads only the rows the ones before it kept.
//! Which filters a scan applies at all is [`ApplyDynamicFilters`]' choice.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use arrow::array::{Array, BooleanArray, RecordBatch};
use arrow::compute::{BatchCoalescer, filter_record_batch};
use arrow::datatypes::SchemaRef;
use datafusion::common::ScalarValue;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::config::ConfigOptions;
use datafusion::datasource::physical_plan::{FileSource, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::Result;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{DynamicFilterPhysicalExpr, Literal};
use datafusion::physical_expr::utils::{reassign_expr_columns, split_conjunction};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::execution_plan::replace_children_if_necessary;
use datafusion::physical_plan::joins::{HashJoinExec, HashTableLookupExpr};
use datafusion::physical_plan::metrics::{BaselineMetrics, ExecutionPlanMetricsSet, MetricsSet};
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, RecordBatchStream,
};
use futures::{Stream, StreamExt};

/// Rows a stream filters before it judges whether its filters pay.
const ROWS_TO_JUDGE: usize = 100_000;

/// The share of rows kept above which filtering does not pay.
const KEPT_TO_GIVE_UP: f64 = 0.9;

/// Operators that pass rows on without work worth saving: a filter from the first join above
/// them is not applied under them (see [`ApplyDynamicFilters`]).
const PASS_ROWS_ON: &[&str] = &[
    "CoalesceBatchesExec",
    "CoalescePartitionsExec",
    "CooperativeExec",
    "DeltaScanExec",
    "FilterExec",
    "LimitGuardExec",
    "ProjectionExec",
    "RepartitionExec",
];

/// The physical optimizer rule that puts a [`DynamicFiltersExec`] on every Parquet scan that
/// received dynamic filters and does not apply them to rows itself. Runs after DataFusion's
/// own rules, once the filters have been pushed down.
///
/// A filter from the first join above the scan, with nothing but [`PASS_ROWS_ON`] between
/// them, is left out: the join looks each row's key up in the same hash table, so filtering
/// first would only do that work twice (TPC-H Q04: 40% slower). A filter pays when the rows
/// it drops would have gone through other joins or an aggregate first (Q18's orders, Q17's
/// lineitem).
#[derive(Debug, Default)]
pub(crate) struct ApplyDynamicFilters;

impl PhysicalOptimizerRule for ApplyDynamicFilters {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        apply_under(plan, None)
    }

    fn name(&self) -> &str {
        "apply_dynamic_filters"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// `plan` with its scans' dynamic filters applied, but for the filter of `first_join` (the
/// identity of the filter of the first join above `plan`, if only [`PASS_ROWS_ON`] are between).
fn apply_under(
    plan: Arc<dyn ExecutionPlan>,
    first_join: Option<u64>,
) -> Result<Arc<dyn ExecutionPlan>> {
    if let Some(filtered) = DynamicFiltersExec::over(&plan, first_join)? {
        return Ok(filtered);
    }
    let first_join = match plan.downcast_ref::<HashJoinExec>() {
        Some(join) => join
            .dynamic_expressions_produced()
            .first()
            .and_then(|filter| filter.expression_id()),
        None if PASS_ROWS_ON.contains(&plan.name()) => first_join,
        None => None,
    };
    let children = plan
        .children()
        .into_iter()
        .map(|child| apply_under(Arc::clone(child), first_join))
        .collect::<Result<Vec<_>>>()?;
    replace_children_if_necessary(plan, children)
}

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
    fn over(
        scan: &Arc<dyn ExecutionPlan>,
        first_join: Option<u64>,
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        let Some((_, source)) = scan
            .downcast_ref::<DataSourceExec>()
            .and_then(|exec| exec.downcast_to_file_source::<ParquetSource>())
        else {
            return Ok(None);
        };
        let Some(predicate) = source.filter() else {
            return Ok(None);
        };
        if source.table_parquet_options().global.pushdown_filters {
            return Ok(None);
        }
        let schema = scan.schema();
        let mut filters = Vec::new();
        for conjunct in split_conjunction(&predicate) {
            if conjunct
                .downcast_ref::<DynamicFilterPhysicalExpr>()
                .is_none()
                || (first_join.is_some() && conjunct.expression_id() == first_join)
            {
                continue;
            }
            // The predicate names the table's columns; the filter reads the scan's output.
            // A filter on a column the scan does not return is left to the reader.
            if let Ok(filter) = reassign_expr_columns(Arc::clone(conjunct), &schema) {
                filters.push(filter);
            }
        }
        if filters.is_empty() {
            return Ok(None);
        }
        Ok(Some(Arc::new(Self {
            input: Arc::clone(scan),
            filters,
            metrics: ExecutionPlanMetricsSet::new(),
        })))
    }
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
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match (children.pop(), children.is_empty()) {
            (Some(input), true) => Ok(Arc::new(Self {
                input,
                filters: self.filters.clone(),
                metrics: ExecutionPlanMetricsSet::new(),
            })),
            _ => datafusion::common::internal_err!("DynamicFiltersExec takes exactly one input"),
        }
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

/// One stream's filters, each with what it has kept so far.
struct Judge {
    filters: Vec<JudgedFilter>,
}

struct JudgedFilter {
    filter: Arc<dyn PhysicalExpr>,
    seen: usize,
    kept: usize,
    paying: bool,
}

impl Judge {
    fn new(filters: Vec<Arc<dyn PhysicalExpr>>) -> Self {
        let filters = filters
            .into_iter()
            .map(|filter| JudgedFilter {
                filter,
                seen: 0,
                kept: 0,
                paying: true,
            })
            .collect();
        Self { filters }
    }

    /// Pushes the rows of `batch` that every filter still paying keeps to `coalescer`. Each
    /// filter reads only the rows the ones before it kept.
    fn push(&mut self, mut batch: RecordBatch, coalescer: &mut BatchCoalescer) -> Result<()> {
        for judged in self.filters.iter_mut().filter(|judged| judged.paying) {
            match held_by(&judged.filter) {
                // Until its join has built, a dynamic filter keeps every row.
                Held::Nothing => continue,
                // A lookup in the join's hash table costs what the join's probe costs, more
                // than the rows it drops save (TPC-H Q08, Q20, Q21: 10-40% slower).
                Held::HashTable => {
                    judged.paying = false;
                    continue;
                }
                Held::Keys if batch.num_rows() == 0 => continue,
                Held::Keys => {}
            }
            let keep = judged
                .filter
                .evaluate(&batch)?
                .into_array(batch.num_rows())?;
            let Some(keep) = keep.as_any().downcast_ref::<BooleanArray>() else {
                return datafusion::common::internal_err!(
                    "a dynamic filter returned {}, not booleans",
                    keep.data_type()
                );
            };
            judged.seen += batch.num_rows();
            judged.kept += keep.true_count();
            if judged.seen >= ROWS_TO_JUDGE {
                judged.paying = (judged.kept as f64) < KEPT_TO_GIVE_UP * judged.seen as f64;
            }
            if keep.true_count() < batch.num_rows() {
                batch = filter_record_batch(&batch, keep)?;
            }
        }
        Ok(coalescer.push_batch(batch)?)
    }
}

/// What a dynamic filter tests rows against, once its join has built.
enum Held {
    /// Nothing yet: the filter is still its placeholder, `true`.
    Nothing,
    /// The join's hash table (a build side too large for a list of keys).
    HashTable,
    /// The keys' bounds and, for a small build side, the keys themselves.
    Keys,
}

fn held_by(filter: &Arc<dyn PhysicalExpr>) -> Held {
    let Some(current) = filter
        .downcast_ref::<DynamicFilterPhysicalExpr>()
        .and_then(|dynamic| dynamic.current().ok())
    else {
        return Held::Keys;
    };
    let placeholder = current
        .downcast_ref::<Literal>()
        .is_some_and(|literal| literal.value() == &ScalarValue::Boolean(Some(true)));
    let looks_up = current
        .exists(|expr| Ok(expr.downcast_ref::<HashTableLookupExpr>().is_some()))
        .unwrap_or(true);
    match (placeholder, looks_up) {
        (true, _) => Held::Nothing,
        (false, true) => Held::HashTable,
        (false, false) => Held::Keys,
    }
}
