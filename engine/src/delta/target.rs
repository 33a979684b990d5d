//! Which Delta table a statement means: one named as SQL names tables, or one given by path.

use std::fmt;

use datafusion::common::TableReference;
use datafusion::logical_expr::Expr;
use datafusion::scalar::ScalarValue;
use datafusion::sql::sqlparser::ast::{
    Expr as SqlExpr, FunctionArg, FunctionArgExpr, UnaryOperator, Value,
};

/// A Delta table, by name or by location.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum TableTarget {
    /// `silver.orders`, `lake.silver.orders`: looked up in the session's catalogs.
    Name(TableReference),
    /// `/data/t`, `file:///data/t`: read by path, as `delta_scan` reads it.
    Location(String),
}

impl TableTarget {
    /// A table given as text, as the history, detail and change functions take it: a path (it
    /// holds a `/`) or a SQL name (`silver.t`, `"2024_sales".orders`).
    pub(crate) fn parse(text: &str) -> Self {
        if text.contains('/') || text.contains('\\') {
            Self::Location(text.to_string())
        } else {
            Self::Name(TableReference::parse_str(text))
        }
    }
}

impl fmt::Display for TableTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Name(name) => write!(f, "{name}"),
            Self::Location(location) => write!(f, "{location}"),
        }
    }
}

/// A literal argument of a table function, as written in SQL or as DataFusion planned it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Integer(i64),
    Text(String),
}

impl Literal {
    /// The literal of an unnamed argument in the statement's syntax tree.
    pub(crate) fn of_arg(arg: &FunctionArg) -> Option<Self> {
        match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(expr)) => Self::of_sql(expr),
            _ => None,
        }
    }

    /// The literal an expression of the syntax tree writes: a number, a negative number or a
    /// string.
    pub(crate) fn of_sql(expr: &SqlExpr) -> Option<Self> {
        match expr {
            SqlExpr::Value(value) => match &value.value {
                Value::Number(digits, _) => digits.parse().ok().map(Self::Integer),
                Value::SingleQuotedString(text) | Value::DoubleQuotedString(text) => {
                    Some(Self::Text(text.clone()))
                }
                _ => None,
            },
            SqlExpr::UnaryOp {
                op: UnaryOperator::Minus,
                expr,
            } => match Self::of_sql(expr)? {
                Self::Integer(n) => Some(Self::Integer(-n)),
                Self::Text(_) => None,
            },
            _ => None,
        }
    }

    /// The literal DataFusion planned for a table function's argument.
    pub(crate) fn of_expr(expr: &Expr) -> Option<Self> {
        let Expr::Literal(value, _) = expr else {
            return None;
        };
        match value {
            ScalarValue::Int8(Some(n)) => Some(Self::Integer((*n).into())),
            ScalarValue::Int16(Some(n)) => Some(Self::Integer((*n).into())),
            ScalarValue::Int32(Some(n)) => Some(Self::Integer((*n).into())),
            ScalarValue::Int64(Some(n)) => Some(Self::Integer(*n)),
            ScalarValue::UInt8(Some(n)) => Some(Self::Integer((*n).into())),
            ScalarValue::UInt16(Some(n)) => Some(Self::Integer((*n).into())),
            ScalarValue::UInt32(Some(n)) => Some(Self::Integer((*n).into())),
            ScalarValue::UInt64(Some(n)) => i64::try_from(*n).ok().map(Self::Integer),
            other => other
                .try_as_str()
                .flatten()
                .map(|text| Self::Text(text.to_string())),
        }
    }

    /// The literals of a table function's arguments, or `None` when one is not a literal.
    pub(crate) fn all_of_exprs(exprs: &[Expr]) -> Option<Vec<Self>> {
        exprs.iter().map(Self::of_expr).collect()
    }
}
