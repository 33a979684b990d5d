//! The Delta operations the curation performs, over delta-rs' own writers: each call is one
//! commit, so the tables carry the history a Spark notebook would leave.

use std::path::Path;

use arrow::array::RecordBatch;
use datafusion::prelude::SessionContext;
use deltalake::protocol::SaveMode;
use deltalake::{DeltaTable, DeltaTableError, ensure_table_uri};

use crate::error::DemoError;

/// A Delta table of the demo lake, by its folder below the lake root (`silver/sales/store_orders`).
pub(crate) struct DemoTable<'a> {
    lake: &'a Path,
    folder: &'a str,
}

impl<'a> DemoTable<'a> {
    pub(crate) fn new(lake: &'a Path, folder: &'a str) -> Self {
        Self { lake, folder }
    }

    /// Creates the table with `batch` as version 0.
    pub(crate) async fn create(
        &self,
        batch: RecordBatch,
        partition_columns: &[&str],
        properties: &[(&str, &str)],
    ) -> Result<(), DemoError> {
        let result = async {
            let table = DeltaTable::try_from_url(self.url()?).await?;
            table
                .write(vec![batch])
                .with_save_mode(SaveMode::ErrorIfExists)
                .with_partition_columns(partition_columns.iter().map(|c| c.to_string()))
                .with_configuration(properties.iter().map(|(k, v)| (*k, Some(*v))))
                .await
        }
        .await;
        self.done(result)
    }

    /// Appends `batch` as a new version.
    pub(crate) async fn append(&self, batch: RecordBatch) -> Result<(), DemoError> {
        let result = async {
            self.open()
                .await?
                .write(vec![batch])
                .with_save_mode(SaveMode::Append)
                .await
        }
        .await;
        self.done(result)
    }

    /// Merges `batch` on `key`: rows whose key is in the table replace it, the rest are
    /// inserted (Spark's `MERGE ... UPDATE SET * ... INSERT *`).
    pub(crate) async fn upsert(&self, batch: RecordBatch, key: &str) -> Result<(), DemoError> {
        let columns: Vec<String> = batch
            .schema()
            .fields()
            .iter()
            .map(|field| field.name().clone())
            .collect();
        let result = async {
            let source = SessionContext::new().read_batch(batch)?;
            self.open()
                .await?
                .merge(source, format!("target.{key} = source.{key}"))
                .with_source_alias("source")
                .with_target_alias("target")
                .when_matched_update(|update| {
                    columns.iter().fold(update, |update, column| {
                        update.update(column.as_str(), format!("source.{column}"))
                    })
                })?
                .when_not_matched_insert(|insert| {
                    columns.iter().fold(insert, |insert, column| {
                        insert.set(column.as_str(), format!("source.{column}"))
                    })
                })?
                .await
                .map(|(table, _metrics)| table)
        }
        .await;
        self.done(result)
    }

    /// Sets `column` to the SQL `expression` in the rows where `predicate` holds.
    pub(crate) async fn update(
        &self,
        predicate: &str,
        column: &str,
        expression: &str,
    ) -> Result<(), DemoError> {
        let result = async {
            self.open()
                .await?
                .update()
                .with_predicate(predicate)
                .with_update(column, expression)
                .await
                .map(|(table, _metrics)| table)
        }
        .await;
        self.done(result)
    }

    /// Deletes the rows where `predicate` holds.
    pub(crate) async fn delete(&self, predicate: &str) -> Result<(), DemoError> {
        let result = async {
            self.open()
                .await?
                .delete()
                .with_predicate(predicate)
                .await
                .map(|(table, _metrics)| table)
        }
        .await;
        self.done(result)
    }

    fn url(&self) -> Result<url::Url, DeltaTableError> {
        ensure_table_uri(self.lake.join(self.folder).to_string_lossy())
    }

    async fn open(&self) -> Result<DeltaTable, DeltaTableError> {
        deltalake::open_table(self.url()?).await
    }

    fn done(&self, result: Result<DeltaTable, DeltaTableError>) -> Result<(), DemoError> {
        result.map(|_| ()).map_err(|source| DemoError::Delta {
            table: self.folder.to_string(),
            source,
        })
    }
}
