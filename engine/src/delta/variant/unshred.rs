//! Shredded variants folded back, file by file, inside the Parquet scan.
//!
//! DataFusion's Parquet scan maps each file's columns to the scan's through a
//! [`PhysicalExprAdapter`]: delta-rs' (the default one, with nested fields made nullable) casts
//! a file's variant struct to the `struct<metadata, value>` of the Delta schema, and the scan
//! then reads only the Parquet leaves that cast keeps, dropping `typed_value`. [`Unshredding`]
//! wraps that adapter, file by file: it shows the adapter each top-level variant the file
//! stores shredded as the unshredded struct of the Delta schema, and puts an
//! [`UnshredVariant`] of the whole column wherever the adapter's expressions read it. The scan
//! then reads every leaf of the column, and arrow-rs' `unshred_variant` folds `typed_value`
//! back into `value`, whatever its type in that file; what the adapter built on the column
//! (casts, field accesses) applies to the unshredded struct, so nothing above the scan changes.
//!
//! A file that stores a variant shredded inside a struct, array or map is refused when its
//! column is read, with an error naming the table and the column: never a read with values
//! missing.

use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StructArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, FieldRef, Fields, Schema, SchemaRef};
use arrow::error::ArrowError;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::ColumnarValue;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::utils::collect_columns;
use datafusion::physical_expr_adapter::{
    DefaultPhysicalExprAdapterFactory, PhysicalExprAdapter, PhysicalExprAdapterFactory,
};
use deltalake::kernel::DataType as DeltaType;
use parquet_variant_compute::{VariantArray, unshred_variant};

use super::{VariantColumns, stored_name};
use crate::error::{EngineError, describe_arrow};

/// How the Parquet scans of one table read its variant columns.
#[derive(Debug, Clone)]
pub(crate) struct Unshredding {
    /// How messages name the table.
    table: Arc<str>,
    variants: Arc<VariantColumns>,
}

impl Unshredding {
    pub(crate) fn new(table: &str, variants: &VariantColumns) -> Self {
        Self {
            table: table.into(),
            variants: Arc::new(variants.clone()),
        }
    }

    /// The expression adapter for a Parquet scan configured as `config`: its own (delta-rs',
    /// or DataFusion's default), with shredded variants read whole and folded back.
    pub(crate) fn adapter_for(
        &self,
        config: &FileScanConfig,
    ) -> Arc<dyn PhysicalExprAdapterFactory> {
        let inner = config
            .expr_adapter_factory
            .clone()
            .unwrap_or_else(|| Arc::new(DefaultPhysicalExprAdapterFactory));
        Arc::new(UnshreddingFactory {
            unshredding: self.clone(),
            inner,
        })
    }

    fn refusal(&self, reason: String) -> DataFusionError {
        EngineError::Table {
            table: self.table.to_string(),
            reason,
        }
        .into()
    }
}

#[derive(Debug)]
struct UnshreddingFactory {
    unshredding: Unshredding,
    inner: Arc<dyn PhysicalExprAdapterFactory>,
}

impl PhysicalExprAdapterFactory for UnshreddingFactory {
    fn create(
        &self,
        logical_file_schema: SchemaRef,
        physical_file_schema: SchemaRef,
    ) -> Result<Arc<dyn PhysicalExprAdapter>> {
        let mut shredded = HashMap::new();
        let mut nested = HashMap::new();
        let mut shown = Vec::with_capacity(physical_file_schema.fields().len());
        for field in physical_file_schema.fields() {
            let found = self.unshredding.variants.stored(field.name());
            let Some((name, delta)) =
                found.filter(|(_, delta)| stored_shredded(field.data_type(), delta))
            else {
                shown.push(field.clone());
                continue;
            };
            let logical = logical_file_schema.field_with_name(field.name()).ok();
            match (delta, logical) {
                (DeltaType::Variant(_), Some(logical)) => {
                    shredded.insert(
                        field.name().clone(),
                        Unshredded {
                            name: name.to_string(),
                            target: Arc::new(logical.clone()),
                        },
                    );
                    shown.push(Arc::new(
                        field
                            .as_ref()
                            .clone()
                            .with_data_type(logical.data_type().clone()),
                    ));
                }
                _ => {
                    nested.insert(field.name().clone(), name.to_string());
                    shown.push(field.clone());
                }
            }
        }
        // The adapter below sees each shredded variant as the unshredded struct it reads as.
        let shown = Arc::new(Schema::new_with_metadata(
            shown,
            physical_file_schema.metadata().clone(),
        ));
        Ok(Arc::new(UnshreddingAdapter {
            inner: self.inner.create(logical_file_schema, shown)?,
            shredded,
            nested,
            unshredding: self.unshredding.clone(),
        }))
    }
}

