//! Parquet checkpoints shown without readable features.
//!
//! A checkpoint's protocol row lists the table's features like a commit's protocol action, but
//! Parquet cannot be edited in place: the file is read back, its protocol rows lose the
//! features, and it is written anew. Readers fetch a Parquet file in ranges from the size a
//! listing gave them, so the store shows the rewritten size wherever it shows the file, and
//! serves every range from the rewritten bytes.
//!
//! The rewrite drops the typed copies of statistics and partition values (`stats_parsed`,
//! `partitionValues_parsed`): their types come from the file as stored (Spark's INT96
//! timestamps, narrow types before a widening) and a round trip through Arrow could change
//! them. Readers then use the JSON statistics and the partition value strings every writer
//! also writes; a checkpoint with no JSON statistics loses file skipping, never rows.

use std::num::NonZeroUsize;
use std::sync::Arc;

use bytes::Bytes;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, ListBuilder, StringBuilder, StructArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Fields, Schema};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::errors::ParquetError;
use datafusion::parquet::file::properties::WriterProperties;
use futures::StreamExt;
use lru::LruCache;
use object_store::path::Path;
use object_store::{
    Attributes, Error, GetOptions, GetResult, GetResultPayload, ObjectMeta, ObjectStore, Result,
};
use parking_lot::Mutex;

use super::READABLE_FEATURES;

/// How many checkpoint files are remembered as shown: enough for the parts of a multi-part
/// checkpoint and the checkpoint of an older version read for time travel.
const REMEMBERED: NonZeroUsize = match NonZeroUsize::new(16) {
    Some(count) => count,
    None => NonZeroUsize::MIN,
};

/// The columns of `add` (and `remove`) with typed copies that the rewrite drops.
const TYPED_COPIES: &[&str] = &["stats_parsed", "partitionValues_parsed"];

const STORE_NAME: &str = "checkpoint without readable features";

/// Whether `location` is a Parquet checkpoint of the log (classic, a part of a multi-part one,
/// or a v2 checkpoint's top file). Sidecars hold only file actions and are never rewritten.
pub(super) fn is_checkpoint(location: &Path) -> bool {
    let mut parts = location.parts().collect::<Vec<_>>().into_iter().rev();
    let file = parts.next();
    let folder = parts.next();
    folder.is_some_and(|f| f.as_ref() == "_delta_log")
        && file.is_some_and(|f| {
            let name = f.as_ref();
            name.contains(".checkpoint.") && name.ends_with(".parquet")
        })
}

/// A checkpoint as the store shows it.
#[derive(Debug)]
enum Shown {
    /// It lists no readable feature: served as stored.
    AsStored,
    Rewritten {
        meta: ObjectMeta,
        bytes: Bytes,
    },
}

/// The checkpoints of one table, shown rewritten where they list a readable feature.
#[derive(Debug)]
pub(super) struct RewrittenCheckpoints {
    inner: Arc<dyn ObjectStore>,
    shown: Mutex<LruCache<Path, Arc<Shown>>>,
}

impl RewrittenCheckpoints {
    pub(super) fn new(inner: Arc<dyn ObjectStore>) -> Self {
        Self {
            inner,
            shown: Mutex::new(LruCache::new(REMEMBERED)),
        }
    }

    /// `meta` of a listed file, with the size the store shows for it.
    pub(super) async fn listed(&self, meta: ObjectMeta) -> Result<ObjectMeta> {
        if !is_checkpoint(&meta.location) {
            return Ok(meta);
        }
        Ok(match &*self.shown(&meta.location).await? {
            Shown::AsStored => meta,
            Shown::Rewritten { meta: shown, .. } => ObjectMeta {
                size: shown.size,
                ..meta
            },
        })
    }

    /// A read of the checkpoint at `location`, from the rewritten bytes where there are some.
    pub(super) async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        let Shown::Rewritten { meta, bytes } = &*self.shown(location).await? else {
            return self.inner.get_opts(location, options).await;
        };
        let range = match &options.range {
            Some(range) => range.as_range(meta.size).map_err(|e| Error::Generic {
                store: STORE_NAME,
                source: Box::new(e),
            })?,
            None => 0..meta.size,
        };
        let part = match options.head {
            true => Bytes::new(),
            false => bytes.slice(range.start as usize..range.end as usize),
        };
        Ok(GetResult {
            payload: GetResultPayload::Stream(
                futures::stream::once(async move { Ok(part) }).boxed(),
            ),
            meta: meta.clone(),
            range,
            attributes: Attributes::default(),
        })
    }

    async fn shown(&self, location: &Path) -> Result<Arc<Shown>> {
        if let Some(shown) = self.shown.lock().get(location) {
            return Ok(shown.clone());
        }
        let stored = self.inner.get_opts(location, GetOptions::default()).await?;
        let meta = stored.meta.clone();
        let bytes = stored.bytes().await?;
        // Reading and writing a large checkpoint takes a while: off the async threads.
        let rewritten = tokio::task::spawn_blocking(move || without_readable_features(bytes))
            .await
            .map_err(|e| Error::Generic {
                store: STORE_NAME,
                source: Box::new(e),
            })?
            .map_err(|e| Error::Generic {
                store: STORE_NAME,
                source: Box::new(e),
            })?;
        let shown = Arc::new(match rewritten {
            Some(bytes) => Shown::Rewritten {
                meta: ObjectMeta {
                    size: bytes.len() as u64,
                    ..meta
                },
                bytes,
            },
            None => Shown::AsStored,
        });
        self.shown.lock().put(location.clone(), shown.clone());
        Ok(shown)
    }
}

