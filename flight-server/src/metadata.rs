//! The catalog as BI tools browse it: catalogs, schemas, tables (with their Arrow schemas), table
//! types, and the key lists (always empty: Delta tables declare no keys), answered from the
//! engine's information_schema, which lists the lake afresh. The engine is the user's view of
//! it, whose catalog holds only the layers the user is granted: nothing here filters.

use std::sync::Arc;

use arrow::array::{AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow_flight::sql::metadata::GetCatalogsBuilder;
use arrow_flight::sql::{
    CommandGetCatalogs, CommandGetDbSchemas, CommandGetTableTypes, CommandGetTables,
};
use datafusion::common::{ResolvedTableReference, TableReference};
use futures::TryStreamExt;
use lakeshore_engine::Engine;

use crate::column_metadata::{ColumnOrigins, described};
use crate::error::Result;

pub async fn catalogs(engine: &Engine) -> Result<RecordBatch> {
    let mut builder = CommandGetCatalogs {}.into_builder();
    for row in rows(
        engine,
        "SELECT DISTINCT catalog_name FROM information_schema.schemata",
    )
    .await?
    {
        builder.append(&row[0]);
    }
    Ok(builder.build()?)
}

pub fn catalogs_schema() -> SchemaRef {
    GetCatalogsBuilder::new().schema()
}

pub async fn db_schemas(engine: &Engine, command: CommandGetDbSchemas) -> Result<RecordBatch> {
    let mut builder = command.into_builder();
    let sql = "SELECT catalog_name, schema_name FROM information_schema.schemata";
    for row in rows(engine, sql).await? {
        builder.append(&row[0], &row[1]);
    }
    Ok(builder.build()?)
}

pub fn db_schemas_schema(command: CommandGetDbSchemas) -> SchemaRef {
    command.into_builder().schema()
}

/// The tables the command asks for; with `include_schema`, each with its Arrow schema (an
/// empty one for a table that cannot be read now, which still belongs in the list).
pub async fn tables(engine: &Engine, command: CommandGetTables) -> Result<RecordBatch> {
    let include_schema = command.include_schema;
    let mut filters = Vec::new();
    if let Some(catalog) = &command.catalog {
        filters.push(format!("table_catalog = {}", quoted(catalog)));
    }
    if let Some(pattern) = &command.db_schema_filter_pattern {
        filters.push(format!("table_schema LIKE {}", quoted(pattern)));
    }
    if let Some(pattern) = &command.table_name_filter_pattern {
        filters.push(format!("table_name LIKE {}", quoted(pattern)));
    }
    let mut sql = "SELECT table_catalog, table_schema, table_name, table_type \
                   FROM information_schema.tables"
        .to_string();
    if !filters.is_empty() {
        sql = format!("{sql} WHERE {}", filters.join(" AND "));
    }
    let mut builder = command.into_builder();
    for row in rows(engine, &sql).await? {
        let [catalog, schema, table, kind] = &row[..] else {
            continue;
        };
        let table_schema = if include_schema {
            table_schema(engine, catalog, schema, table).await
        } else {
            Schema::empty()
        };
        builder.append(catalog, schema, table, table_type(kind), &table_schema)?;
    }
    Ok(builder.build()?)
}

pub fn tables_schema(command: CommandGetTables) -> SchemaRef {
    command.into_builder().schema()
}

pub fn table_types() -> Result<RecordBatch> {
    let mut builder = CommandGetTableTypes {}.into_builder();
    builder.append("TABLE");
    builder.append("VIEW");
    Ok(builder.build()?)
}

pub fn table_types_schema() -> SchemaRef {
    CommandGetTableTypes {}.into_builder().schema()
}

/// GetPrimaryKeys' schema, from the spec.
pub fn primary_keys_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("catalog_name", DataType::Utf8, true),
        Field::new("db_schema_name", DataType::Utf8, true),
        Field::new("table_name", DataType::Utf8, false),
        Field::new("column_name", DataType::Utf8, false),
        Field::new("key_name", DataType::Utf8, true),
        Field::new("key_sequence", DataType::Int32, false),
    ]))
}

/// The schema of GetImportedKeys, GetExportedKeys and GetCrossReference, from the spec.
pub fn foreign_keys_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("pk_catalog_name", DataType::Utf8, true),
        Field::new("pk_db_schema_name", DataType::Utf8, true),
        Field::new("pk_table_name", DataType::Utf8, false),
        Field::new("pk_column_name", DataType::Utf8, false),
        Field::new("fk_catalog_name", DataType::Utf8, true),
        Field::new("fk_db_schema_name", DataType::Utf8, true),
        Field::new("fk_table_name", DataType::Utf8, false),
        Field::new("fk_column_name", DataType::Utf8, false),
        Field::new("key_sequence", DataType::Int32, false),
        Field::new("fk_key_name", DataType::Utf8, true),
        Field::new("pk_key_name", DataType::Utf8, true),
        Field::new("update_rule", DataType::UInt8, false),
        Field::new("delete_rule", DataType::UInt8, false),
    ]))
}

/// Flight SQL's table types: DataFusion's `BASE TABLE` is a `TABLE`.
fn table_type(information_schema_type: &str) -> &str {
    match information_schema_type {
        "VIEW" => "VIEW",
        _ => "TABLE",
    }
}

async fn table_schema(engine: &Engine, catalog: &str, schema: &str, table: &str) -> Schema {
    let reference = TableReference::full(catalog, schema, table);
    match engine.table_schema(reference).await {
        Ok(arrow_schema) => {
            let origins = ColumnOrigins::of_table(
                ResolvedTableReference {
                    catalog: catalog.into(),
                    schema: schema.into(),
                    table: table.into(),
                },
                arrow_schema.fields().len(),
            );
            described(&crate::results::flight_schema(&arrow_schema), &origins)
                .as_ref()
                .clone()
        }
        Err(error) => {
            tracing::warn!(%catalog, %schema, %table, %error, "cannot read a table's schema");
            Schema::empty()
        }
    }
}

/// A SQL string literal.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The rows of a query over information_schema, each as strings.
async fn rows(engine: &Engine, sql: &str) -> Result<Vec<Vec<String>>> {
    let batches: Vec<RecordBatch> = engine.execute(sql).await?.try_collect().await?;
    let mut rows = Vec::new();
    for batch in batches {
        let columns = batch
            .columns()
            .iter()
            .map(|column| cast(column, &DataType::Utf8))
            .collect::<Result<Vec<_>, _>>()?;
        for row in 0..batch.num_rows() {
            rows.push(
                columns
                    .iter()
                    .map(|column| column.as_string::<i32>().value(row).to_string())
                    .collect(),
            );
        }
    }
    Ok(rows)
}