/// A top-level variant column a file stores shredded.
#[derive(Debug)]
struct Unshredded {
    /// Its name in the table.
    name: String,
    /// The field it reads as, unshredded.
    target: FieldRef,
}

/// The adapter of one file.
#[derive(Debug)]
struct UnshreddingAdapter {
    /// The adapter the scan had, shown the file with its shredded variants unshredded.
    inner: Arc<dyn PhysicalExprAdapter>,
    /// The file's shredded top-level variants, by their name in the file.
    shredded: HashMap<String, Unshredded>,
    /// The file's columns holding a variant stored shredded deeper down, by their name in the
    /// file, to their name in the table.
    nested: HashMap<String, String>,
    unshredding: Unshredding,
}

impl PhysicalExprAdapter for UnshreddingAdapter {
    fn rewrite(&self, expr: Arc<dyn PhysicalExpr>) -> Result<Arc<dyn PhysicalExpr>> {
        if let Some(name) = collect_columns(&expr)
            .iter()
            .find_map(|column| self.nested.get(column.name()))
        {
            return Err(self.unshredding.refusal(format!(
                "column {name} holds a variant that a data file stores shredded inside a \
                 struct, array or map, which Lakeshore cannot read: only top-level variants \
                 are read when shredded"
            )));
        }
        let adapted = self.inner.rewrite(expr)?;
        if self.shredded.is_empty() {
            return Ok(adapted);
        }
        // Every read of a shredded column, whatever the adapter below made of it, reads it
        // whole (so the scan reads all its leaves) and unshredded.
        adapted
            .transform_up(|node| {
                let Some(unshredded) = node
                    .downcast_ref::<Column>()
                    .and_then(|column| self.shredded.get(column.name()))
                else {
                    return Ok(Transformed::no(node));
                };
                let whole: Arc<dyn PhysicalExpr> = Arc::new(UnshredVariant {
                    target: unshredded.target.clone(),
                    table: self.unshredding.table.to_string(),
                    column: unshredded.name.clone(),
                    stored: node,
                });
                Ok(Transformed::yes(whole))
            })
            .data()
    }
}

/// Whether `stored` (a file's type for a column of Delta type `delta`) holds a variant stored
/// other than as its plain `metadata` and `value`.
fn stored_shredded(stored: &DataType, delta: &DeltaType) -> bool {
    match (stored, delta) {
        (DataType::Struct(fields), DeltaType::Variant(_)) => !is_plain_variant(fields),
        (DataType::Struct(fields), DeltaType::Struct(inner)) => inner.fields().any(|field| {
            fields
                .iter()
                .find(|child| {
                    child.name() == field.name()
                        || Some(child.name().as_str()) == stored_name(field)
                })
                .is_some_and(|child| stored_shredded(child.data_type(), field.data_type()))
        }),
        (DataType::List(element) | DataType::LargeList(element), DeltaType::Array(array)) => {
            stored_shredded(element.data_type(), array.element_type())
        }
        (DataType::Map(entries, _), DeltaType::Map(map)) => match entries.data_type() {
            DataType::Struct(pair) if pair.len() == 2 => {
                stored_shredded(pair[1].data_type(), map.value_type())
            }
            _ => false,
        },
        _ => false,
    }
}

fn is_plain_variant(fields: &Fields) -> bool {
    fields.len() == 2 && fields.find("metadata").is_some() && fields.find("value").is_some()
}

/// A file's shredded variant column, read whole and folded back into the `metadata` and
/// `value` of the unshredded form, in the types of `target`.
#[derive(Debug, Eq)]
struct UnshredVariant {
    /// The column as the file stores it.
    stored: Arc<dyn PhysicalExpr>,
    target: FieldRef,
    table: String,
    /// Its name in the table, for messages.
    column: String,
}

// Not derived: a derived `eq` would move out of the `Arc<dyn PhysicalExpr>`; `hash` goes with it.
impl Hash for UnshredVariant {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.stored.hash(state);
        self.target.hash(state);
        self.table.hash(state);
        self.column.hash(state);
    }
}

impl PartialEq for UnshredVariant {
    fn eq(&self, other: &Self) -> bool {
        self.stored.eq(&other.stored)
            && self.target == other.target
            && self.table == other.table
            && self.column == other.column
    }
}

