//! A variant's stored struct turned into its JSON text, at any depth (in structs, arrays and
//! maps), as Spark's `to_json` and Databricks' SQL clients show it.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, StringBuilder, StructArray};
use arrow::datatypes::{DataType, Field, Fields};
use arrow::error::ArrowError;
use deltalake::kernel::DataType as DeltaType;
use parquet_variant::Variant;
use parquet_variant_json::VariantToJson;

use super::walk::{VariantMap, mapped_array, mapped_field};

/// `field` as it reads once its variants are JSON text.
pub(super) fn json_field(field: &Field, delta: &DeltaType) -> Field {
    mapped_field(field, delta, &ToJson)
}

/// `array` with its variants as JSON text.
pub(super) fn json_array(array: &ArrayRef, delta: &DeltaType) -> Result<ArrayRef, ArrowError> {
    mapped_array(array, delta, &ToJson)
}

struct ToJson;

impl VariantMap for ToJson {
    fn variant_type(&self, _stored: &Fields) -> DataType {
        DataType::Utf8
    }

    fn variant_array(&self, variants: &StructArray) -> Result<ArrayRef, ArrowError> {
        variant_json(variants)
    }
}

/// The JSON text of each variant in `variants` (a struct of `metadata` and `value`).
fn variant_json(variants: &StructArray) -> Result<ArrayRef, ArrowError> {
    let part = |name: &str| {
        variants.column_by_name(name).ok_or_else(|| {
            ArrowError::SchemaError(format!("a variant column has no `{name}` field"))
        })
    };
    let metadata = part("metadata")?;
    let value = part("value")?;
    let mut json = StringBuilder::new();
    for row in 0..variants.len() {
        if variants.is_null(row) || value.is_null(row) || metadata.is_null(row) {
            json.append_null();
            continue;
        }
        let variant = Variant::try_new(binary_at(metadata, row)?, binary_at(value, row)?)?;
        json.append_value(variant.to_json_string()?);
    }
    Ok(Arc::new(json.finish()))
}

fn binary_at(array: &ArrayRef, row: usize) -> Result<&[u8], ArrowError> {
    match array.data_type() {
        DataType::Binary => Ok(array.as_binary::<i32>().value(row)),
        DataType::LargeBinary => Ok(array.as_binary::<i64>().value(row)),
        DataType::BinaryView => Ok(array.as_binary_view().value(row)),
        other => Err(ArrowError::SchemaError(format!(
            "a variant's parts should be binary, not {other}"
        ))),
    }
}
