//! Shredded variants folded back, file by file, inside the Parquet scan.
//!
//! DataFusion's Parquet scan maps each file's columns to the scan's through a
//! [`PhysicalExprAdapter`]: delta-rs' (the default one, with nested fields made nullable) casts
//! a file's variant struct to the `struct<metadata, value>` of the Delta schema, and the scan
//! then reads only the Parquet leaves that cast keeps, dropping `typed_value`. [`Unshredding`]
//! wraps that adapter, file by file: it shows the adapter each column the file stores with a
//! shredded variant in it (the column itself, or inside its structs, arrays and maps) as it
//! reads unshredded, and puts an [`UnshredVariant`] of the whole column wherever the adapter's
//! expressions read it. The scan then reads every leaf of the column, and arrow-rs'
//! `unshred_variant` folds each `typed_value` back into `value`, whatever its type in that
//! file; what the adapter built on the column (casts, field accesses) applies to the
//! unshredded column, so nothing above the scan changes.

use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StructArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, FieldRef, Fields, Schema, SchemaRef};
use arrow::error::ArrowError;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::ColumnarValue;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr_adapter::{
    DefaultPhysicalExprAdapterFactory, PhysicalExprAdapter, PhysicalExprAdapterFactory,
};
use deltalake::kernel::DataType as DeltaType;
use parquet_variant_compute::{VariantArray, unshred_variant};

use super::VariantColumns;
use super::walk::{VariantMap, mapped_array, mapped_field};
use crate::error::{EngineError, describe_arrow};
use crate::single_child::single_child;

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
        let mut shown = Vec::with_capacity(physical_file_schema.fields().len());
        for field in physical_file_schema.fields() {
            let Some((name, delta)) = self.unshredding.variants.stored(field.name()) else {
                shown.push(field.clone());
                continue;
            };
            let unshredded = mapped_field(field, delta, &Unshred);
            if unshredded == **field {
                shown.push(field.clone());
                continue;
            }
            let target = Arc::new(unshredded);
            shown.push(target.clone());
            shredded.insert(
                field.name().clone(),
                Unshredded {
                    name: name.to_string(),
                    delta: delta.clone(),
                    target,
                },
            );
        }
        // The adapter below sees each column holding shredded variants as it reads unshredded.
        let shown = Arc::new(Schema::new_with_metadata(
            shown,
            physical_file_schema.metadata().clone(),
        ));
        Ok(Arc::new(UnshreddingAdapter {
            inner: self.inner.create(logical_file_schema, shown)?,
            shredded,
            unshredding: self.unshredding.clone(),
        }))
    }
}

/// A column a file stores with shredded variants in it.
#[derive(Debug)]
struct Unshredded {
    /// Its name in the table.
    name: String,
    delta: DeltaType,
    /// The field it reads as, unshredded.
    target: FieldRef,
}

/// The adapter of one file.
#[derive(Debug)]
struct UnshreddingAdapter {
    /// The adapter the scan had, shown the file with its shredded variants unshredded.
    inner: Arc<dyn PhysicalExprAdapter>,
    /// The file's columns holding shredded variants, by their name in the file.
    shredded: HashMap<String, Unshredded>,
    unshredding: Unshredding,
}

impl PhysicalExprAdapter for UnshreddingAdapter {
    fn rewrite(&self, expr: Arc<dyn PhysicalExpr>) -> Result<Arc<dyn PhysicalExpr>> {
        let adapted = self.inner.rewrite(expr)?;
        if self.shredded.is_empty() {
            return Ok(adapted);
        }
        // Every read of such a column, whatever the adapter below made of it, reads it whole
        // (so the scan reads all its leaves) and unshredded.
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
                    delta: unshredded.delta.clone(),
                    table: self.unshredding.table.to_string(),
                    column: unshredded.name.clone(),
                    stored: node,
                });
                Ok(Transformed::yes(whole))
            })
            .data()
    }
}

/// Shredded variants folded back into the `metadata` and `value` of the Delta schema's
/// variant (two binary fields, never null in a variant that is not); a variant stored
/// unshredded stays as it is.
struct Unshred;

impl VariantMap for Unshred {
    fn variant_type(&self, stored: &Fields) -> DataType {
        if is_plain_variant(stored) {
            DataType::Struct(stored.clone())
        } else {
            DataType::Struct(unshredded_fields())
        }
    }

    fn variant_array(&self, variants: &StructArray) -> Result<ArrayRef, ArrowError> {
        if is_plain_variant(variants.fields()) {
            return Ok(Arc::new(variants.clone()));
        }
        let unshredded = unshred_variant(&VariantArray::try_new(variants)?)?;
        Ok(Arc::new(StructArray::try_new(
            unshredded_fields(),
            vec![
                cast(unshredded.metadata_column(), &DataType::Binary)?,
                cast(unshredded.value_column(), &DataType::Binary)?,
            ],
            unshredded.nulls().cloned(),
        )?))
    }
}

fn unshredded_fields() -> Fields {
    vec![
        Field::new("metadata", DataType::Binary, false),
        Field::new("value", DataType::Binary, false),
    ]
    .into()
}

fn is_plain_variant(fields: &Fields) -> bool {
    fields.len() == 2 && fields.find("metadata").is_some() && fields.find("value").is_some()
}

/// A file's column holding shredded variants, read whole and with each variant folded back
/// into the `metadata` and `value` of the unshredded form.
#[derive(Debug, Eq)]
struct UnshredVariant {
    /// The column as the file stores it.
    stored: Arc<dyn PhysicalExpr>,
    /// What it reads as: the column's own field with its variants unshredded.
    target: FieldRef,
    delta: DeltaType,
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
            && self.delta == other.delta
            && self.table == other.table
            && self.column == other.column
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
        let unshredded = mapped_array(&stored, &self.delta, &Unshred).map_err(|error| {
            DataFusionError::from(EngineError::Table {
                table: self.table.clone(),
                reason: format!(
                    "the shredded variants of column {} cannot be read: {}",
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
        children: Vec<Arc<dyn PhysicalExpr>>,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        let stored = single_child(children, "unshred_variant")?;
        Ok(Arc::new(Self {
            stored,
            target: self.target.clone(),
            delta: self.delta.clone(),
            table: self.table.clone(),
            column: self.column.clone(),
        }))
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

    use super::super::walk::mapped_type;
    use super::*;

    /// Whether `stored` (a file's type for a column of Delta type `delta`) holds a variant
    /// stored other than as its plain `metadata` and `value`.
    fn stored_shredded(stored: &DataType, delta: &DeltaType) -> bool {
        mapped_type(stored, delta, &Unshred) != *stored
    }

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
