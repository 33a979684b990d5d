//! DATEADD(part, n, d): `d` moved by `n` parts, of the same type as `d` (a string gives a
//! timestamp). Adding a time part to a DATE is an error, as in T-SQL.

use arrow::array::{Array, AsArray};
use arrow::compute::cast;
use arrow::datatypes::Int64Type;
use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use super::date_part::{DatePart, field_of_part_function};
use super::datetimes::{datetime_type, from_datetimes, to_datetimes};

const NAME: &str = "dateadd";

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct DateAdd {
    signature: Signature,
}

impl DateAdd {
    pub(crate) fn new() -> Self {
        Self {
            signature: Signature::any(3, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for DateAdd {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types {
            [_, n, input] if n.is_integer() || n.is_null() => datetime_type(NAME, input),
            [_, n, _] => plan_err!("{NAME}: the number to add must be an integer, got {n}"),
            _ => plan_err!("{NAME} takes a date part, a number and a date"),
        }
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        field_of_part_function(self, args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [part, n, input] = args.args.as_slice() else {
            return plan_err!("{NAME} takes a date part, a number and a date");
        };
        let part = DatePart::from_call(NAME, part)?;
        let target = args.return_field.data_type();
        if part.is_time() && matches!(target, DataType::Date32 | DataType::Date64) {
            return exec_err!("{NAME}: a date has no {part:?}; add it to a timestamp");
        }
        let counts = cast(&n.to_array(args.number_rows)?, &DataType::Int64)?;
        let counts = counts.as_primitive::<Int64Type>();
        let values = to_datetimes(&input.to_array(args.number_rows)?)?;
        let moved = values
            .iter()
            .enumerate()
            .map(|(row, value)| match value {
                Some(t) if counts.is_valid(row) => part.add(counts.value(row), *t).map(Some),
                _ => Ok(None),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ColumnarValue::Array(from_datetimes(&moved, target)?))
    }
}
