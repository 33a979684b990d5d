//! Spark 4's `VARIANT` columns, read as their JSON text.
//!
//! delta-rs 1.1 reads an (unshredded) variant as the struct it is stored as: two binary fields,
//! `metadata` and `value`, in the Variant binary encoding. No SQL client can show or compare
//! that, so the scan turns each variant, at any depth (in structs, arrays and maps), into its
//! JSON text with arrow-rs' `parquet-variant-json`, as Spark's `to_json` and Databricks' SQL
//! clients show it. Which columns are variants comes from the Delta schema, not from the shape
//! of the struct: a user's own struct of two binary fields stays as it is.
//!
//! Shredded variants (`variantShredding-preview`) keep part of the value in typed columns that
//! delta-rs does not read; such tables are refused by delta-rs' protocol check with an error
//! that names the feature, never read with values missing.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, GenericListArray, MapArray, OffsetSizeTrait, RecordBatch,
    StringBuilder, StructArray,
};
use arrow::datatypes::{DataType, Field, FieldRef, Fields, Schema, SchemaRef};
use arrow::error::ArrowError;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::Expr;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use deltalake::kernel::{DataType as DeltaType, StructType};
use futures::StreamExt;
use parquet_variant::Variant;
use parquet_variant_json::VariantToJson;

/// The top-level columns of a table that hold variants somewhere inside, with their Delta
/// types to find them by.
#[derive(Debug, Clone)]
pub(crate) struct VariantColumns {
    columns: HashMap<String, DeltaType>,
}

impl VariantColumns {
    /// The variant columns of a table with Delta schema `schema`; none when it has no variant.
    pub(crate) fn of(schema: &StructType) -> Option<Self> {
        let columns: HashMap<String, DeltaType> = schema
            .fields()
            .filter(|field| holds_variant(field.data_type()))
            .map(|field| (field.name().to_string(), field.data_type().clone()))
            .collect();
        (!columns.is_empty()).then_some(Self { columns })
    }

    /// `schema` (as delta-rs reads the table) with each variant as a string.
    pub(crate) fn json_schema(&self, schema: &SchemaRef) -> SchemaRef {
        let fields: Vec<FieldRef> = schema
            .fields()
            .iter()
            .map(|field| match self.columns.get(field.name()) {
                Some(delta) => Arc::new(json_field(field, delta)),
                None => field.clone(),
            })
            .collect();
        Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
    }

    /// Whether `expr` reads a variant column: such filters are applied to the JSON text above
    /// the scan, not handed to delta-rs, which sees the stored struct.
    pub(crate) fn read_by(&self, expr: &Expr) -> bool {
        expr.column_refs()
            .iter()
            .any(|column| self.columns.contains_key(&column.name))
    }

    /// `scan` with its variants turned into JSON text.
    pub(crate) fn wrap(&self, scan: Arc<dyn ExecutionPlan>) -> Arc<dyn ExecutionPlan> {
        let schema = scan.schema();
        if !schema
            .fields()
            .iter()
            .any(|field| self.columns.contains_key(field.name()))
        {
            return scan;
        }
        let output = self.json_schema(&schema);
        let input = scan.properties();
        let properties = PlanProperties::new(
            EquivalenceProperties::new(output.clone()),
            input.output_partitioning().clone(),
            input.emission_type,
            input.boundedness,
        );
        Arc::new(VariantAsJsonExec {
            input: scan,
            columns: self.clone(),
            schema: output,
            properties: Arc::new(properties),
        })
    }

    fn convert(&self, batch: RecordBatch, schema: &SchemaRef) -> Result<RecordBatch, ArrowError> {
        let columns = batch
            .schema()
            .fields()
            .iter()
            .zip(batch.columns())
            .map(|(field, column)| match self.columns.get(field.name()) {
                Some(delta) => json_array(column, delta),
                None => Ok(column.clone()),
            })
            .collect::<Result<Vec<_>, _>>()?;
        RecordBatch::try_new(schema.clone(), columns)
    }
}

fn holds_variant(delta: &DeltaType) -> bool {
    match delta {
        DeltaType::Variant(_) => true,
        DeltaType::Struct(fields) => fields.fields().any(|f| holds_variant(f.data_type())),
        DeltaType::Array(array) => holds_variant(array.element_type()),
        DeltaType::Map(map) => holds_variant(map.value_type()),
        DeltaType::Primitive(_) => false,
    }
}

/// `field` as it reads once its variants are JSON text.
fn json_field(field: &Field, delta: &DeltaType) -> Field {
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

fn json_array(array: &ArrayRef, delta: &DeltaType) -> Result<ArrayRef, ArrowError> {
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
            ArrowError::SchemaError(format!(
                "a variant column has no `{name}` field; shredded variants cannot be read"
            ))
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

/// The scan below with its variants as JSON text.
#[derive(Debug)]
struct VariantAsJsonExec {
    input: Arc<dyn ExecutionPlan>,
    columns: VariantColumns,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl DisplayAs for VariantAsJsonExec {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VariantAsJsonExec")
    }
}

impl ExecutionPlan for VariantAsJsonExec {
    fn name(&self) -> &str {
        "VariantAsJsonExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match (children.pop(), children.is_empty()) {
            (Some(input), true) => Ok(self.columns.wrap(input)),
            _ => datafusion::common::internal_err!("VariantAsJsonExec takes exactly one input"),
        }
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let columns = self.columns.clone();
        let schema = self.schema.clone();
        let stream = self.input.execute(partition, context)?.map(move |batch| {
            batch.and_then(|batch| {
                columns.convert(batch, &schema).map_err(|error| {
                    DataFusionError::ArrowError(
                        Box::new(error),
                        Some("while reading a variant column as JSON".to_string()),
                    )
                })
            })
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.schema.clone(),
            stream,
        )))
    }
}