impl UnshredVariant {
    fn unshredded(&self, stored: &ArrayRef) -> Result<ArrayRef, ArrowError> {
        let variants = unshred_variant(&VariantArray::try_new(stored.as_ref())?)?;
        let DataType::Struct(fields) = self.target.data_type() else {
            return Err(ArrowError::SchemaError(format!(
                "a variant should read as a struct, not as {}",
                self.target.data_type()
            )));
        };
        let parts = fields
            .iter()
            .map(|field| {
                let part = match field.name().as_str() {
                    "metadata" => variants.metadata_column(),
                    "value" => variants.value_column(),
                    other => {
                        return Err(ArrowError::SchemaError(format!(
                            "a variant has no part named {other}"
                        )));
                    }
                };
                cast(part, field.data_type())
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Arc::new(StructArray::try_new(
            fields.clone(),
            parts,
            variants.nulls().cloned(),
        )?))
    }
}

impl fmt::Display for UnshredVariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unshred_variant({})", self.stored)
    }
}

impl PhysicalExpr for UnshredVariant {
    fn return_field(&self, _input_schema: &Schema) -> Result<FieldRef> {
        Ok(self.target.clone())
    }

    fn evaluate(&self, batch: &RecordBatch) -> Result<ColumnarValue> {
        let stored = self.stored.evaluate(batch)?.into_array(batch.num_rows())?;
        let unshredded = self.unshredded(&stored).map_err(|error| {
            DataFusionError::from(EngineError::Table {
                table: self.table.clone(),
                reason: format!(
                    "the shredded variant column {} cannot be read: {}",
                    self.column,
                    describe_arrow(&error)
                ),
            })
        })?;
        Ok(ColumnarValue::Array(unshredded))
    }

    fn children(&self) -> Vec<&Arc<dyn PhysicalExpr>> {
        vec![&self.stored]
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn PhysicalExpr>>,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        match (children.pop(), children.is_empty()) {
            (Some(stored), true) => Ok(Arc::new(Self {
                stored,
                target: self.target.clone(),
                table: self.table.clone(),
                column: self.column.clone(),
            })),
            _ => datafusion::common::internal_err!("unshred_variant takes exactly one input"),
        }
    }

    fn fmt_sql(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unshred_variant(")?;
        self.stored.fmt_sql(f)?;
        write!(f, ")")
    }
}

#[cfg(test)]
mod tests {
    use arrow::datatypes::Field;
    use deltalake::kernel::{ArrayType, StructField, StructType};

    use super::*;

    fn variant_struct(fields: Vec<Field>) -> DataType {
        DataType::Struct(fields.into())
    }

    fn plain() -> DataType {
        variant_struct(vec![
            Field::new("metadata", DataType::Binary, false),
            Field::new("value", DataType::Binary, true),
        ])
    }

    fn shredded() -> DataType {
        variant_struct(vec![
            Field::new("metadata", DataType::Binary, false),
            Field::new("value", DataType::Binary, true),
            Field::new("typed_value", DataType::Int64, true),
        ])
    }

    #[test]
    fn a_variant_with_typed_value_or_without_value_is_shredded() {
        let variant = DeltaType::unshredded_variant();
        assert!(!stored_shredded(&plain(), &variant));
        assert!(stored_shredded(&shredded(), &variant));
        let typed_only = variant_struct(vec![
            Field::new("metadata", DataType::Binary, false),
            Field::new("typed_value", DataType::Int64, true),
        ]);
        assert!(stored_shredded(&typed_only, &variant));
    }

    #[test]
    fn shredded_variants_are_found_inside_structs_lists_and_maps() {
        let in_struct = DeltaType::Struct(Box::new(
            StructType::try_new([StructField::nullable("v", DeltaType::unshredded_variant())])
                .unwrap(),
        ));
        let stored =
            |variant: DataType| DataType::Struct(vec![Field::new("v", variant, true)].into());
        assert!(stored_shredded(&stored(shredded()), &in_struct));
        assert!(!stored_shredded(&stored(plain()), &in_struct));
        // A user's struct with a field named `typed_value` is no variant.
        let user_struct = DeltaType::Struct(Box::new(
            StructType::try_new([StructField::nullable(
                "v",
                DeltaType::Struct(Box::new(
                    StructType::try_new([
                        StructField::nullable("metadata", DeltaType::BINARY),
                        StructField::nullable("value", DeltaType::BINARY),
                        StructField::nullable("typed_value", DeltaType::LONG),
                    ])
                    .unwrap(),
                )),
            )])
            .unwrap(),
        ));
        assert!(!stored_shredded(&stored(shredded()), &user_struct));
        let array = DeltaType::Array(Box::new(ArrayType::new(
            DeltaType::unshredded_variant(),
            true,
        )));
        let list = DataType::List(Arc::new(Field::new("element", shredded(), true)));
        assert!(stored_shredded(&list, &array));
    }
}
