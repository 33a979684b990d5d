//! The Delta operations the curation performs, over delta-rs' own writers: each call is one
//! commit, so the tables carry the history a Spark notebook would leave.

use std::collections::HashMap;

use arrow::array::RecordBatch;
use datafusion::prelude::SessionContext;
use deltalake::protocol::SaveMode;
use deltalake::{DeltaTable, DeltaTableBuilder, DeltaTableError, ensure_table_uri};
use url::Url;

use crate::error::DemoError;
use crate::location::Lake;

/// A Delta table of the demo lake, by its folder below the lake root (`silver/sales/store_orders`).
pub(crate) struct DemoTable<'a> {
    lake: &'a Lake<'a>,
    folder: &'a str,
}

impl<'a> DemoTable<'a> {
    pub(crate) fn new(lake: &'a Lake<'a>, folder: &'a str) -> Self {
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
            let (url, options) = self.location()?;
            let table = DeltaTable::try_from_url_with_storage_options(url, options).await?;
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

    /// The table's URL below the lake root, and the options of its store (credentials,
    /// endpoints, timeouts). For a local lake the table's folder is created too: delta-rs'
    /// local store needs it to exist.
    fn location(&self) -> Result<(Url, HashMap<String, String>), DeltaTableError> {
        let url = self
            .lake
            .root()
            .join(self.folder)
            .map_err(|e| DeltaTableError::InvalidTableLocation(e.to_string()))?;
        let url = ensure_table_uri(url)?;
        let options = self.lake.storage().for_location(&url);
        Ok((url, options))
    }

    async fn open(&self) -> Result<DeltaTable, DeltaTableError> {
        let (url, options) = self.location()?;
        DeltaTableBuilder::from_url(url)?
            .with_storage_options(options)
            .load()
            .await
    }

    fn done(&self, result: Result<DeltaTable, DeltaTableError>) -> Result<(), DemoError> {
        result.map(|_| ()).map_err(|source| DemoError::Delta {
            table: self.folder.to_string(),
            source,
        })
    }
}
