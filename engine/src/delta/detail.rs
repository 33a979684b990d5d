//! `DESCRIBE DETAIL t` and `delta_detail('t')`: one row about the table's latest snapshot, with
//! the columns Databricks shows.

use std::sync::Arc;

use arrow::array::TimestampMillisecondArray;
use arrow::array::{ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray};
use datafusion::catalog::MemTable;
use deltalake::DeltaTable;

use super::columns::{string_lists, string_maps};
use super::commit_log::CommitLog;
use super::preloaded::FunctionCall;
use super::statement_reads::Read;
use super::target::{Literal, TableTarget};
use crate::error::Result;
use crate::location::display_url;

pub(crate) use crate::sql::DELTA_DETAIL;

/// `delta_detail('t')`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct DetailCall {
    pub target: TableTarget,
}

impl FunctionCall for DetailCall {
    const NAME: &'static str = DELTA_DETAIL;

    fn from_literals(args: &[Literal]) -> Result<Self, String> {
        match args {
            [Literal::Text(table)] => Ok(Self {
                target: TableTarget::parse(table),
            }),
            _ => Err(format!(
                "{DELTA_DETAIL} takes a table name or path, as in {DELTA_DETAIL}('silver.orders')"
            )),
        }
    }

    fn target(&self) -> &TableTarget {
        &self.target
    }

    fn with_target(self, target: TableTarget) -> Self {
        Self { target }
    }

    fn into_read(self) -> Read {
        Read::Detail(self)
    }
}

/// The detail row of `table`'s latest snapshot; `name` is its SQL name (none when read by path).
pub(crate) async fn detail_table(
    name: Option<&str>,
    table: &DeltaTable,
    log: &CommitLog,
) -> Result<MemTable> {
    let snapshot = table.snapshot().map_err(|e| log.error(e.to_string()))?;
    let metadata = snapshot.metadata();
    let protocol = snapshot.protocol();
    let files = snapshot.log_data();
    let size: i64 = files.iter().map(|file| file.size()).sum();
    let last_modified = log
        .newest_commits(Some(1))
        .await?
        .first()
        .map(|commit| commit.timestamp.timestamp_millis());
    let features = |list: Option<&[_]>| {
        list.map(|features: &[_]| features.iter().map(ToString::to_string).collect())
            .unwrap_or_default()
    };
    let text = |value: Option<&str>| -> ArrayRef { Arc::new(StringArray::from(vec![value])) };
    let time = |millis: Option<i64>| -> ArrayRef {
        Arc::new(TimestampMillisecondArray::from(vec![millis]).with_timezone("UTC"))
    };
    let location = display_url(table.table_url());
    let properties = metadata
        .configuration()
        .iter()
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("format", text(Some("delta"))),
        ("id", text(Some(metadata.id()))),
        ("name", text(name.or(metadata.name()))),
        ("description", text(metadata.description())),
        ("location", text(Some(&location))),
        ("createdAt", time(metadata.created_time())),
        ("lastModified", time(last_modified)),
        (
            "partitionColumns",
            string_lists(std::iter::once(metadata.partition_columns().to_vec())),
        ),
        (
            "numFiles",
            Arc::new(Int64Array::from(vec![
                i64::try_from(files.num_files()).ok(),
            ])),
        ),
        ("sizeInBytes", Arc::new(Int64Array::from(vec![size]))),
        (
            "properties",
            string_maps(std::iter::once(Some(properties))).map_err(|e| log.error(e.to_string()))?,
        ),
        (
            "minReaderVersion",
            Arc::new(Int32Array::from(vec![protocol.min_reader_version()])),
        ),
        (
            "minWriterVersion",
            Arc::new(Int32Array::from(vec![protocol.min_writer_version()])),
        ),
        (
            "readerFeatures",
            string_lists(std::iter::once(features(protocol.reader_features()))),
        ),
        (
            "writerFeatures",
            string_lists(std::iter::once(features(protocol.writer_features()))),
        ),
    ];
    let batch = RecordBatch::try_from_iter(columns).map_err(|e| log.error(e.to_string()))?;
    Ok(MemTable::try_new(batch.schema(), vec![vec![batch]])?)
}
