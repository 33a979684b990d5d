//! Which of a stream's dynamic filters pay, and applying those that do: a filter holding keys
//! (their bounds, a list) pays until it has kept more than [`KEPT_TO_GIVE_UP`] of the first
//! [`ROWS_TO_JUDGE`] rows it read; a lookup in a join's hash table, until it has kept more
//! than [`LOOKUP_KEPT_TO_GIVE_UP`] of them.

use std::sync::Arc;

use arrow::array::{Array, BooleanArray, RecordBatch};
use arrow::compute::{BatchCoalescer, filter_record_batch};
use arrow::datatypes::Schema;
use datafusion::common::tree_node::TreeNode;
use datafusion::error::Result;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::DynamicFilterPhysicalExpr;
use datafusion::physical_plan::joins::HashTableLookupExpr;

use super::one_list::{is_boolean, lookups_in_any_partition, one_list_of_keys};

/// Rows a stream filters before it judges whether its filters pay.
const ROWS_TO_JUDGE: usize = 100_000;

/// The share of rows kept above which filtering does not pay.
const KEPT_TO_GIVE_UP: f64 = 0.9;

/// The same for a lookup in a join's hash table, which costs what the join's own probe costs:
/// it pays when it drops nearly every row before work dearer than a probe (TPC-H Q17 at SF 10,
/// 99.9% of lineitem before the subquery's aggregate), and costs 10-40% where it drops fewer
/// (Q08, Q20, Q21).
const LOOKUP_KEPT_TO_GIVE_UP: f64 = 0.1;

/// One stream's filters, each with what it has kept so far.
pub(super) struct Judge {
    filters: Vec<JudgedFilter>,
}

struct JudgedFilter {
    filter: Arc<dyn PhysicalExpr>,
    /// Whether one of the plan's hash joins produces the filter: while that join has yet to
    /// build, the stream holds its batches back (see `exec.rs`).
    from_join: bool,
    /// What the filter held at `generation`, its last update seen: read again only when its
    /// join updates it, not for every batch.
    held: Held,
    generation: Option<u64>,
    seen: usize,
    kept: usize,
    paying: bool,
}

impl Judge {
    /// Judges `filters`, of which those whose ids are in `from_joins` come from hash joins.
    pub(super) fn new(filters: Vec<Arc<dyn PhysicalExpr>>, from_joins: &[u64]) -> Self {
        let filters = filters
            .into_iter()
            .map(|filter| JudgedFilter {
                from_join: filter
                    .expression_id()
                    .is_some_and(|id| from_joins.contains(&id)),
                filter,
                held: Held::Nothing,
                generation: None,
                seen: 0,
                kept: 0,
                paying: true,
            })
            .collect();
        Self { filters }
    }

    /// Pushes the rows of `batch` that every filter still paying keeps to `coalescer`. Each
    /// filter reads only the rows the ones before it kept.
    pub(super) fn push(
        &mut self,
        mut batch: RecordBatch,
        coalescer: &mut BatchCoalescer,
    ) -> Result<()> {
        for judged in self.filters.iter_mut().filter(|judged| judged.paying) {
            judged.refresh(&batch.schema());
            let (test, give_up_above) = match &judged.held {
                // Until its join has built, a dynamic filter keeps every row.
                Held::Nothing => continue,
                _ if batch.num_rows() == 0 => continue,
                Held::HashTable(lookup) => (lookup, LOOKUP_KEPT_TO_GIVE_UP),
                Held::Keys(keys) => (keys, KEPT_TO_GIVE_UP),
            };
            let keep = test.evaluate(&batch)?.into_array(batch.num_rows())?;
            let Some(keep) = keep.as_any().downcast_ref::<BooleanArray>() else {
                return datafusion::common::internal_err!(
                    "a dynamic filter returned {}, not booleans",
                    keep.data_type()
                );
            };
            judged.seen += batch.num_rows();
            judged.kept += keep.true_count();
            if judged.seen >= ROWS_TO_JUDGE {
                judged.paying = (judged.kept as f64) < give_up_above * judged.seen as f64;
            }
            if keep.true_count() < batch.num_rows() {
                batch = filter_record_batch(&batch, keep)?;
            }
        }
        Ok(coalescer.push_batch(batch)?)
    }

    /// Whether a filter still paying comes from a join that has yet to build: until it has,
    /// its placeholder keeps every row.
    pub(super) fn awaits_a_join(&mut self, schema: &Schema) -> bool {
        for judged in self.filters.iter_mut() {
            if judged.paying && judged.from_join {
                judged.refresh(schema);
            }
        }
        self.awaited().next().is_some()
    }

    /// The filters of joins that had yet to build when last looked at.
    pub(super) fn awaited_joins(&self) -> Vec<Arc<dyn PhysicalExpr>> {
        self.awaited()
            .map(|judged| Arc::clone(&judged.filter))
            .collect()
    }

    fn awaited(&self) -> impl Iterator<Item = &JudgedFilter> {
        self.filters.iter().filter(|judged| {
            judged.paying && judged.from_join && matches!(judged.held, Held::Nothing)
        })
    }
}

impl JudgedFilter {
    /// Reads what the filter holds again, when its join has updated it since the last look.
    fn refresh(&mut self, schema: &Schema) {
        let generation = self.filter.snapshot_generation();
        if self.generation != Some(generation) {
            self.held = held_by(&self.filter, schema);
            self.generation = Some(generation);
        }
    }
}

/// What a dynamic filter tests rows against, once its join has built.
enum Held {
    /// Nothing yet: the filter is still its placeholder, `true`.
    Nothing,
    /// The join's hash table (a build side too large for a list of keys): the lookup to
    /// apply to rows.
    HashTable(Arc<dyn PhysicalExpr>),
    /// The keys' bounds and, for a small build side, the keys themselves: the test to
    /// apply to rows.
    Keys(Arc<dyn PhysicalExpr>),
}

fn held_by(filter: &Arc<dyn PhysicalExpr>, schema: &Schema) -> Held {
    let Some(current) = filter
        .downcast_ref::<DynamicFilterPhysicalExpr>()
        .and_then(|dynamic| dynamic.current().ok())
    else {
        return Held::Keys(Arc::clone(filter));
    };
    let placeholder = is_boolean(&current, true);
    let looks_up = current
        .exists(|expr| Ok(expr.downcast_ref::<HashTableLookupExpr>().is_some()))
        .unwrap_or(true);
    match (placeholder, looks_up) {
        (true, _) => Held::Nothing,
        (false, true) => Held::HashTable(lookups_in_any_partition(current)),
        (false, false) => Held::Keys(one_list_of_keys(current, schema)),
    }
}
