//! [`NarrowingAnd`]: a filter's conjuncts tested one after another, cheapest first, each on the
//! rows the ones before it kept.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, RecordBatch, RecordBatchOptions, UInt32Array,
};
use arrow::buffer::{BooleanBuffer, MutableBuffer};
use arrow::compute::FilterBuilder;
use arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef};
use arrow::util::bit_util;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode, TreeNodeRecursion};
use datafusion::common::{ScalarValue, internal_err};
use datafusion::error::Result;
use datafusion::logical_expr::ColumnarValue;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Column;

use super::order::evaluation_order;

/// What copying one row of one column costs, in the units of [`evaluation_order`]'s costs (a
/// comparison of two numbers costs 1).
const COPY_COST: u64 = 2;

/// What testing one row with a conjunct that may fail is reckoned to cost (as a comparison of
/// strings), in the same units.
const FALLIBLE_COST: u32 = 4;

/// `c1 AND c2 AND ...` as a filter's predicate: null counts as false, which is all a filter
/// asks of it.
///
/// DataFusion's `AND` tests its right side on the rows its left side kept once they are under a
/// fifth, by copying every column of the batch, and then scatters the answer back to the whole
/// batch row by row; a chain of conjuncts does both once per conjunct (TPC-H Q06 at SF 10: a
/// quarter of the query's time). This expression copies only the columns the conjuncts read,
/// keeps the rows left and their positions from one conjunct to the next, and builds the
/// batch's answer once, from the positions. The cheapest conjuncts go first (see
/// [`evaluation_order`]).
#[derive(Debug)]
pub(crate) struct NarrowingAnd {
    /// The conjuncts, over the filter's input, in the order they are tested.
    conjuncts: Vec<Arc<dyn PhysicalExpr>>,
    /// Each conjunct's cost per row if it cannot fail, and so may test rows a conjunct before
    /// it dropped (see [`evaluation_order`]).
    costs: Vec<Option<u32>>,
    /// The filter's input schema.
    input: SchemaRef,
    /// The input's columns the conjuncts read: the batch they are tested on.
    read: Vec<usize>,
    read_schema: SchemaRef,
    /// The conjuncts over the batch of `read` columns.
    on_read: Vec<Arc<dyn PhysicalExpr>>,
}

impl NarrowingAnd {
    /// Tests `conjuncts`, written in this order over `input`, cheapest first.
    pub(crate) fn try_new(conjuncts: &[Arc<dyn PhysicalExpr>], input: SchemaRef) -> Result<Self> {
        let order = evaluation_order(conjuncts, &input);
        let costs = order.iter().map(|&(_, cost)| cost).collect();
        let conjuncts: Vec<_> = order
            .iter()
            .map(|&(i, _)| Arc::clone(&conjuncts[i]))
            .collect();
        let mut read: Vec<usize> = Vec::new();
        for conjunct in &conjuncts {
            conjunct.apply(|node| {
                if let Some(column) = node.downcast_ref::<Column>() {
                    read.push(column.index());
                }
                Ok(TreeNodeRecursion::Continue)
            })?;
        }
        read.sort_unstable();
        read.dedup();
        let on_read = conjuncts
            .iter()
            .map(|conjunct| {
                Arc::clone(conjunct)
                    .transform_up(|node| {
                        let Some(column) = node.downcast_ref::<Column>() else {
                            return Ok(Transformed::no(node));
                        };
                        match read.binary_search(&column.index()) {
                            Ok(at) => {
                                Ok(Transformed::yes(Arc::new(Column::new(column.name(), at))
                                    as Arc<dyn PhysicalExpr>))
                            }
                            Err(_) => internal_err!("column {column} was not collected"),
                        }
                    })
                    .data()
            })
            .collect::<Result<Vec<_>>>()?;
        let read_schema = Arc::new(input.project(&read)?);
        Ok(Self {
            conjuncts,
            costs,
            input,
            read,
            read_schema,
            on_read,
        })
    }

    /// Whether copying out the `kept` rows of the `tested` ones costs less than testing the
    /// conjuncts from the `at`th on with every row: when they keep a fifth or fewer, or when
    /// the tests left are dear (strings: TPC-H Q19 tests two modes of shipping on the quarter
    /// of lineitem's rows its instruction keeps, and tested them on all of them).
    fn compacting_pays(&self, at: usize, kept: usize, tested: usize) -> bool {
        let cost_left: u64 = self.costs[at..]
            .iter()
            .map(|cost| u64::from(cost.unwrap_or(FALLIBLE_COST)))
            .sum();
        let saved = (tested - kept) as u64 * cost_left;
        let copied = kept as u64 * self.read.len() as u64 * COPY_COST;
        kept * 5 <= tested || saved > copied
    }

    /// The batch of the columns the conjuncts read.
    fn read_columns(&self, batch: &RecordBatch) -> Result<RecordBatch> {
        let columns = self
            .read
            .iter()
            .map(|&i| match batch.columns().get(i) {
                Some(column) => Ok(Arc::clone(column)),
                None => internal_err!("a filter's batch has no column {i}"),
            })
            .collect::<Result<Vec<ArrayRef>>>()?;
        let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
        Ok(RecordBatch::try_new_with_options(
            Arc::clone(&self.read_schema),
            columns,
            &options,
        )?)
    }
}

