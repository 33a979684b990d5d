//! `LIKE '%special%requests%'`: substrings searched for one after another, not a regular
//! expression.
//!
//! arrow-rs answers a `LIKE` pattern with `%` at both ends and nothing else (`'%green%'`) by a
//! substring search, and any other pattern by a regular expression, which it compiles again for
//! each batch. TPC-H Q13 drops the orders whose comment matches `'%special%requests%'`: at SF 10,
//! 15 M comments, with a fifth of the query's time in the regular expression engine, much of it
//! building its automaton anew batch after batch. A pattern that is substrings between `%`s
//! matches exactly when the first substring occurs, the second occurs after it, and so on; the
//! earliest occurrence of each is the best place to look for the next from, so one pass of
//! `memmem` searches answers it.
//!
//! Only patterns of that shape change: a `_`, an escape (`\`), text before the first `%` or
//! after the last, and `ILIKE` keep DataFusion's `LIKE`. Bytes and characters agree here, since
//! a UTF-8 substring can only match at a character's start.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::{Array, ArrayAccessor, ArrayRef, AsArray, BooleanArray};
use arrow::buffer::BooleanBuffer;
use arrow::datatypes::{DataType, Field, FieldRef, Schema};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{ScalarValue, internal_err};
use datafusion::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::logical_expr::ColumnarValue;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{LikeExpr, Literal};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use memchr::memmem::Finder;

use crate::plan_rewrites::rewrite_filter_predicates;
use crate::single_child::single_child;

/// The physical optimizer rule that tests each filter's `LIKE` of substrings between `%`s as
/// [`OrderedSubstrings`]. Runs before [`crate::narrowing_and::NarrowingAnds`], which orders a
/// filter's conjuncts by what each costs.
#[derive(Debug, Default)]
pub(crate) struct OrderedSubstringLikes;

impl PhysicalOptimizerRule for OrderedSubstringLikes {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        rewrite_filter_predicates(plan, |filter| {
            let schema = filter.input().schema();
            let predicate = Arc::clone(filter.predicate()).transform_up(|expr| {
                Ok(match OrderedSubstrings::of_like(&expr, &schema) {
                    Some(substrings) => Transformed::yes(Arc::new(substrings) as _),
                    None => Transformed::no(expr),
                })
            })?;
            Ok(predicate.transformed.then_some(predicate.data))
        })
    }

    fn name(&self) -> &str {
        "ordered_substring_likes"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// `text [NOT] LIKE '%a%b%...%'`: whether `a`, `b`, ... occur in `text` in that order (see the
/// module's documentation). Null text gives null.
#[derive(Debug)]
pub(crate) struct OrderedSubstrings {
    text: Arc<dyn PhysicalExpr>,
    /// The pattern as written, for display.
    pattern: String,
    /// A search for each substring, in order.
    substrings: Vec<Finder<'static>>,
    negated: bool,
}

impl OrderedSubstrings {
    /// `expr` as ordered substrings, if it is a `LIKE` of text with a pattern of two or more
    /// substrings between `%`s (one alone arrow-rs already searches for).
    fn of_like(expr: &Arc<dyn PhysicalExpr>, schema: &Schema) -> Option<Self> {
        let like = expr.downcast_ref::<LikeExpr>()?;
        let text_type = like.expr().data_type(schema).ok()?;
        if like.case_insensitive()
            || !matches!(
                text_type,
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            )
        {
            return None;
        }
        let pattern = match like.pattern().downcast_ref::<Literal>()?.value() {
            ScalarValue::Utf8(Some(pattern))
            | ScalarValue::LargeUtf8(Some(pattern))
            | ScalarValue::Utf8View(Some(pattern)) => pattern.clone(),
            _ => return None,
        };
        let shaped =
            pattern.starts_with('%') && pattern.ends_with('%') && !pattern.contains(['_', '\\']);
        let substrings: Vec<Finder<'static>> = pattern
            .split('%')
            .filter(|substring| !substring.is_empty())
            .map(|substring| Finder::new(substring).into_owned())
            .collect();
        (shaped && substrings.len() >= 2).then(|| Self {
            text: Arc::clone(like.expr()),
            pattern,
            substrings,
            negated: like.negated(),
        })
    }

    /// Whether the substrings occur in `text` in order.
    fn matches(&self, text: &[u8]) -> bool {
        let mut rest = text;
        for substring in &self.substrings {
            match substring.find(rest) {
                Some(at) => rest = &rest[at + substring.needle().len()..],
                None => return false,
            }
        }
        true
    }

    fn test<'a>(&self, texts: impl ArrayAccessor<Item = &'a str>) -> BooleanArray {
        let values = BooleanBuffer::collect_bool(texts.len(), |row| {
            // Rows under a null are tested too (their text is empty); the null stays.
            self.matches(texts.value(row).as_bytes()) != self.negated
        });
        BooleanArray::new(values, texts.nulls().cloned())
    }

    fn test_array(&self, texts: &ArrayRef) -> Result<BooleanArray> {
        Ok(match texts.data_type() {
            DataType::Utf8 => self.test(texts.as_string::<i32>()),
            DataType::LargeUtf8 => self.test(texts.as_string::<i64>()),
            DataType::Utf8View => self.test(texts.as_string_view()),
            other => return internal_err!("LIKE of substrings in order given {other}"),
        })
    }

    fn op_name(&self) -> &'static str {
        if self.negated { "NOT LIKE" } else { "LIKE" }
    }
}

