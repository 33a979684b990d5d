//! Tables whose column types Spark widened (`ALTER TABLE ... CHANGE COLUMN ... TYPE`, Delta's
//! `typeWidening` feature): files written before the change keep their narrow types and read
//! as the wide ones, in data, partition values and the statistics used to skip files; the
//! same through a checkpoint (classic, or multi-part with no commit left before it), whose
//! protocol lists the feature where delta-rs would refuse it.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use arrow::datatypes::{DataType, TimeUnit};
use lakeshore_engine::Engine;
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

/// The widened table of `lake` with a checkpoint of its latest version; its folder.
fn checkpointed(lake: &Path) -> PathBuf {
    let table = lake.join("silver").join("widened");
    run_delta_writer(&[OsStr::new("checkpoint"), table.as_os_str()]);
    table
}

#[tokio::test(flavor = "multi_thread")]
async fn widened_columns_read_old_files_as_the_wide_types() {
    let lake = tempfile::tempdir().unwrap();
    let expected = write_widened_table(lake.path());
    let engine = open_lake(lake.path()).await;
    reads_in_the_wide_types(&engine, &expected).await;
    reads_in_the_narrow_types_before(&engine).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_checkpointed_widened_table_reads_the_same() {
    let lake = tempfile::tempdir().unwrap();
    let expected = write_widened_table(lake.path());
    let table = checkpointed(lake.path());
    let engine = open_lake(lake.path()).await;
    reads_in_the_wide_types(&engine, &expected).await;
    reads_in_the_narrow_types_before(&engine).await;

    // A later commit and its checkpoint, while the engine holds the table.
    let log = table.join("_delta_log");
    std::fs::write(
        log.join(format!("{:020}.json", 3)),
        r#"{"commitInfo":{"operation":"OPTIMIZE"}}"#.to_string() + "\n",
    )
    .unwrap();
    run_delta_writer(&[OsStr::new("checkpoint"), table.as_os_str()]);
    reads_in_the_wide_types(&engine, &expected).await;
    // And read afresh from that checkpoint.
    reads_in_the_wide_types(&open_lake(lake.path()).await, &expected).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_widened_table_read_only_through_a_multi_part_checkpoint_reads_the_same() {
    let lake = tempfile::tempdir().unwrap();
    let expected = write_widened_table(lake.path());
    let table = checkpointed(lake.path());
    run_delta_writer(&[OsStr::new("split-checkpoint"), table.as_os_str()]);
    let engine = open_lake(lake.path()).await;
    reads_in_the_wide_types(&engine, &expected).await;
}

/// The widened table's rows, types and filters, as `expected` holds them in the wide types.
async fn reads_in_the_wide_types(engine: &Engine, expected: &Path) {
    let ours = collect(engine, "SELECT * FROM silver.widened")
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
    let theirs = read_parquet(expected).await;
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
        assert_eq!(rows(engine, &sql).await, ids, "{filter}");
    }
}

/// Version 0, before the widening, in its narrow types.
async fn reads_in_the_narrow_types_before(engine: &Engine) {
    let first = collect(engine, "SELECT * FROM silver.widened VERSION AS OF 0")
        .await
        .unwrap_or_else(|error| panic!("version 0 should read: {error}"));
    let id = first[0].schema().field_with_name("id").unwrap().clone();
    assert_eq!(id.data_type(), &DataType::Int32);
}