/// The checkpoint `stored` written anew without readable features in its protocol rows, or
/// `None` when it lists none.
fn without_readable_features(stored: Bytes) -> Result<Option<Bytes>, ParquetError> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(stored)?.build()?;
    let batches = reader.collect::<Result<Vec<_>, ArrowError>>()?;
    let mut changed = false;
    let mut shown = Vec::with_capacity(batches.len());
    for batch in &batches {
        let (batch, stripped) = protocol_stripped(batch)?;
        changed |= stripped;
        shown.push(batch);
    }
    let Some(first) = shown.first().filter(|_| changed) else {
        return Ok(None);
    };
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut writer = ArrowWriter::try_new(Vec::new(), first.schema(), Some(properties))?;
    for batch in &shown {
        writer.write(batch)?;
    }
    Ok(Some(Bytes::from(writer.into_inner()?)))
}

/// `batch` without readable features in its `protocol` column and without typed copies, and
/// whether a feature was removed.
fn protocol_stripped(batch: &RecordBatch) -> Result<(RecordBatch, bool), ArrowError> {
    let mut changed = false;
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        let column = match field.name().as_str() {
            "protocol" => {
                let (column, stripped) = features_stripped(column)?;
                changed |= stripped;
                column
            }
            "add" | "remove" => without_typed_copies(column)?,
            _ => column.clone(),
        };
        fields.push(Field::new(
            field.name(),
            column.data_type().clone(),
            field.is_nullable(),
        ));
        columns.push(column);
    }
    let schema = Arc::new(Schema::new_with_metadata(
        fields,
        batch.schema().metadata().clone(),
    ));
    Ok((RecordBatch::try_new(schema, columns)?, changed))
}

/// The `protocol` struct column with readable features removed from both feature lists.
fn features_stripped(protocol: &ArrayRef) -> Result<(ArrayRef, bool), ArrowError> {
    let Some(protocol) = protocol.as_struct_opt() else {
        return Ok((protocol.clone(), false));
    };
    let (fields, mut columns, nulls) = protocol.clone().into_parts();
    let mut changed = false;
    for (field, column) in fields.iter().zip(columns.iter_mut()) {
        if matches!(field.name().as_str(), "readerFeatures" | "writerFeatures")
            && let Some(stripped) = list_without_readable_features(column)?
        {
            *column = stripped;
            changed = true;
        }
    }
    let protocol: ArrayRef = Arc::new(StructArray::try_new(fields, columns, nulls)?);
    Ok((protocol, changed))
}

/// A list of feature names without readable features, in its own type, or `None` when it
/// holds none.
fn list_without_readable_features(list: &ArrayRef) -> Result<Option<ArrayRef>, ArrowError> {
    let (Some(names), DataType::List(item)) = (list.as_list_opt::<i32>(), list.data_type()) else {
        return Ok(None);
    };
    let values = cast(names.values(), &DataType::Utf8)?;
    let values = values.as_string::<i32>();
    let mut builder = ListBuilder::new(StringBuilder::new()).with_field(Arc::new(Field::new(
        item.name(),
        DataType::Utf8,
        item.is_nullable(),
    )));
    let mut changed = false;
    for row in 0..names.len() {
        if names.is_null(row) {
            builder.append_null();
            continue;
        }
        let offsets = &names.value_offsets()[row..=row + 1];
        for index in offsets[0] as usize..offsets[1] as usize {
            match values.is_valid(index).then(|| values.value(index)) {
                Some(name) if READABLE_FEATURES.contains(&name) => changed = true,
                Some(name) => builder.values().append_value(name),
                None => builder.values().append_null(),
            }
        }
        builder.append(true);
    }
    if !changed {
        return Ok(None);
    }
    cast(&builder.finish(), list.data_type()).map(Some)
}

