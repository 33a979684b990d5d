//! The engine in this process.

use anyhow::Result;
use async_trait::async_trait;
use datafusion::common::TableReference;
use datafusion::execution::SendableRecordBatchStream;
use lakeshore_engine::{Engine, RequestWatch};

use super::{Backend, TableName};
use crate::text_rows::collect_text_rows;

pub struct EmbeddedBackend {
    engine: Engine,
    /// The lake's location, if one is open.
    lake: Option<String>,
}

impl EmbeddedBackend {
    pub fn new(engine: Engine, lake: Option<String>) -> Self {
        Self { engine, lake }
    }
}

#[async_trait]
impl Backend for EmbeddedBackend {
    async fn execute(&self, sql: &str) -> Result<SendableRecordBatchStream> {
        Ok(self.engine.execute(sql).await?)
    }

    fn watch_requests(&self) -> Option<RequestWatch> {
        Some(self.engine.watch_requests())
    }

    async fn tables(&self) -> Result<Vec<TableName>> {
        // information_schema lists the lake afresh without opening any table.
        let stream = self
            .engine
            .execute(
                "SELECT table_catalog, table_schema, table_name FROM information_schema.tables \
                 WHERE table_schema <> 'information_schema'",
            )
            .await?;
        let rows = collect_text_rows(stream).await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| match <[String; 3]>::try_from(row) {
                Ok([catalog, schema, table]) => Some(TableName {
                    catalog,
                    schema,
                    table,
                }),
                Err(_) => None,
            })
            .collect())
    }

    async fn columns(&self, table: &TableName) -> Result<Vec<String>> {
        let reference = TableReference::full(
            table.catalog.as_str(),
            table.schema.as_str(),
            table.table.as_str(),
        );
        let schema = self.engine.table_schema(reference).await?;
        Ok(schema
            .fields()
            .iter()
            .map(|field| field.name().clone())
            .collect())
    }

    async fn functions(&self) -> Result<Vec<String>> {
        Ok(self.engine.function_names())
    }

    fn description(&self) -> String {
        match &self.lake {
            Some(lake) => format!("lake {lake}"),
            None => "no lake (empty catalog)".to_string(),
        }
    }
}
