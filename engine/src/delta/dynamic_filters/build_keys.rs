//! The keys of a join's build side as a bitmap over their range, for the scans of its other
//! side.
//!
//! A join's dynamic filter tests a row by a lookup in the join's hash table once the build
//! side has more keys than fit a list, and the join looks every row it is handed up again.
//! Once the table outgrows the caches, each lookup of a key it lacks is a cache miss: TPC-H Q09
//! at SF 10 probes the 60 M lineitem rows in the table of the 108.8 K green parts, 816 ms of
//! compute to keep 5.4% of them. Integer keys spanning a few million values fit a bitmap of a
//! few hundred kilobytes, tested in about a nanosecond a row.
//!
//! [`BuildKeysExec`] sits on a join's build side and collects its keys as they stream into the
//! join; when every partition of the build side has ended (before the join has built its table
//! and set its filter), [`BuildKeys`] holds them as a [`KeyBitmap`]. A scan that waits for the
//! join's filter then tests its rows against the bitmap instead, even under the first join
//! above it, whose own lookup it otherwise leaves to the join (see `mod.rs`), when the build
//! side has [`MIN_KEYS`] keys or more: below that, the join's table fits the caches and its
//! lookup is as cheap.
//!
//! Like the join's own table, the keys are collected once per plan: a join executed again
//! reuses the table it built, and the bitmap matches it. A recursive query, which resets its
//! joins for each round, has no dynamic filters applied to rows at all (see `mod.rs`).

use std::collections::HashMap;
use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll, ready};

use arrow::array::{Array, ArrowPrimitiveType, AsArray, BooleanArray, RecordBatch};
use arrow::buffer::BooleanBuffer;
use arrow::datatypes::{DataType, Int32Type, Int64Type, SchemaRef};
use datafusion::common::NullEquality;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::error::Result;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::execution_plan::replace_children_if_necessary;
use datafusion::physical_plan::joins::HashJoinExec;
use datafusion::physical_plan::statistics::{StatisticsArgs, StatisticsContext};
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, PlanProperties,
    RecordBatchStream,
};
use futures::{Stream, StreamExt};

use crate::single_child::single_child;

/// The fewest keys for which a scan tests the first join's keys itself: TPC-H at SF 10 probes
/// lineitem in a table of 2 K parts (Q17) for 2.3 ns a row and of 4 K suppliers (Q21) for 4 ns,
/// and of 13.5 K parts (Q08) for 8 ns.
const MIN_KEYS: usize = 8 * 1024;

/// The most keys collected (8 bytes each while collecting, within the query's memory limit); a
/// larger build side gets no bitmap.
const MAX_KEYS: usize = 2_000_000;

/// The widest range of keys a bitmap spans: 8 MiB. TPC-H's order keys at SF 10 span 60 M.
const MAX_BITS: u64 = 1 << 26;

/// The keys of a join's build side, collected by [`BuildKeysExec`] from each of its partitions.
#[derive(Debug)]
pub(super) struct BuildKeys {
    partitions: usize,
    collecting: Mutex<Collecting>,
    /// Set when every partition has ended: the bitmap, if the keys fit one.
    bitmap: OnceLock<Option<Arc<KeyBitmap>>>,
}

#[derive(Debug, Default)]
struct Collecting {
    keys: Vec<i64>,
    ended: usize,
    /// More than [`MAX_KEYS`], or keys that could not be read: no bitmap.
    given_up: bool,
}

impl BuildKeys {
    fn new(partitions: usize) -> Self {
        Self {
            partitions,
            collecting: Mutex::new(Collecting::default()),
            bitmap: OnceLock::new(),
        }
    }

    /// The bitmap of the keys, once every partition of the build side has ended, if they had
    /// [`MIN_KEYS`] or more and fit one.
    pub(super) fn bitmap(&self) -> Option<&Arc<KeyBitmap>> {
        self.bitmap.get().and_then(Option::as_ref)
    }

