//! [`BoundedDecimalOp`]: `+`, `-` or `*` of two decimals, without a check per row when the
//! batch's largest values show that no row can overflow.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, Decimal128Array, RecordBatch};
use arrow::compute::kernels::numeric::{add_wrapping, mul_wrapping, sub_wrapping};
use arrow::datatypes::{
    DECIMAL128_MAX_PRECISION, DECIMAL128_MAX_SCALE, DataType, FieldRef, Schema,
};
use datafusion::common::{ScalarValue, internal_err};
use datafusion::error::Result;
use datafusion::logical_expr::{ColumnarValue, Operator};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::BinaryExpr;
use datafusion::physical_expr_common::datum::apply;

/// `left op right` on `Decimal128` values, as DataFusion computes it: the same result type and
/// values, and the same error on an overflow.
///
/// Arrow computes decimal arithmetic with a checked operation per row (an overflow is an error,
/// never a wrong answer), which the compiler cannot vectorise: TPC-H Q01's `1 - l_discount` and
/// `1 + l_tax` took 9% of the query each. Here each batch's largest magnitudes are found first
/// (a pass that vectorises); when even they cannot overflow, the rows are computed without
/// checks. Otherwise the batch goes to Arrow's checked kernel, errors and all.
#[derive(Debug)]
pub(crate) struct BoundedDecimalOp {
    /// The expression replaced, with the same children: its type, nullability and display.
    binary: BinaryExpr,
    op: DecimalOp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum DecimalOp {
    Add,
    Sub,
    Mul,
}

/// How one operation on decimals of two types is computed, as Arrow's `decimal_op` does it.
#[derive(Debug, Clone, Copy)]
struct Plan {
    op: DecimalOp,
    /// What each side is multiplied by to reach the result's scale (sums and differences).
    left_factor: i128,
    right_factor: i128,
    precision: u8,
    scale: i8,
}

impl Plan {
    fn new(op: DecimalOp, left: &DataType, right: &DataType) -> Option<Self> {
        let (&DataType::Decimal128(p1, s1), &DataType::Decimal128(p2, s2)) = (left, right) else {
            return None;
        };
        match op {
            DecimalOp::Add | DecimalOp::Sub => {
                let scale = s1.max(s2);
                let integer_digits = (p1 as i8 - s1).max(p2 as i8 - s2);
                let precision = (scale.checked_add(integer_digits)?.checked_add(1)? as u8)
                    .min(DECIMAL128_MAX_PRECISION);
                Some(Self {
                    op,
                    left_factor: 10i128.checked_pow(u32::try_from(scale - s1).ok()?)?,
                    right_factor: 10i128.checked_pow(u32::try_from(scale - s2).ok()?)?,
                    precision,
                    scale,
                })
            }
            DecimalOp::Mul => {
                let scale = s1.checked_add(s2)?;
                // Arrow refuses such a product with an error: leave it to Arrow.
                if scale > DECIMAL128_MAX_SCALE {
                    return None;
                }
                Some(Self {
                    op,
                    left_factor: 1,
                    right_factor: 1,
                    precision: p1
                        .saturating_add(p2)
                        .saturating_add(1)
                        .min(DECIMAL128_MAX_PRECISION),
                    scale,
                })
            }
        }
    }

    /// The largest magnitude a result of values of at most these magnitudes can reach, and
    /// every step of it; `None` past 128 bits.
    fn bound(&self, left_max: u128, right_max: u128) -> Option<u128> {
        let bound = match self.op {
            DecimalOp::Add | DecimalOp::Sub => left_max
                .checked_mul(self.left_factor.unsigned_abs())?
                .checked_add(right_max.checked_mul(self.right_factor.unsigned_abs())?)?,
            DecimalOp::Mul => left_max.checked_mul(right_max)?,
        };
        (bound <= i128::MAX.unsigned_abs()).then_some(bound)
    }

    fn compute(&self, left: i128, right: i128) -> i128 {
        let (left, right) = (
            left.wrapping_mul(self.left_factor),
            right.wrapping_mul(self.right_factor),
        );
        match self.op {
            DecimalOp::Add => left.wrapping_add(right),
            DecimalOp::Sub => left.wrapping_sub(right),
            DecimalOp::Mul => left.wrapping_mul(right),
        }
    }

    /// [`Self::compute`] in 64 bits, for a batch whose [`Self::bound`] fits them: one
    /// multiplication where 128 bits take three.
    fn compute_narrow(&self, left: i128, right: i128) -> i128 {
        let (left, right) = (
            (left as i64).wrapping_mul(self.left_factor as i64),
            (right as i64).wrapping_mul(self.right_factor as i64),
        );
        i128::from(match self.op {
            DecimalOp::Add => left.wrapping_add(right),
            DecimalOp::Sub => left.wrapping_sub(right),
            DecimalOp::Mul => left.wrapping_mul(right),
        })
    }