/// A file action's struct column without the typed copies of its statistics and partition
/// values.
fn without_typed_copies(action: &ArrayRef) -> Result<ArrayRef, ArrowError> {
    let Some(action) = action.as_struct_opt() else {
        return Ok(action.clone());
    };
    let (fields, columns, nulls) = action.clone().into_parts();
    let (kept_fields, kept_columns): (Vec<_>, Vec<_>) = fields
        .iter()
        .zip(columns)
        .filter(|(field, _)| !TYPED_COPIES.contains(&field.name().as_str()))
        .map(|(field, column)| (field.clone(), column))
        .unzip();
    Ok(Arc::new(StructArray::try_new(
        Fields::from(kept_fields),
        kept_columns,
        nulls,
    )?))
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::Int32Array;

    use super::*;

    /// A checkpoint of two rows: the protocol, and one `add` with a typed statistics copy.
    fn checkpoint(reader_features: &[&str], writer_features: &[&str]) -> Bytes {
        let features = |names: &[&str]| -> ArrayRef {
            let mut list = ListBuilder::new(StringBuilder::new());
            list.values().append_null();
            list.append(false);
            for name in names {
                list.values().append_value(name);
            }
            list.append(true);
            Arc::new(list.finish())
        };
        let list_type = features(&[]).data_type().clone();
        let protocol = StructArray::try_new(
            Fields::from(vec![
                Field::new("minReaderVersion", DataType::Int32, true),
                Field::new("readerFeatures", list_type.clone(), true),
                Field::new("writerFeatures", list_type, true),
            ]),
            vec![
                Arc::new(Int32Array::from(vec![None, Some(3)])),
                features(reader_features),
                features(writer_features),
            ],
            Some(vec![false, true].into()),
        )
        .unwrap();
        let stats = StructArray::try_new(
            Fields::from(vec![Field::new("numRecords", DataType::Int32, true)]),
            vec![Arc::new(Int32Array::from(vec![Some(10), None]))],
            None,
        )
        .unwrap();
        let add = StructArray::try_new(
            Fields::from(vec![
                Field::new("size", DataType::Int32, true),
                Field::new("stats_parsed", stats.data_type().clone(), true),
            ]),
            vec![
                Arc::new(Int32Array::from(vec![Some(100), None])),
                Arc::new(stats),
            ],
            Some(vec![true, false].into()),
        )
        .unwrap();
        let batch = RecordBatch::try_from_iter([
            ("add", Arc::new(add) as ArrayRef),
            ("protocol", Arc::new(protocol) as ArrayRef),
        ])
        .unwrap();
        let mut writer = ArrowWriter::try_new(Vec::new(), batch.schema(), None).unwrap();
        writer.write(&batch).unwrap();
        Bytes::from(writer.into_inner().unwrap())
    }

    fn read(checkpoint: Bytes) -> RecordBatch {
        let reader = ParquetRecordBatchReaderBuilder::try_new(checkpoint)
            .unwrap()
            .build()
            .unwrap();
        let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
        assert_eq!(batches.len(), 1);
        batches[0].clone()
    }

    fn names(batch: &RecordBatch, list: &str) -> Vec<String> {
        let protocol = batch.column_by_name("protocol").unwrap().as_struct();
        let list = protocol.column_by_name(list).unwrap().as_list::<i32>();
        let names = list.value(1);
        names
            .as_string::<i32>()
            .iter()
            .map(|name| name.unwrap().to_string())
            .collect()
    }

    #[test]
    fn the_protocol_row_loses_the_readable_features_and_nothing_else() {
        let stored = checkpoint(
            &["deletionVectors", "typeWidening", "vacuumProtocolCheck"],
            &["typeWidening", "appendOnly"],
        );
        let shown = read(without_readable_features(stored).unwrap().unwrap());
        assert_eq!(names(&shown, "readerFeatures"), ["deletionVectors"]);
        assert_eq!(names(&shown, "writerFeatures"), ["appendOnly"]);
        let protocol = shown.column_by_name("protocol").unwrap().as_struct();
        assert!(protocol.is_null(0) && protocol.is_valid(1));
        // The file action keeps its rows and loses its typed statistics.
        let add = shown.column_by_name("add").unwrap().as_struct();
        assert!(add.is_valid(0) && add.is_null(1));
        assert!(add.column_by_name("stats_parsed").is_none());
        let size = add.column_by_name("size").unwrap();
        assert_eq!(
            size.as_primitive::<datafusion::arrow::datatypes::Int32Type>()
                .value(0),
            100
        );
    }

    #[test]
    fn a_checkpoint_without_readable_features_is_served_as_stored() {
        let stored = checkpoint(&["deletionVectors"], &["deletionVectors", "appendOnly"]);
        assert!(without_readable_features(stored).unwrap().is_none());
    }

    #[test]
    fn only_checkpoints_of_the_log_are_rewritten() {
        for (path, expected) in [
            ("t/_delta_log/00000000000000000010.checkpoint.parquet", true),
            (
                "t/_delta_log/00000000000000000010.checkpoint.0000000001.0000000002.parquet",
                true,
            ),
            (
                "t/_delta_log/00000000000000000010.checkpoint.3a0d65cd.parquet",
                true,
            ),
            ("t/_delta_log/_sidecars/3a0d65cd.parquet", false),
            ("t/_delta_log/00000000000000000010.json", false),
            ("t/part-00000.checkpoint.parquet", false),
        ] {
            assert_eq!(is_checkpoint(&Path::from(path)), expected, "{path}");
        }
    }
}