    /// Adds a batch's `keys`; `None` (keys that could not be read or kept) ends the bitmap.
    /// Whether the keys are still collected.
    fn add(&self, keys: Option<&dyn Array>) -> bool {
        let mut collecting = self
            .collecting
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if collecting.given_up {
            return false;
        }
        match keys {
            Some(keys) if keys.data_type() == &DataType::Int64 => {
                extend(&mut collecting.keys, keys.as_primitive::<Int64Type>());
            }
            Some(keys) if keys.data_type() == &DataType::Int32 => {
                extend(&mut collecting.keys, keys.as_primitive::<Int32Type>());
            }
            _ => collecting.given_up = true,
        }
        if collecting.keys.len() > MAX_KEYS {
            collecting.given_up = true;
        }
        if collecting.given_up {
            collecting.keys = Vec::new();
        }
        !collecting.given_up
    }

    fn end_partition(&self) {
        let mut collecting = self
            .collecting
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        collecting.ended += 1;
        if collecting.ended == self.partitions {
            let keys = std::mem::take(&mut collecting.keys);
            let bitmap = (!collecting.given_up)
                .then(|| KeyBitmap::of(&keys))
                .flatten();
            let _ = self.bitmap.set(bitmap.map(Arc::new));
        }
    }
}

fn extend<T>(keys: &mut Vec<i64>, array: &arrow::array::PrimitiveArray<T>)
where
    T: ArrowPrimitiveType,
    T::Native: Into<i64>,
{
    // Null keys match nothing.
    keys.extend(array.iter().flatten().map(Into::into));
}

/// A set of integer keys as one bit per value between the least and the greatest.
#[derive(Debug)]
pub(super) struct KeyBitmap {
    min: i64,
    span: u64,
    words: Vec<u64>,
}

impl KeyBitmap {
    /// The bitmap of `keys`, if there are [`MIN_KEYS`] or more of them (with repeats) and
    /// they span at most [`MAX_BITS`] values.
    fn of(keys: &[i64]) -> Option<Self> {
        if keys.len() < MIN_KEYS {
            return None;
        }
        let (min, max) = keys.iter().fold((i64::MAX, i64::MIN), |(min, max), &key| {
            (min.min(key), max.max(key))
        });
        let span = u64::try_from(i128::from(max) - i128::from(min) + 1).ok()?;
        if span > MAX_BITS {
            return None;
        }
        let mut words = vec![0u64; span.div_ceil(64) as usize];
        for &key in keys {
            let offset = key.wrapping_sub(min) as u64;
            words[(offset / 64) as usize] |= 1 << (offset % 64);
        }
        Some(Self { min, span, words })
    }

    /// Which of `keys` are in the set (a null key is in none); `None` for keys not integers.
    pub(super) fn holds(&self, keys: &dyn Array) -> Option<BooleanArray> {
        match keys.data_type() {
            DataType::Int64 => Some(self.holds_values(keys.as_primitive::<Int64Type>())),
            DataType::Int32 => Some(self.holds_values(keys.as_primitive::<Int32Type>())),
            _ => None,
        }
    }

    fn holds_values<T>(&self, keys: &arrow::array::PrimitiveArray<T>) -> BooleanArray
    where
        T: ArrowPrimitiveType,
        T::Native: Into<i64>,
    {
        let values = keys.values();
        let held = BooleanBuffer::collect_bool(values.len(), |i| {
            let offset = values[i].into().wrapping_sub(self.min) as u64;
            offset < self.span && self.words[(offset / 64) as usize] & (1 << (offset % 64)) != 0
        });
        BooleanArray::new(held, keys.nulls().cloned())
    }
}

/// The keys collected from the build sides of joins, by the id of the join's dynamic filter.
pub(super) type KeysByFilter = HashMap<u64, Arc<BuildKeys>>;

