//! A walk down an array and its Delta type to every variant in it, at any depth (in structs,
//! arrays and maps), rebuilding the array around what a [`VariantMap`] makes of each variant.
//! The scan does two things to variants this way: it folds shredded ones back (`unshred.rs`)
//! and turns every one into its JSON text (`json.rs`).
//!
//! A struct's fields are found in its Delta type by name, or by the name data files store them
//! under where the table maps column names: the walk runs on data as files store it (before
//! delta-rs renames the columns) and on data as the table shows it.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, GenericListArray, MapArray, OffsetSizeTrait, StructArray,
};
use arrow::datatypes::{DataType, Field, FieldRef, Fields};
use arrow::error::ArrowError;
use deltalake::kernel::{DataType as DeltaType, StructField, StructType};

use super::stored_name;

/// What becomes of each variant (a struct of `metadata`, `value` and, shredded, `typed_value`).
pub(super) trait VariantMap {
    /// The type a variant stored as a struct of `stored` becomes.
    fn variant_type(&self, stored: &Fields) -> DataType;

    /// What `variants` become, of [`VariantMap::variant_type`].
    fn variant_array(&self, variants: &StructArray) -> Result<ArrayRef, ArrowError>;
}

/// `field`, of Delta type `delta`, once `map` has made its variants over.
pub(super) fn mapped_field(field: &Field, delta: &DeltaType, map: &impl VariantMap) -> Field {
    field
        .clone()
        .with_data_type(mapped_type(field.data_type(), delta, map))
}

/// `arrow`, of Delta type `delta`, once `map` has made its variants over.
pub(super) fn mapped_type(arrow: &DataType, delta: &DeltaType, map: &impl VariantMap) -> DataType {
    match (arrow, delta) {
        (DataType::Struct(fields), DeltaType::Variant(_)) => map.variant_type(fields),
        (DataType::Struct(fields), DeltaType::Struct(delta)) => DataType::Struct(
            fields
                .iter()
                .map(|field| match child(delta, field.name()) {
                    Some(inner) => Arc::new(mapped_field(field, inner.data_type(), map)),
                    None => field.clone(),
                })
                .collect::<Fields>(),
        ),
        (DataType::List(element), DeltaType::Array(array)) => {
            DataType::List(Arc::new(mapped_field(element, array.element_type(), map)))
        }
        (DataType::LargeList(element), DeltaType::Array(array)) => {
            DataType::LargeList(Arc::new(mapped_field(element, array.element_type(), map)))
        }
        (DataType::Map(entries, sorted), DeltaType::Map(delta)) => DataType::Map(
            Arc::new(map_entries(entries, delta.value_type(), map)),
            *sorted,
        ),
        _ => arrow.clone(),
    }
}

/// `array`, of Delta type `delta`, with its variants made over by `map`.
pub(super) fn mapped_array(
    array: &ArrayRef,
    delta: &DeltaType,
    map: &impl VariantMap,
) -> Result<ArrayRef, ArrowError> {
    match (array.data_type(), delta) {
        (DataType::Struct(_), DeltaType::Variant(_)) => map.variant_array(array.as_struct()),
        (DataType::Struct(fields), DeltaType::Struct(delta)) => {
            let structs = array.as_struct();
            let mut new_fields = Vec::with_capacity(fields.len());
            let mut columns = Vec::with_capacity(fields.len());
            for (field, column) in fields.iter().zip(structs.columns()) {
                match child(delta, field.name()) {
                    Some(inner) => {
                        new_fields.push(Arc::new(mapped_field(field, inner.data_type(), map)));
                        columns.push(mapped_array(column, inner.data_type(), map)?);
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
            mapped_list(array.as_list::<i32>(), element, inner.element_type(), map)
        }
        (DataType::LargeList(element), DeltaType::Array(inner)) => {
            mapped_list(array.as_list::<i64>(), element, inner.element_type(), map)
        }
        (DataType::Map(entries, sorted), DeltaType::Map(delta)) => {
            let maps = array.as_map();
            let field = map_entries(entries, delta.value_type(), map);
            let DataType::Struct(fields) = field.data_type() else {
                return Ok(array.clone());
            };
            let values = mapped_array(maps.values(), delta.value_type(), map)?;
            let entries = StructArray::try_new(
                fields.clone(),
                vec![maps.keys().clone(), values],
                maps.entries().nulls().cloned(),
            )?;
            Ok(Arc::new(MapArray::try_new(
                Arc::new(field),
                maps.offsets().clone(),
                entries,
                maps.nulls().cloned(),
                *sorted,
            )?))
        }
        _ => Ok(array.clone()),
    }
}

/// The field of `delta` that a struct holds as `name`.
fn child<'a>(delta: &'a StructType, name: &str) -> Option<&'a StructField> {
    delta.field(name).or_else(|| {
        delta
            .fields()
            .find(|field| stored_name(field) == Some(name))
    })
}

/// The entries field of a map, its value (the second field) made over.
fn map_entries(entries: &Field, value: &DeltaType, map: &impl VariantMap) -> Field {
    match entries.data_type() {
        DataType::Struct(fields) if fields.len() == 2 => {
            let mapped: Fields = vec![
                fields[0].clone(),
                Arc::new(mapped_field(&fields[1], value, map)),
            ]
            .into();
            entries.clone().with_data_type(DataType::Struct(mapped))
        }
        _ => entries.clone(),
    }
}

fn mapped_list<O: OffsetSizeTrait>(
    list: &GenericListArray<O>,
    element: &FieldRef,
    delta: &DeltaType,
    map: &impl VariantMap,
) -> Result<ArrayRef, ArrowError> {
    let values = mapped_array(list.values(), delta, map)?;
    Ok(Arc::new(GenericListArray::<O>::try_new(
        Arc::new(mapped_field(element, delta, map)),
        list.offsets().clone(),
        values,
        list.nulls().cloned(),
    )?))
}