/// The rows still in: the read columns of those rows, and where each row is in the input
/// batch (`None` while they are all its rows, in order).
struct Rows {
    batch: RecordBatch,
    positions: Option<UInt32Array>,
}

impl Rows {
    /// Keeps the rows `kept` marks.
    fn compact(self, kept: &BooleanBuffer) -> Result<Self> {
        let predicate = FilterBuilder::new(&BooleanArray::new(kept.clone(), None))
            .optimize()
            .build();
        let columns = self
            .batch
            .columns()
            .iter()
            .map(|column| predicate.filter(column))
            .collect::<Result<Vec<_>, _>>()?;
        let options = RecordBatchOptions::new().with_row_count(Some(predicate.count()));
        let batch = RecordBatch::try_new_with_options(self.batch.schema(), columns, &options)?;
        let positions = match self.positions {
            Some(positions) => predicate.filter(&positions)?.as_primitive().clone(),
            None => kept.set_indices().map(|i| i as u32).collect(),
        };
        Ok(Self {
            batch,
            positions: Some(positions),
        })
    }
}

/// Which rows a conjunct's value passes (null does not).
fn passed(value: ColumnarValue, rows: usize) -> Result<BooleanBuffer> {
    match value {
        ColumnarValue::Array(array) => {
            let Some(array) = array.as_boolean_opt() else {
                return internal_err!("a filter's conjunct gave {}", array.data_type());
            };
            Ok(match array.nulls() {
                Some(nulls) => array.values() & nulls.inner(),
                None => array.values().clone(),
            })
        }
        ColumnarValue::Scalar(ScalarValue::Boolean(value)) => {
            Ok(BooleanBuffer::from(vec![value == Some(true); rows]))
        }
        ColumnarValue::Scalar(other) => {
            internal_err!("a filter's conjunct gave {}", other.data_type())
        }
    }
}

/// The input batch's answer: true at the positions of the rows kept.
fn scatter(rows: usize, positions: &UInt32Array, kept: &BooleanBuffer) -> BooleanArray {
    let mut bits = MutableBuffer::from_len_zeroed(bit_util::ceil(rows, 8));
    let slice = bits.as_slice_mut();
    for row in kept.set_indices() {
        bit_util::set_bit(slice, positions.value(row) as usize);
    }
    BooleanArray::new(BooleanBuffer::new(bits.into(), 0, rows), None)
}

impl PhysicalExpr for NarrowingAnd {
    fn return_field(&self, _input_schema: &Schema) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(
            "narrowing_and",
            DataType::Boolean,
            false,
        )))
    }

    fn evaluate(&self, batch: &RecordBatch) -> Result<ColumnarValue> {
        let input_rows = batch.num_rows();
        let mut rows = Rows {
            batch: self.read_columns(batch)?,
            positions: None,
        };
        // Which of `rows` every conjunct so far passed, and how many; `None` before the first.
        let mut kept: Option<(BooleanBuffer, usize)> = None;
        for (at, (conjunct, cost)) in self.on_read.iter().zip(&self.costs).enumerate() {
            if let Some((mask, count)) = &kept {
                let tested = rows.batch.num_rows();
                // A conjunct that may fail tests only the rows all before it kept once they
                // are under a fifth of the batch, as DataFusion's `AND` would.
                let must = cost.is_none() && count * 5 <= input_rows;
                if *count < tested && (must || self.compacting_pays(at, *count, tested)) {
                    rows = rows.compact(mask)?;
                    kept = None;
                }
            }
            let passed = passed(conjunct.evaluate(&rows.batch)?, rows.batch.num_rows())?;
            let mask = match kept {
                Some((mask, _)) => &mask & &passed,
                None => passed,
            };
            let count = mask.count_set_bits();
            if count == 0 {
                return Ok(ColumnarValue::Array(Arc::new(BooleanArray::new(
                    BooleanBuffer::new_unset(input_rows),
                    None,
                ))));
            }
            kept = Some((mask, count));
        }
        let kept = match kept {
            Some((mask, _)) => mask,
            None => BooleanBuffer::new_set(rows.batch.num_rows()),
        };
        let answer = match &rows.positions {
            None => BooleanArray::new(kept, None),
            Some(positions) => scatter(input_rows, positions, &kept),
        };
        Ok(ColumnarValue::Array(Arc::new(answer)))
    }

    fn children(&self) -> Vec<&Arc<dyn PhysicalExpr>> {
        self.conjuncts.iter().collect()
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn PhysicalExpr>>,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        Ok(Arc::new(Self::try_new(&children, Arc::clone(&self.input))?))
    }

    fn fmt_sql(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, conjunct) in self.conjuncts.iter().enumerate() {
            if i > 0 {
                write!(f, " AND ")?;
            }
            conjunct.fmt_sql(f)?;
        }
        Ok(())
    }
}

/// Shown as the `AND` it evaluates, in the order it tests the conjuncts.
impl fmt::Display for NarrowingAnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, conjunct) in self.conjuncts.iter().enumerate() {
            if i > 0 {
                write!(f, " AND ")?;
            }
            write!(f, "{conjunct}")?;
        }
        Ok(())
    }
}

/// Two are equal when they test the same conjuncts in the same order.
impl PartialEq for NarrowingAnd {
    fn eq(&self, other: &Self) -> bool {
        self.conjuncts == other.conjuncts
    }
}

impl Eq for NarrowingAnd {}

impl Hash for NarrowingAnd {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.conjuncts.hash(state);
    }
}