/// `plan` with a [`BuildKeysExec`] on the build side of each hash join whose keys may make a
/// bitmap, and the keys of each, by the id of the join's dynamic filter.
pub(super) fn collected_by_joins(
    plan: Arc<dyn ExecutionPlan>,
) -> Result<(Arc<dyn ExecutionPlan>, KeysByFilter)> {
    let mut collected = HashMap::new();
    let plan = plan
        .transform_up(|node| {
            let Some((join, id)) = node
                .downcast_ref::<HashJoinExec>()
                .and_then(|join| Some((join, bitmap_filter_id(join)?)))
            else {
                return Ok(Transformed::no(node));
            };
            if let Some(collecting) = join.left().downcast_ref::<BuildKeysExec>() {
                collected.insert(id, Arc::clone(collecting.keys()));
                return Ok(Transformed::no(node));
            }
            if !may_have_enough_keys(join.left()) {
                return Ok(Transformed::no(node));
            }
            let collecting =
                BuildKeysExec::new(Arc::clone(join.left()), Arc::clone(&join.on()[0].0));
            collected.insert(id, Arc::clone(collecting.keys()));
            let children = vec![Arc::new(collecting) as _, Arc::clone(join.right())];
            Ok(Transformed::yes(replace_children_if_necessary(
                Arc::clone(&node),
                children,
            )?))
        })?
        .data;
    Ok((plan, collected))
}

/// The id of the dynamic filter of `join`, when it is on one integer key whose nulls match
/// nothing.
fn bitmap_filter_id(join: &HashJoinExec) -> Option<u64> {
    let [(key, _)] = join.on() else {
        return None;
    };
    let integer = matches!(
        key.data_type(&join.left().schema()),
        Ok(DataType::Int32 | DataType::Int64)
    );
    if !integer || join.null_equality() != NullEquality::NullEqualsNothing {
        return None;
    }
    join.dynamic_expressions_produced()
        .first()
        .and_then(|filter| filter.expression_id())
}

/// Whether `build` may hold [`MIN_KEYS`] rows or more: unless its estimate says fewer (an
/// estimate that fails says nothing).
fn may_have_enough_keys(build: &Arc<dyn ExecutionPlan>) -> bool {
    StatisticsContext::new()
        .compute(build.as_ref(), &StatisticsArgs::new())
        .map_or(true, |statistics| {
            statistics
                .num_rows
                .get_value()
                .is_none_or(|&rows| rows >= MIN_KEYS)
        })
}

/// Hands its input (a join's build side) on unchanged, collecting the join's keys into
/// [`BuildKeys`].
#[derive(Debug)]
pub(super) struct BuildKeysExec {
    input: Arc<dyn ExecutionPlan>,
    /// The join's key on this side.
    key: Arc<dyn PhysicalExpr>,
    keys: Arc<BuildKeys>,
}

impl BuildKeysExec {
    /// `input`, the build side of a join on `key`, collecting its keys.
    pub(super) fn new(input: Arc<dyn ExecutionPlan>, key: Arc<dyn PhysicalExpr>) -> Self {
        let partitions = input.output_partitioning().partition_count();
        Self {
            input,
            key,
            keys: Arc::new(BuildKeys::new(partitions)),
        }
    }

    pub(super) fn keys(&self) -> &Arc<BuildKeys> {
        &self.keys
    }
}

impl DisplayAs for BuildKeysExec {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BuildKeysExec: key={}", self.key)
    }
}

impl ExecutionPlan for BuildKeysExec {
    fn name(&self) -> &str {
        "BuildKeysExec"
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
            key: Arc::clone(&self.key),
            keys: Arc::clone(&self.keys),
        }))
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        f(&self.key)
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let reservation = MemoryConsumer::new("BuildKeysExec").register(context.memory_pool());
        Ok(Box::pin(KeysStream {
            input: self.input.execute(partition, context)?,
            key: Arc::clone(&self.key),
            keys: Arc::clone(&self.keys),
            reservation,
            collecting: true,
            ended: false,
        }))
    }
}

struct KeysStream {
    input: SendableRecordBatchStream,
    key: Arc<dyn PhysicalExpr>,
    keys: Arc<BuildKeys>,
    /// The keys this partition collected, within the query's memory limit: past it, no bitmap.
    reservation: MemoryReservation,
    /// Whether the keys are still collected: not once they cannot make a bitmap.
    collecting: bool,
    ended: bool,
}

