//! Which of a stream's dynamic filters pay, and applying those that do: a filter holding keys
//! (their bounds, a list, a bitmap) pays until it has kept more than [`KEPT_TO_GIVE_UP`] of the
//! first [`ROWS_TO_JUDGE`] rows it read; a lookup in a join's hash table, until it has kept
//! more than [`LOOKUP_KEPT_TO_GIVE_UP`] of them.

use std::sync::Arc;

use arrow::array::{Array, BooleanArray, RecordBatch};
use arrow::compute::{BatchCoalescer, filter_record_batch};
use arrow::datatypes::{DataType, Schema};
use datafusion::common::tree_node::TreeNode;
use datafusion::error::Result;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::DynamicFilterPhysicalExpr;
use datafusion::physical_plan::joins::HashTableLookupExpr;

use super::build_keys::{BuildKeys, KeyBitmap};
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

/// What the plan says of where one of a scan's dynamic filters comes from.
#[derive(Debug, Clone)]
pub(super) struct FilterSource {
    /// Whether one of the plan's hash joins produces the filter: while that join has yet to
    /// build, the stream holds its batches back (see `exec.rs`).
    pub(super) from_join: bool,
    /// The keys of the join's build side, collected for a bitmap (see `build_keys.rs`).
    pub(super) build_keys: Option<Arc<BuildKeys>>,
    /// Whether the filter comes from the first join above the scan, which looks every row up
    /// itself: applied as a bitmap only.
    pub(super) bitmap_only: bool,
}

/// One stream's filters, each with what it has kept so far.
pub(super) struct Judge {
    filters: Vec<JudgedFilter>,
    /// Set once no filter awaits its join: a join sets its filter once, so no filter ever
    /// awaits one again, and the batches that follow skip the look.
    joins_built: bool,
}

struct JudgedFilter {
    filter: Arc<dyn PhysicalExpr>,
    source: FilterSource,
    /// What the filter held at `generation`, its last update seen: read again only when its
    /// join updates it, not for every batch.
    held: Held,
    generation: Option<u64>,
    seen: usize,
    kept: usize,
    paying: bool,
}

impl Judge {
    /// Judges `filters`, which come from `sources`.
    pub(super) fn new(filters: Vec<Arc<dyn PhysicalExpr>>, sources: Vec<FilterSource>) -> Self {
        let filters = filters
            .into_iter()
            .zip(sources)
            .map(|(filter, source)| JudgedFilter {
                filter,
                source,
                held: Held::Nothing,
                generation: None,
                seen: 0,
                kept: 0,
                paying: true,
            })
            .collect();
        Self {
            filters,
            joins_built: false,
        }
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
            let (keep, give_up_above) = match &judged.held {
                // Until its join has built, a dynamic filter keeps every row.
                Held::Nothing => continue,
                _ if batch.num_rows() == 0 => continue,
                Held::HashTable(lookup) => (evaluate(lookup, &batch)?, LOOKUP_KEPT_TO_GIVE_UP),
                Held::Keys(keys) => (evaluate(keys, &batch)?, KEPT_TO_GIVE_UP),
                Held::Bitmap(key, bitmap) => {
                    let keys = key.evaluate(&batch)?.into_array(batch.num_rows())?;
                    let Some(keep) = bitmap.holds(&keys) else {
                        return datafusion::common::internal_err!(
                            "a join's keys read as {}, not integers",
                            keys.data_type()
                        );
                    };
                    (keep, KEPT_TO_GIVE_UP)
                }
            };
            judged.seen += batch.num_rows();
            judged.kept += keep.true_count();
            if judged.seen >= ROWS_TO_JUDGE {
                judged.paying = (judged.kept as f64) < give_up_above * judged.seen as f64;
            }
            if keep.true_count() < batch.num_rows() {
                batch = filter_record_batch(&batch, &keep)?;
            }
        }
        Ok(coalescer.push_batch(batch)?)
    }

    /// Whether a filter still paying comes from a join that has yet to build: until it has,
    /// its placeholder keeps every row.
    pub(super) fn awaits_a_join(&mut self, schema: &Schema) -> bool {
        if self.joins_built {
            return false;
        }
        for judged in self.filters.iter_mut() {
            if judged.paying && judged.source.from_join {
                judged.refresh(schema);
            }
        }
        let none_awaited = self.awaited().next().is_none();
        self.joins_built = none_awaited;
        !none_awaited
    }

    /// The filters of joins that had yet to build when last looked at.
    pub(super) fn awaited_joins(&self) -> Vec<Arc<dyn PhysicalExpr>> {
        self.awaited()
            .map(|judged| Arc::clone(&judged.filter))
            .collect()
    }

    fn awaited(&self) -> impl Iterator<Item = &JudgedFilter> {
        self.filters.iter().filter(|judged| {
            judged.paying && judged.source.from_join && matches!(judged.held, Held::Nothing)
        })
    }
}

impl JudgedFilter {
    /// Reads what the filter holds again, when its join has updated it since the last look.
    fn refresh(&mut self, schema: &Schema) {
        let generation = self.filter.snapshot_generation();
        if self.generation != Some(generation) {
            self.held = held_by(&self.filter, schema, self.source.build_keys.as_deref());
            self.generation = Some(generation);
            // The join looks every row up itself: only a bitmap is cheaper than that.
            if self.source.bitmap_only && !matches!(self.held, Held::Nothing | Held::Bitmap(..)) {
                self.paying = false;
            }
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
    /// The build side's keys as a bitmap, and the key of the rows to test against it.
    Bitmap(Arc<dyn PhysicalExpr>, Arc<KeyBitmap>),
}

/// Which rows of `batch` `test` keeps.
fn evaluate(test: &Arc<dyn PhysicalExpr>, batch: &RecordBatch) -> Result<BooleanArray> {
    let keep = test.evaluate(batch)?.into_array(batch.num_rows())?;
    match keep.as_any().downcast_ref::<BooleanArray>() {
        Some(keep) => Ok(keep.clone()),
        None => datafusion::common::internal_err!(
            "a dynamic filter returned {}, not booleans",
            keep.data_type()
        ),
    }
}

fn held_by(filter: &Arc<dyn PhysicalExpr>, schema: &Schema, keys: Option<&BuildKeys>) -> Held {
    let Some(current) = filter
        .downcast_ref::<DynamicFilterPhysicalExpr>()
        .and_then(|dynamic| dynamic.current().ok())
    else {
        return Held::Keys(Arc::clone(filter));
    };
    if is_boolean(&current, true) {
        return Held::Nothing;
    }
    // A join's filter reads its key on this side, its one child.
    if let ([key], Some(bitmap)) = (&filter.children()[..], keys.and_then(BuildKeys::bitmap))
        && matches!(key.data_type(schema), Ok(DataType::Int32 | DataType::Int64))
    {
        return Held::Bitmap(Arc::clone(key), Arc::clone(bitmap));
    }
    let looks_up = current
        .exists(|expr| Ok(expr.downcast_ref::<HashTableLookupExpr>().is_some()))
        .unwrap_or(true);
    if looks_up {
        Held::HashTable(lookups_in_any_partition(current))
    } else {
        Held::Keys(one_list_of_keys(current, schema))
    }
}
