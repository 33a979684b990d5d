//! LEN(s): the number of characters in `s`, trailing spaces not counted (T-SQL's LEN;
//! DataFusion's `length` counts them).

use std::sync::Arc;

use arrow::array::{AsArray, Int32Array};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

const NAME: &str = "len";

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct Len {
    signature: Signature,
}

impl Len {
    pub(crate) fn new() -> Self {
        Self {
            signature: Signature::string(1, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for Len {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [text] = args.args.as_slice() else {
            return plan_err!("{NAME} takes one string");
        };
        let text = cast(&text.to_array(args.number_rows)?, &DataType::Utf8)?;
        let lengths: Int32Array = text
            .as_string::<i32>()
            .iter()
            .map(|s| s.map(|s| s.trim_end_matches(' ').chars().count() as i32))
            .collect();
        Ok(ColumnarValue::Array(Arc::new(lengths)))
    }
}