    fn data_type(&self) -> DataType {
        DataType::Decimal128(self.precision, self.scale)
    }
}

/// The largest magnitude among `array`'s values, null slots included (their values are
/// computed too).
fn max_magnitude(array: &Decimal128Array) -> u128 {
    array
        .values()
        .iter()
        .map(|value| value.unsigned_abs())
        .max()
        .unwrap_or(0)
}

impl BoundedDecimalOp {
    /// `binary` as a bounded operation, when it is a sum, difference or product of two
    /// `Decimal128` values whose result type DataFusion and this expression agree on.
    pub(crate) fn try_from_binary(binary: &BinaryExpr, schema: &Schema) -> Option<Self> {
        let op = match binary.op() {
            Operator::Plus => DecimalOp::Add,
            Operator::Minus => DecimalOp::Sub,
            Operator::Multiply => DecimalOp::Mul,
            _ => return None,
        };
        let left = binary.left().data_type(schema).ok()?;
        let right = binary.right().data_type(schema).ok()?;
        let plan = Plan::new(op, &left, &right)?;
        if binary.data_type(schema).ok()? != plan.data_type() {
            return None;
        }
        let binary = BinaryExpr::new(
            Arc::clone(binary.left()),
            *binary.op(),
            Arc::clone(binary.right()),
        );
        Some(Self { binary, op })
    }

    /// Arrow's checked kernel, as `BinaryExpr` calls it.
    fn checked(&self, left: &ColumnarValue, right: &ColumnarValue) -> Result<ColumnarValue> {
        match self.op {
            DecimalOp::Add => apply(left, right, add_wrapping),
            DecimalOp::Sub => apply(left, right, sub_wrapping),
            DecimalOp::Mul => apply(left, right, mul_wrapping),
        }
    }
}

/// A decimal side: its values, or one value for every row.
enum Side<'a> {
    Array(&'a Decimal128Array),
    Scalar(i128),
}

impl<'a> Side<'a> {
    fn of(value: &'a ColumnarValue) -> Option<Self> {
        match value {
            ColumnarValue::Array(array) => array.as_primitive_opt().map(Side::Array),
            ColumnarValue::Scalar(ScalarValue::Decimal128(Some(value), _, _)) => {
                Some(Side::Scalar(*value))
            }
            ColumnarValue::Scalar(_) => None,
        }
    }

    fn max_magnitude(&self) -> u128 {
        match self {
            Side::Array(array) => max_magnitude(array),
            Side::Scalar(value) => value.unsigned_abs(),
        }
    }
}

/// `f` of each row's two values; `None` for two scalars, which Arrow computes as well.
fn each_row(
    left: Side,
    right: Side,
    f: impl Fn(i128, i128) -> i128,
) -> Result<Option<Decimal128Array>> {
    Ok(Some(match (left, right) {
        (Side::Array(l), Side::Array(r)) => arrow::compute::binary(l, r, f)?,
        (Side::Array(l), Side::Scalar(b)) => arrow::compute::unary(l, |a| f(a, b)),
        (Side::Scalar(a), Side::Array(r)) => arrow::compute::unary(r, |b| f(a, b)),
        (Side::Scalar(_), Side::Scalar(_)) => return Ok(None),
    }))
}

impl PhysicalExpr for BoundedDecimalOp {
    fn return_field(&self, input_schema: &Schema) -> Result<FieldRef> {
        self.binary.return_field(input_schema)
    }

    fn evaluate(&self, batch: &RecordBatch) -> Result<ColumnarValue> {
        let left = self.binary.left().evaluate(batch)?;
        let right = self.binary.right().evaluate(batch)?;
        let plan = Plan::new(self.op, &left.data_type(), &right.data_type());
        let (Some(plan), Some(l), Some(r)) = (plan, Side::of(&left), Side::of(&right)) else {
            return self.checked(&left, &right);
        };
        let Some(bound) = plan.bound(l.max_magnitude(), r.max_magnitude()) else {
            return self.checked(&left, &right);
        };
        let values = if bound <= i64::MAX.unsigned_abs().into() {
            each_row(l, r, |a, b| plan.compute_narrow(a, b))?
        } else {
            each_row(l, r, |a, b| plan.compute(a, b))?
        };
        let Some(values) = values else {
            return self.checked(&left, &right);
        };
        let values = values.with_precision_and_scale(plan.precision, plan.scale)?;
        Ok(ColumnarValue::Array(Arc::new(values) as ArrayRef))
    }

    fn children(&self) -> Vec<&Arc<dyn PhysicalExpr>> {
        vec![self.binary.left(), self.binary.right()]
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn PhysicalExpr>>,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        let (Some(right), Some(left), true) = (children.pop(), children.pop(), children.is_empty())
        else {
            return internal_err!("a decimal operation takes two inputs");
        };
        Ok(Arc::new(Self {
            binary: BinaryExpr::new(left, *self.binary.op(), right),
            op: self.op,
        }))
    }

    fn fmt_sql(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.binary.fmt_sql(f)
    }
}

/// Shown as the operation it computes.
impl fmt::Display for BoundedDecimalOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.binary)
    }
}

impl PartialEq for BoundedDecimalOp {
    fn eq(&self, other: &Self) -> bool {
        self.binary == other.binary
    }
}

impl Eq for BoundedDecimalOp {}

impl Hash for BoundedDecimalOp {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.binary.hash(state);
    }
}
