//! DATEDIFF(part, start, end): how many part boundaries lie between two dates or timestamps
//! (see [`DatePart::boundaries_between`]), as a BIGINT (T-SQL's DATEDIFF_BIG range).

use std::sync::Arc;

use arrow::array::Int64Array;
use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use super::date_part::{DatePart, field_of_part_function};
use super::datetimes::{datetime_type, to_datetimes};

const NAME: &str = "datediff";

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct DateDiff {
    signature: Signature,
}

impl DateDiff {
    pub(crate) fn new() -> Self {
        Self {
            signature: Signature::any(3, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for DateDiff {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types {
            [_, start, end] => {
                datetime_type(NAME, start)?;
                datetime_type(NAME, end)?;
                Ok(DataType::Int64)
            }
            _ => plan_err!("{NAME} takes a date part, a start and an end"),
        }
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        field_of_part_function(self, args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [part, start, end] = args.args.as_slice() else {
            return plan_err!("{NAME} takes a date part, a start and an end");
        };
        let part = DatePart::from_call(NAME, part)?;
        let starts = to_datetimes(&start.to_array(args.number_rows)?)?;
        let ends = to_datetimes(&end.to_array(args.number_rows)?)?;
        let differences = starts
            .iter()
            .zip(&ends)
            .map(|pair| match pair {
                (Some(start), Some(end)) => part.boundaries_between(*start, *end).map(Some),
                _ => Ok(None),
            })
            .collect::<Result<Int64Array>>()?;
        Ok(ColumnarValue::Array(Arc::new(differences)))
    }
}
