//! Tables whose column types Spark widened (`ALTER TABLE ... CHANGE COLUMN ... TYPE`, Delta's
//! `typeWidening` feature): files written before the change keep their narrow types and read
//! as the wide ones, in data, partition values and the statistics used to skip files.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use arrow::datatypes::{DataType, TimeUnit};
use lakeshore_tests::{assert_same_rows, collect, read_parquet, run_delta_writer};

use crate::lake_catalog::{open_lake, rows};

/// Writes the widened table (`delta_writer.py type-widening`) as `lake/silver/widened` and
/// returns the parquet file with its rows in the wide types.
fn write_widened_table(lake: &Path) -> PathBuf {
    let table = lake.join("silver").join("widened");
    let rows = lake.join("widened.expected.parquet");
    run_delta_writer(&[
        OsStr::new("type-widening"),
        table.as_os_str(),
        rows.as_os_str(),
    ]);
    rows
}

#[tokio::test(flavor = "multi_thread")]
async fn widened_columns_read_old_files_as_the_wide_types() {
    let lake = tempfile::tempdir().unwrap();
    let expected = write_widened_table(lake.path());
    let engine = open_lake(lake.path()).await;

    let ours = collect(&engine, "SELECT * FROM silver.widened")
        .await
        .unwrap_or_else(|error| panic!("the widened table should read: {error}"));
    let schema = ours[0].schema();
    let types: Vec<(&str, &DataType)> = schema
        .fields()
        .iter()
        .map(|field| (field.name().as_str(), field.data_type()))
        .collect();
    assert_eq!(
        types,
        [
            ("id", &DataType::Int64),
            ("bucket", &DataType::Int32),
            ("amount", &DataType::Float64),
            ("price", &DataType::Decimal128(12, 2)),
            ("day", &DataType::Timestamp(TimeUnit::Microsecond, None)),
        ]
    );
    let theirs = read_parquet(&expected).await;
    assert_same_rows("silver.widened", (&schema, &ours), (&theirs.0, &theirs.1));

    // Filters answered through the statistics and partition values of both files: each finds
    // exactly its rows, whichever file holds them.
    for (filter, ids) in [
        ("id > 2147483647", vec!["id=3000000000"]),
        ("id = 1", vec!["id=1"]),
        ("bucket = 7", vec!["id=1", "id=2"]),
        ("bucket > 32767", vec!["id=3000000000"]),
        ("amount > 1e200", vec!["id=3000000000"]),
        ("amount < 0", vec!["id=2"]),
        ("price > 1000", vec!["id=3000000000"]),
        ("price = 123.45", vec!["id=1"]),
        ("day = '2024-01-02'", vec!["id=1"]),
        ("day > '2024-01-02 12:00:00'", vec!["id=3000000000"]),
        ("day < '2000-01-01'", vec!["id=2"]),
    ] {
        let sql = format!("SELECT id FROM silver.widened WHERE {filter} ORDER BY id");
        assert_eq!(rows(&engine, &sql).await, ids, "{filter}");
    }

    // Before the widening, the table reads in its narrow types.
    let first = collect(&engine, "SELECT * FROM silver.widened VERSION AS OF 0")
        .await
        .unwrap_or_else(|error| panic!("version 0 should read: {error}"));
    let id = first[0].schema().field_with_name("id").unwrap().clone();
    assert_eq!(id.data_type(), &DataType::Int32);
}
