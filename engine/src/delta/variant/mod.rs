//! Spark 4's `VARIANT` columns, read as their JSON text.
//!
//! delta-rs 1.1 reads an (unshredded) variant as the struct it is stored as: two binary fields,
//! `metadata` and `value`, in the Variant binary encoding. No SQL client can show or compare
//! that, so the scan turns each variant, at any depth (in structs, arrays and maps), into its
//! JSON text with arrow-rs' `parquet-variant-json` (`json.rs`, in the plan node of `exec.rs`).
//! Which columns are variants comes from the Delta schema, not from the shape of the struct: a
//! user's own struct of two binary fields stays as it is.
//!
//! A shredded variant (reader feature `variantShredding`, or its preview) keeps part of each
//! value in a third field, `typed_value`, whose type may differ from file to file. delta-rs asks
//! each file for `metadata` and `value` only, which would lose what `typed_value` holds; so
//! each file's Parquet scan reads a column holding shredded variants whole and folds each
//! `typed_value` back into `value` first (`unshred.rs`), at any depth too. Both conversions walk
//! the data alike (`walk.rs`).

mod exec;
mod json;
mod unshred;
mod walk;

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{FieldRef, Schema, SchemaRef};
use arrow::error::ArrowError;
use datafusion::logical_expr::Expr;
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::{ExecutionPlan, PlanProperties};
use deltalake::kernel::{
    ColumnMetadataKey, DataType as DeltaType, MetadataValue, StructField, StructType,
};

use self::exec::VariantAsJsonExec;
use self::json::{json_array, json_field};
pub(crate) use self::unshred::Unshredding;

/// The top-level columns of a table that hold variants somewhere inside, with their Delta
/// types to find them by.
#[derive(Debug, Clone)]
pub(crate) struct VariantColumns {
    /// By the column's name in the table.
    columns: HashMap<String, DeltaType>,
    /// The names data files store these columns under, where the table maps column names
    /// (`delta.columnMapping`), to their names in the table.
    stored_names: HashMap<String, String>,
}

impl VariantColumns {
    /// The variant columns of a table with Delta schema `schema`; none when it has no variant.
    pub(crate) fn of(schema: &StructType) -> Option<Self> {
        let holding: Vec<&StructField> = schema
            .fields()
            .filter(|field| holds_variant(field.data_type()))
            .collect();
        let columns: HashMap<String, DeltaType> = holding
            .iter()
            .map(|field| (field.name().to_string(), field.data_type().clone()))
            .collect();
        let stored_names = holding
            .iter()
            .filter_map(|field| Some((stored_name(field)?.to_string(), field.name().to_string())))
            .collect();
        (!columns.is_empty()).then_some(Self {
            columns,
            stored_names,
        })
    }

    /// The column a data file stores as `name`, if it holds variants: its name in the table
    /// and its Delta type.
    fn stored(&self, name: &str) -> Option<(&str, &DeltaType)> {
        let in_table = self.stored_names.get(name).map_or(name, String::as_str);
        self.columns
            .get_key_value(in_table)
            .map(|(name, delta)| (name.as_str(), delta))
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

/// The name data files store `field` under when the table maps column names, if it has one.
fn stored_name(field: &StructField) -> Option<&str> {
    match field.get_config_value(&ColumnMetadataKey::ColumnMappingPhysicalName) {
        Some(MetadataValue::String(name)) => Some(name),
        _ => None,
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