impl Stream for KeysStream {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let next = ready!(self.input.poll_next_unpin(cx));
        match &next {
            Some(Ok(batch)) if self.collecting => {
                // Keys past the memory limit, or that the join cannot read either (it fails on
                // them), end the bitmap.
                let collected = size_of::<i64>() * batch.num_rows();
                let keys = match self.reservation.try_grow(collected) {
                    Ok(()) => self
                        .key
                        .evaluate(batch)
                        .and_then(|keys| keys.into_array(batch.num_rows()))
                        .ok(),
                    Err(_) => None,
                };
                self.collecting = self.keys.add(keys.as_deref());
                if !self.collecting {
                    self.reservation.free();
                }
            }
            // A partition that fails or is dropped before its end never completes the keys.
            Some(_) => {}
            None if !self.ended => {
                self.ended = true;
                self.keys.end_partition();
            }
            None => {}
        }
        Poll::Ready(next)
    }
}

impl RecordBatchStream for KeysStream {
    fn schema(&self) -> SchemaRef {
        self.input.schema()
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Int32Array, Int64Array};

    use super::*;

    /// `MIN_KEYS` keys: the even numbers from `start`, and `extra`.
    fn keys_from(start: i64, extra: &[i64]) -> Vec<i64> {
        let mut keys: Vec<i64> = (0..MIN_KEYS as i64).map(|i| start + 2 * i).collect();
        keys.extend_from_slice(extra);
        keys
    }

    #[test]
    fn a_bitmap_holds_its_keys_and_no_other_value() {
        let keys = keys_from(-1_000, &[1_000_000]);
        let bitmap = KeyBitmap::of(&keys).expect("the keys span under MAX_BITS");
        let probe = Int64Array::from(vec![
            Some(-1_000),
            Some(-999),
            Some(-1_002),
            Some(-1_000 + 2 * (MIN_KEYS as i64 - 1)),
            Some(1_000_000),
            Some(1_000_001),
            Some(i64::MIN),
            Some(i64::MAX),
            None,
        ]);
        let held = bitmap.holds(&probe).expect("Int64 keys are read");
        let held: Vec<Option<bool>> = held.iter().collect();
        let t = Some(true);
        let f = Some(false);
        assert_eq!(held, [t, f, f, t, t, f, f, f, None]);
    }

    #[test]
    fn int32_keys_are_read_as_they_are() {
        let bitmap = KeyBitmap::of(&keys_from(0, &[])).expect("the keys span under MAX_BITS");
        let probe = Int32Array::from(vec![-2, 0, 1, 2, 2 * MIN_KEYS as i32]);
        let held = bitmap.holds(&probe).expect("Int32 keys are read");
        let held: Vec<bool> = held.iter().map(|held| held == Some(true)).collect();
        assert_eq!(held, [false, true, false, true, false]);
    }

    #[test]
    fn few_keys_or_a_wide_span_get_no_bitmap() {
        assert!(KeyBitmap::of(&[1, 2, 3]).is_none());
        assert!(KeyBitmap::of(&keys_from(0, &[MAX_BITS as i64 * 2])).is_none());
        assert!(KeyBitmap::of(&keys_from(i64::MIN, &[i64::MAX])).is_none());
    }

    #[test]
    fn the_keys_are_a_bitmap_once_every_partition_has_ended() {
        let keys = BuildKeys::new(2);
        let half = MIN_KEYS as i64 / 2;
        assert!(keys.add(Some(&Int64Array::from_iter_values(0..half))));
        keys.end_partition();
        assert!(keys.bitmap().is_none());
        assert!(keys.add(Some(&Int64Array::from_iter_values(half..2 * half))));
        keys.end_partition();
        let bitmap = keys.bitmap().expect("both partitions ended");
        let held = bitmap
            .holds(&Int64Array::from(vec![0, 2 * half - 1, 2 * half]))
            .expect("Int64 keys are read");
        assert_eq!(held, BooleanArray::from(vec![true, true, false]));
    }

    #[test]
    fn keys_that_cannot_be_read_leave_no_bitmap() {
        let keys = BuildKeys::new(1);
        assert!(keys.add(Some(&Int64Array::from_iter_values(0..MIN_KEYS as i64))));
        assert!(!keys.add(None), "unreadable keys end the bitmap");
        keys.end_partition();
        assert!(keys.bitmap().is_none());
    }
}
