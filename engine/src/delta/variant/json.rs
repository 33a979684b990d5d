//! A variant's stored struct turned into its JSON text, at any depth (in structs, arrays and
//! maps), as Spark's `to_json` and Databricks' SQL clients show it.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, GenericListArray, MapArray, OffsetSizeTrait, StringBuilder,
    StructArray,
};
use arrow::datatypes::{DataType, Field, FieldRef, Fields};
use arrow::error::ArrowError;
use deltalake::kernel::DataType as DeltaType;
use parquet_variant::Variant;
use parquet_variant_json::VariantToJson;

/// `field` as it reads once its variants are JSON text.
pub(super) fn json_field(field: &Field, delta: &DeltaType) -> Field {
    field
        .clone()
        .with_data_type(json_type(field.data_type(), delta))
}

fn json_type(arrow: &DataType, delta: &DeltaType) -> DataType {
    match (arrow, delta) {
        (DataType::Struct(_), DeltaType::Variant(_)) => DataType::Utf8,
        (DataType::Struct(fields), DeltaType::Struct(delta)) => DataType::Struct(
            fields
                .iter()
                .map(|field| match delta.field(field.name()) {
                    Some(inner) => Arc::new(json_field(field, inner.data_type())),
                    None => field.clone(),
                })
                .collect::<Fields>(),
        ),
        (DataType::List(element), DeltaType::Array(array)) => {
            DataType::List(Arc::new(json_field(element, array.element_type())))
        }
        (DataType::LargeList(element), DeltaType::Array(array)) => {
            DataType::LargeList(Arc::new(json_field(element, array.element_type())))
        }
        (DataType::Map(entries, sorted), DeltaType::Map(map)) => {
            DataType::Map(Arc::new(map_entries(entries, map.value_type())), *sorted)
        }
        _ => arrow.clone(),
    }
}

/// The entries field of a map, its value (the second field) converted.
fn map_entries(entries: &Field, value: &DeltaType) -> Field {
    match entries.data_type() {
        DataType::Struct(fields) if fields.len() == 2 => {
            let converted: Fields =
                vec![fields[0].clone(), Arc::new(json_field(&fields[1], value))].into();
            entries.clone().with_data_type(DataType::Struct(converted))
        }
        _ => entries.clone(),
    }
}

pub(super) fn json_array(array: &ArrayRef, delta: &DeltaType) -> Result<ArrayRef, ArrowError> {
    match (array.data_type(), delta) {
        (DataType::Struct(_), DeltaType::Variant(_)) => variant_json(array.as_struct()),
        (DataType::Struct(fields), DeltaType::Struct(delta)) => {
            let structs = array.as_struct();
            let mut new_fields = Vec::with_capacity(fields.len());
            let mut columns = Vec::with_capacity(fields.len());
            for (field, column) in fields.iter().zip(structs.columns()) {
                match delta.field(field.name()) {
                    Some(inner) => {
                        new_fields.push(Arc::new(json_field(field, inner.data_type())));
                        columns.push(json_array(column, inner.data_type())?);
                    }
                    None => {
                        new_fields.push(field.clone());
                        columns.push(column.clone());
                    }
                }
            }
            Ok(Arc::new(StructArray::try_new(
                new_fields.into(),
                columns,
                structs.nulls().cloned(),
            )?))
        }
        (DataType::List(element), DeltaType::Array(inner)) => {
            json_list(array.as_list::<i32>(), element, inner.element_type())
        }
        (DataType::LargeList(element), DeltaType::Array(inner)) => {
            json_list(array.as_list::<i64>(), element, inner.element_type())
        }
        (DataType::Map(entries, sorted), DeltaType::Map(map)) => {
            let maps = array.as_map();
            let field = map_entries(entries, map.value_type());
            let values = json_array(maps.values(), map.value_type())?;
            let DataType::Struct(fields) = field.data_type() else {
                return Ok(array.clone());
            };
            let converted = StructArray::try_new(
                fields.clone(),
                vec![maps.keys().clone(), values],
                maps.entries().nulls().cloned(),
            )?;
            Ok(Arc::new(MapArray::try_new(
                Arc::new(field),
                maps.offsets().clone(),
                converted,
                maps.nulls().cloned(),
                *sorted,
            )?))
        }
        _ => Ok(array.clone()),
    }
}

fn json_list<O: OffsetSizeTrait>(
    list: &GenericListArray<O>,
    element: &FieldRef,
    delta: &DeltaType,
) -> Result<ArrayRef, ArrowError> {
    let values = json_array(list.values(), delta)?;
    Ok(Arc::new(GenericListArray::<O>::try_new(
        Arc::new(json_field(element, delta)),
        list.offsets().clone(),
        values,
        list.nulls().cloned(),
    )?))
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
