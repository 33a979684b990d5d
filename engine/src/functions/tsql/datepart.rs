//! YEAR(d), MONTH(d), DAY(d) and DATEPART(part, d): one part of a date or timestamp, as an
//! integer with T-SQL's meaning (see [`DatePart::of`]).

use std::sync::Arc;

use arrow::array::Int32Array;
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use super::date_part::{DatePart, field_of_part_function};
use super::datetimes::{datetime_type, to_datetimes};

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct DatePartFunction {
    name: &'static str,
    /// The part YEAR, MONTH and DAY stand for; `None` for DATEPART, which names it first.
    fixed: Option<DatePart>,
    signature: Signature,
}

impl DatePartFunction {
    /// A one-argument function for one part: YEAR(d).
    pub(crate) fn fixed(name: &'static str, part: DatePart) -> Self {
        Self {
            name,
            fixed: Some(part),
            signature: Signature::any(1, Volatility::Immutable),
        }
    }

    /// DATEPART(part, d).
    pub(crate) fn named() -> Self {
        Self {
            name: "datepart",
            fixed: None,
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for DatePartFunction {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types.last() {
            Some(input) => datetime_type(self.name, input).map(|_| DataType::Int32),
            None => plan_err!("{} needs a date", self.name),
        }
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        match self.fixed {
            Some(_) => {
                let types: Vec<DataType> = args
                    .arg_fields
                    .iter()
                    .map(|f| f.data_type().clone())
                    .collect();
                Ok(Arc::new(Field::new(
                    self.name,
                    self.return_type(&types)?,
                    true,
                )))
            }
            None => field_of_part_function(self, args),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let part = match (self.fixed, args.args.first()) {
            (Some(part), _) => part,
            (None, Some(argument)) => DatePart::from_call(self.name, argument)?,
            (None, None) => return plan_err!("{} needs a date part and a date", self.name),
        };
        let Some(input) = args.args.last() else {
            return plan_err!("{} needs a date", self.name);
        };
        let values = to_datetimes(&input.to_array(args.number_rows)?)?;
        let parts: Int32Array = values.iter().map(|v| v.map(|t| part.of(t))).collect();
        Ok(ColumnarValue::Array(Arc::new(parts)))
    }
}
