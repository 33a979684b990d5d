//! The Flight SQL column metadata result schemas carry, which JDBC / ODBC drivers read for
//! `ResultSetMetaData` and `DatabaseMetaData.getColumns`, and Power BI's ADBC path needs (it
//! fails on a column without a type name): `ARROW:FLIGHT:SQL:TYPE_NAME` (as GetXdbcTypeInfo
//! names it), `PRECISION` and `SCALE` of numbers, the `IS_*` flags, and the catalog, schema
//! and table of a column that comes straight from a table or view.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::{DFSchema, ResolvedTableReference};
use lakeshore_engine::Engine;

use crate::type_info::sql_type_name;

const CATALOG_NAME: &str = "ARROW:FLIGHT:SQL:CATALOG_NAME";
const DB_SCHEMA_NAME: &str = "ARROW:FLIGHT:SQL:DB_SCHEMA_NAME";
const TABLE_NAME: &str = "ARROW:FLIGHT:SQL:TABLE_NAME";
const TYPE_NAME: &str = "ARROW:FLIGHT:SQL:TYPE_NAME";
const PRECISION: &str = "ARROW:FLIGHT:SQL:PRECISION";
const SCALE: &str = "ARROW:FLIGHT:SQL:SCALE";
const IS_AUTO_INCREMENT: &str = "ARROW:FLIGHT:SQL:IS_AUTO_INCREMENT";
const IS_CASE_SENSITIVE: &str = "ARROW:FLIGHT:SQL:IS_CASE_SENSITIVE";
const IS_READ_ONLY: &str = "ARROW:FLIGHT:SQL:IS_READ_ONLY";
const IS_SEARCHABLE: &str = "ARROW:FLIGHT:SQL:IS_SEARCHABLE";

/// The table (or view) each result column comes from, by position; `None` for a computed
/// column, or one read through an alias.
#[derive(Debug, Clone, Default)]
pub struct ColumnOrigins(Vec<Option<ResolvedTableReference>>);

impl ColumnOrigins {
    /// The origins of a planned query's columns: their qualifiers, where one names a table
    /// or view of `engine`'s catalogs.
    pub fn of_plan(schema: &DFSchema, engine: &Engine) -> Self {
        Self(
            schema
                .iter()
                .map(|(qualifier, _)| qualifier.and_then(|table| engine.table_of(table)))
                .collect(),
        )
    }

    /// Every column from one table (a table's own schema, as GetTables sends it).
    pub fn of_table(table: ResolvedTableReference, columns: usize) -> Self {
        Self(vec![Some(table); columns])
    }
}

/// `schema` (as results send it) with each column's metadata added to its field.
pub fn described(schema: &Schema, origins: &ColumnOrigins) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(index, field)| {
            let origin = origins.0.get(index).and_then(Option::as_ref);
            let mut metadata = field.metadata().clone();
            metadata.extend(column_metadata(field.data_type(), origin));
            field.as_ref().clone().with_metadata(metadata)
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

fn column_metadata(
    data_type: &DataType,
    origin: Option<&ResolvedTableReference>,
) -> HashMap<String, String> {
    let flag = |yes: bool| if yes { "1" } else { "0" }.to_string();
    let mut metadata = HashMap::from([
        (TYPE_NAME.to_string(), sql_type_name(data_type).to_string()),
        (IS_AUTO_INCREMENT.to_string(), flag(false)),
        (
            IS_CASE_SENSITIVE.to_string(),
            flag(sql_type_name(data_type) == "VARCHAR"),
        ),
        // Results are answers, not updatable rows.
        (IS_READ_ONLY.to_string(), flag(true)),
        (
            IS_SEARCHABLE.to_string(),
            flag(!matches!(
                sql_type_name(data_type),
                "ARRAY" | "MAP" | "STRUCT"
            )),
        ),
    ]);
    if let Some((precision, scale)) = precision_and_scale(data_type) {
        metadata.insert(PRECISION.to_string(), precision.to_string());
        metadata.insert(SCALE.to_string(), scale.to_string());
    }
    if let Some(table) = origin {
        metadata.insert(CATALOG_NAME.to_string(), table.catalog.to_string());
        metadata.insert(DB_SCHEMA_NAME.to_string(), table.schema.to_string());
        metadata.insert(TABLE_NAME.to_string(), table.table.to_string());
    }
    metadata
}

/// A number's precision (decimal digits, or binary digits for floating point, as
/// GetXdbcTypeInfo's column sizes) and scale.
fn precision_and_scale(data_type: &DataType) -> Option<(u32, i32)> {
    match data_type {
        DataType::Int8 | DataType::UInt8 => Some((3, 0)),
        DataType::Int16 | DataType::UInt16 => Some((5, 0)),
        DataType::Int32 | DataType::UInt32 => Some((10, 0)),
        DataType::Int64 => Some((19, 0)),
        DataType::UInt64 => Some((20, 0)),
        DataType::Float16 | DataType::Float32 => Some((24, 0)),
        DataType::Float64 => Some((53, 0)),
        DataType::Decimal32(precision, scale)
        | DataType::Decimal64(precision, scale)
        | DataType::Decimal128(precision, scale)
        | DataType::Decimal256(precision, scale) => {
            Some((u32::from(*precision), i32::from(*scale)))
        }
        _ => None,
    }
}