impl PhysicalExpr for OrderedSubstrings {
    fn return_field(&self, input_schema: &Schema) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(
            "ordered_substrings",
            DataType::Boolean,
            self.text.nullable(input_schema)?,
        )))
    }

    fn evaluate(&self, batch: &arrow::array::RecordBatch) -> Result<ColumnarValue> {
        match self.text.evaluate(batch)? {
            ColumnarValue::Array(texts) => {
                Ok(ColumnarValue::Array(Arc::new(self.test_array(&texts)?)))
            }
            ColumnarValue::Scalar(text) => {
                let answer = self.test_array(&text.to_array()?)?;
                Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                    &answer, 0,
                )?))
            }
        }
    }

    fn children(&self) -> Vec<&Arc<dyn PhysicalExpr>> {
        vec![&self.text]
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn PhysicalExpr>>,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        Ok(Arc::new(Self {
            text: single_child(children, "LIKE of substrings in order")?,
            pattern: self.pattern.clone(),
            substrings: self.substrings.clone(),
            negated: self.negated,
        }))
    }

    fn fmt_sql(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.text.fmt_sql(f)?;
        write!(f, " {} '{}'", self.op_name(), self.pattern)
    }
}

/// Shown as the `LIKE` it answers, marked as searched for substring by substring.
impl fmt::Display for OrderedSubstrings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} (substrings in order)",
            self.text,
            self.op_name(),
            self.pattern
        )
    }
}

impl PartialEq for OrderedSubstrings {
    fn eq(&self, other: &Self) -> bool {
        self.negated == other.negated && self.pattern == other.pattern && self.text.eq(&other.text)
    }
}

impl Eq for OrderedSubstrings {}

impl Hash for OrderedSubstrings {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.negated.hash(state);
        self.pattern.hash(state);
        self.text.hash(state);
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::StringViewArray;
    use arrow::datatypes::Field;
    use datafusion::physical_expr::expressions::{col, lit};

    use super::*;

    fn like(pattern: &str, negated: bool) -> Option<OrderedSubstrings> {
        let schema = Schema::new(vec![Field::new("s", DataType::Utf8View, true)]);
        let text = col("s", &schema).ok()?;
        let expr: Arc<dyn PhysicalExpr> =
            Arc::new(LikeExpr::new(negated, false, text, lit(pattern)));
        OrderedSubstrings::of_like(&expr, &schema)
    }

    #[test]
    fn only_substrings_between_percent_signs_qualify() {
        assert!(like("%special%requests%", false).is_some());
        assert!(like("%%a%%b%%", true).is_some());
        for pattern in [
            "%green%",
            "special%requests%",
            "%special%requests",
            "%a_b%c%",
            "%a\\%b%c%",
            "%%",
        ] {
            assert!(like(pattern, false).is_none(), "{pattern}");
        }
    }

    #[test]
    fn substrings_match_in_order_and_nulls_stay_null() {
        let Some(special) = like("%special%requests%", false) else {
            panic!("the pattern should qualify");
        };
        let texts: ArrayRef = Arc::new(StringViewArray::from(vec![
            Some("quick special pending requests"),
            Some("requests that are special"),
            Some("specialrequests"),
            Some("special request"),
            None,
            Some("a special, special requests"),
        ]));
        let answer = special.test_array(&texts).unwrap_or_else(|e| panic!("{e}"));
        let answer: Vec<Option<bool>> = answer.iter().collect();
        assert_eq!(
            answer,
            [
                Some(true),
                Some(false),
                Some(true),
                Some(false),
                None,
                Some(true)
            ]
        );
    }
}
