//! Delta tables with shredded variants, written here: no Spark runs in these tests and the
//! golden tables have none. Each data file holds ids and variants given as JSON text, stored
//! as arrow-rs writes them: unshredded, or shredded (`shred_variant`) into a `typed_value` of
//! the file's own type, as the Parquet Variant shredding spec allows file by file. The log is
//! written by hand: the protocol and metadata at version 0, and one commit adding each file.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int64Array, ListArray, RecordBatch, StringArray, StructArray};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::parquet::arrow::ArrowWriter;
use parquet_variant_compute::{VariantArray, json_to_variant, shred_variant, unshred_variant};
use parquet_variant_json::VariantToJson;
use serde_json::json;

/// How a data file stores its variants.
pub(super) enum Stored {
    Unshredded,
    /// Shredded into a `typed_value` of this type.
    ShreddedAs(DataType),
}

/// Where the table's variant column is.
#[derive(Clone, Copy)]
pub(super) enum Layout {
    /// The column `v`.
    TopLevel,
    /// The field `v` of the struct column `s`.
    InStruct,
    /// The one element of each row's list in the column `l`.
    InList,
}

/// One data file: each row's id and variant (JSON text; `None` for SQL NULL).
pub(super) struct DataFile {
    pub(super) rows: Vec<(i64, Option<&'static str>)>,
    pub(super) stored: Stored,
}

/// Writes the table at `table` with columns `id` and the variant of `layout`, its protocol
/// listing `variantType-preview` and `features`, and its change feed recorded. Version `n`
/// adds `files[n - 1]`.
pub(super) fn write_table(table: &Path, layout: Layout, features: &[&str], files: &[DataFile]) {
    let log = table.join("_delta_log");
    std::fs::create_dir_all(&log).unwrap();
    let mut features = features.to_vec();
    features.insert(0, "variantType-preview");
    let protocol = json!({"protocol": {
        "minReaderVersion": 3, "minWriterVersion": 7,
        "readerFeatures": features, "writerFeatures": features,
    }});
    let variant = json!({"name": "v", "type": "variant", "nullable": true, "metadata": {}});
    let column = match layout {
        Layout::TopLevel => variant,
        Layout::InStruct => json!({"name": "s", "type": {"type": "struct", "fields": [variant]},
            "nullable": true, "metadata": {}}),
        Layout::InList => json!({"name": "l",
            "type": {"type": "array", "elementType": "variant", "containsNull": true},
            "nullable": true, "metadata": {}}),
    };
    let schema = json!({"type": "struct", "fields": [
        {"name": "id", "type": "long", "nullable": true, "metadata": {}}, column,
    ]});
    let metadata = json!({"metaData": {
        "id": "5b0b2a52-4a6e-4c43-9d0c-1d2b6c0a7f10",
        "format": {"provider": "parquet", "options": {}},
        "schemaString": schema.to_string(),
        "partitionColumns": [],
        "configuration": {"delta.enableChangeDataFeed": "true"},
        "createdTime": 1_733_000_000_000_i64,
    }});
    std::fs::write(
        log.join(format!("{:020}.json", 0)),
        format!("{protocol}\n{metadata}\n"),
    )
    .unwrap();
    for (index, file) in files.iter().enumerate() {
        let name = format!("part-{index:05}.parquet");
        let size = write_data_file(&table.join(&name), layout, file);
        let add = json!({"add": {
            "path": name, "partitionValues": {}, "size": size,
            "modificationTime": 1_733_000_000_000_i64 + index as i64, "dataChange": true,
            "stats": json!({"numRecords": file.rows.len()}).to_string(),
        }});
        std::fs::write(
            log.join(format!("{:020}.json", index + 1)),
            format!("{add}\n"),
        )
        .unwrap();
    }
}

/// Writes `file` as Parquet at `path`; its size in bytes.
fn write_data_file(path: &Path, layout: Layout, file: &DataFile) -> u64 {
    let ids: ArrayRef = Arc::new(Int64Array::from_iter_values(
        file.rows.iter().map(|(id, _)| *id),
    ));
    let variants = variants(&file.rows, &file.stored);
    let variant_field = Field::new("v", variants.data_type().clone(), true);
    let column: ArrayRef = match layout {
        Layout::TopLevel => variants,
        Layout::InStruct => Arc::new(
            StructArray::try_new(vec![variant_field.clone()].into(), vec![variants], None).unwrap(),
        ),
        Layout::InList => {
            let element = Field::new("element", variants.data_type().clone(), true);
            let lengths = std::iter::repeat_n(1, variants.len());
            Arc::new(
                ListArray::try_new(
                    Arc::new(element),
                    OffsetBuffer::from_lengths(lengths),
                    variants,
                    None,
                )
                .unwrap(),
            )
        }
    };
    let name = match layout {
        Layout::TopLevel => "v",
        Layout::InStruct => "s",
        Layout::InList => "l",
    };
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, true),
        Field::new(name, column.data_type().clone(), true),
    ]));
    let batch = RecordBatch::try_new(schema.clone(), vec![ids, column]).unwrap();
    let mut writer =
        ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    std::fs::metadata(path).unwrap().len()
}

/// The variants of `rows`, stored as `stored` says.
fn variants(rows: &[(i64, Option<&str>)], stored: &Stored) -> ArrayRef {
    let json: ArrayRef = Arc::new(StringArray::from_iter(rows.iter().map(|(_, v)| *v)));
    let variants = json_to_variant(&json).unwrap();
    match stored {
        Stored::Unshredded => variants.into(),
        Stored::ShreddedAs(data_type) => {
            let shredded = shred_variant(&variants, data_type).unwrap();
            // The fixture must hold values in `typed_value`, or it tests nothing, and hold the
            // values written: arrow-rs' `shred_variant` casts where it can (3.5 to 3).
            let typed = shredded.typed_value_column().unwrap();
            assert!(
                typed.null_count() < typed.len(),
                "no value was shredded as {data_type}"
            );
            assert_eq!(
                json_of(&unshred_variant(&shredded).unwrap()),
                json_of(&variants),
                "shredding as {data_type} changed the values"
            );
            shredded.into()
        }
    }
}

fn json_of(variants: &VariantArray) -> Vec<Option<String>> {
    (0..variants.len())
        .map(|row| (!variants.is_null(row)).then(|| variants.value(row).to_json_string().unwrap()))
        .collect()
}
