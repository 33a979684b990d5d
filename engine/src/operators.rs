//! Kinds of SQL operators that several rules ask about.

use datafusion::logical_expr::Operator;

/// Operators that compare their sides: both sides share one type, the answer is a boolean,
/// and no values make them fail.
pub(crate) fn is_comparison(op: Operator) -> bool {
    matches!(
        op,
        Operator::Eq
            | Operator::NotEq
            | Operator::Lt
            | Operator::LtEq
            | Operator::Gt
            | Operator::GtEq
            | Operator::IsDistinctFrom
            | Operator::IsNotDistinctFrom
    )
}
