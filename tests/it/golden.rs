//! Delta Lake's golden tables, written by Spark: each valid table read with `delta_scan` must
//! give the rows of its `expected/` parquet files, and the same rows for a filter whether the
//! Parquet reader or an operator above it applies it; each invalid one must be refused with an
//! error that names the table and the cause.

use std::collections::BTreeSet;

use arrow::array::{ArrayRef, DurationMicrosecondArray, RecordBatch, Scalar};
use arrow::compute::cast;
use arrow::compute::kernels::numeric::add;
use arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use futures::TryStreamExt;
use lakeshore_tests::{
    assert_names_table_and_cause, assert_same_rows, canonical_rows, collect, delta_scan_sql,
    engine_without_lake, golden_root, golden_table, query_error, read_parquet,
};

/// One test per valid golden table, and the list of their names.
macro_rules! valid_golden_tables {
    ($($test:ident: $name:literal,)*) => {
        const VALID_TABLES: &[&str] = &[$($name),*];
        $(
            #[tokio::test(flavor = "multi_thread")]
            async fn $test() {
                assert_reads_expected_rows($name).await;
            }
        )*
    };
}

/// One test per invalid golden table (no `expected/`), with words of which the error must
/// hold at least one, and the list of their names.
macro_rules! invalid_golden_tables {
    ($($test:ident: $name:literal => [$($cause:literal),+],)*) => {
        const INVALID_TABLES: &[&str] = &[$($name),*];
        $(
            #[tokio::test(flavor = "multi_thread")]
            async fn $test() {
                assert_refused($name, &[$($cause),+]).await;
            }
        )*
    };
}

valid_golden_tables! {
    decimal_decode_bug_124: "124-decimal-decode-bug",
    basic_decimal_table: "basic-decimal-table",
    basic_with_inserts_deletes_checkpoint: "basic-with-inserts-deletes-checkpoint",
    basic_with_inserts_overwrite_restore: "basic-with-inserts-overwrite-restore",
    basic_with_inserts_updates: "basic-with-inserts-updates",
    basic_with_vacuum_protocol_check_feature: "basic-with-vacuum-protocol-check-feature",
    corrupted_last_checkpoint_kernel: "corrupted-last-checkpoint-kernel",
    data_reader_array_primitives: "data-reader-array-primitives",
    data_reader_date_types_america: "data-reader-date-types-America",
    data_reader_date_types_etc: "data-reader-date-types-Etc",
    data_reader_date_types_jst: "data-reader-date-types-Jst",
    data_reader_date_types_pst: "data-reader-date-types-Pst",
    data_reader_date_types_utc: "data-reader-date-types-utc",
    data_reader_escaped_chars: "data-reader-escaped-chars",
    data_reader_nested_struct: "data-reader-nested-struct",
    data_reader_nullable_field_invalid_schema_key: "data-reader-nullable-field-invalid-schema-key",
    data_reader_partition_values: "data-reader-partition-values",
    data_reader_primitives: "data-reader-primitives",
    data_reader_timestamp_ntz: "data-reader-timestamp_ntz",
    data_reader_timestamp_ntz_id_mode: "data-reader-timestamp_ntz-id-mode",
    data_skipping_basic_stats_all_types: "data-skipping-basic-stats-all-types",
    data_skipping_basic_stats_all_types_checkpoint: "data-skipping-basic-stats-all-types-checkpoint",
    data_skipping_basic_stats_all_types_columnmapping_name: "data-skipping-basic-stats-all-types-columnmapping-name",
    data_skipping_change_stats_collected_across_versions: "data-skipping-change-stats-collected-across-versions",
    data_skipping_partition_and_data_column: "data-skipping-partition-and-data-column",
    deltalog_getchanges: "deltalog-getChanges",
    dv_partitioned_with_checkpoint: "dv-partitioned-with-checkpoint",
    kernel_timestamp_pst: "kernel-timestamp-pst",
    kernel_timestamp_timestamp_micros: "kernel-timestamp-timestamp_micros",
    kernel_timestamp_timestamp_millis: "kernel-timestamp-timestamp_millis",
    log_replay_dv_key_cases: "log-replay-dv-key-cases",
    log_replay_latest_metadata_protocol: "log-replay-latest-metadata-protocol",
    log_replay_special_characters: "log-replay-special-characters",
    only_checkpoint_files: "only-checkpoint-files",
    parquet_all_types: "parquet-all-types",
    parquet_all_types_legacy_format: "parquet-all-types-legacy-format",
    parquet_decimal_dictionaries: "parquet-decimal-dictionaries",
    parquet_decimal_type: "parquet-decimal-type",
    snapshot_data0: "snapshot-data0",
    snapshot_data1: "snapshot-data1",
    snapshot_data2: "snapshot-data2",
    snapshot_data3: "snapshot-data3",
    snapshot_repartitioned: "snapshot-repartitioned",
    table_with_columnmapping_mode_name: "table-with-columnmapping-mode-name",
    time_travel_partition_changes_a: "time-travel-partition-changes-a",
    time_travel_partition_changes_b: "time-travel-partition-changes-b",
    time_travel_schema_changes_a: "time-travel-schema-changes-a",
    time_travel_start: "time-travel-start",
    time_travel_start_start20: "time-travel-start-start20",
    v2_checkpoint_json: "v2-checkpoint-json",
}

invalid_golden_tables! {
    // minReaderVersion 99.
    deltalog_invalid_protocol_version: "deltalog-invalid-protocol-version"
        => ["protocol", "reader version", "99"],
    deltalog_state_reconstruction_from_checkpoint_missing_metadata:
        "deltalog-state-reconstruction-from-checkpoint-missing-metadata" => ["metadata"],
    deltalog_state_reconstruction_from_checkpoint_missing_protocol:
        "deltalog-state-reconstruction-from-checkpoint-missing-protocol" => ["protocol"],
    deltalog_state_reconstruction_without_metadata:
        "deltalog-state-reconstruction-without-metadata" => ["metadata"],
    // Only parquet files, no _delta_log folder.
    no_delta_log_folder: "no-delta-log-folder"
        => ["_delta_log", "not a delta table", "no delta table"],
}

/// A golden table added to shared/ must get a test here (and a removed one must leave).
#[test]
fn every_golden_table_has_a_test() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(golden_root())
        .expect("the golden tables folder should be readable")
        .map(|entry| {
            let entry = entry.expect("a golden table folder should be readable");
            entry.file_name().to_string_lossy().into_owned()
        })
        .collect();
    let tested: BTreeSet<String> = VALID_TABLES
        .iter()
        .chain(INVALID_TABLES)
        .map(|name| name.to_string())
        .collect();
    assert_eq!(
        tested, on_disk,
        "tested golden tables, then those in shared/"
    );
}

async fn assert_reads_expected_rows(name: &str) {
    let engine = engine_without_lake().await;
    let sql = delta_scan_sql(&golden_table(name));
    let stream = engine
        .execute(&sql)
        .await
        .unwrap_or_else(|error| panic!("{name}: `{sql}` failed: {error}"));
    let our_schema = stream.schema();
    let our_batches: Vec<RecordBatch> = stream
        .try_collect()
        .await
        .unwrap_or_else(|error| panic!("{name}: reading the rows of `{sql}` failed: {error}"));

    let (expected_schema, expected_batches) = read_expected(name).await;
    let expected_batches = match name {
        "data-reader-partition-values" => partition_timestamps_read_as_utc(expected_batches),
        _ => expected_batches,
    };
    assert_same_rows(
        name,
        (&our_schema, &our_batches),
        (&expected_schema, &expected_batches),
    );

    // `count(*)` may be answered from the log's statistics, without reading a row: it must
    // still agree (deleted rows and all).
    let count_sql = sql.replace("SELECT *", "SELECT count(*) AS n");
    let counted = collect(&engine, &count_sql)
        .await
        .unwrap_or_else(|error| panic!("{name}: `{count_sql}` failed: {error}"));
    let expected_rows: usize = expected_batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(
        canonical_rows(&counted),
        vec![format!("n={expected_rows}")],
        "{name}: count(*)"
    );
}

/// The rows Spark recorded in `NAME/expected/` (every parquet file in it).
pub(crate) async fn read_expected(name: &str) -> (SchemaRef, Vec<RecordBatch>) {
    read_parquet(&golden_root().join(name).join("expected")).await
}

/// The known trap of `data-reader-partition-values`. Its partition column `as_timestamp` holds
/// `2021-09-08 11:11:11`, with no time zone. The Delta protocol ("Partition Value
/// Serialization") says such a value is in the time zone of the system that wrote the table;
/// that zone is recorded nowhere in the table. Spark wrote it, and its expected rows, in an
/// America/Los_Angeles session (the generator's `Timestamp.valueOf("2021-09-08 11:11:11")`),
/// so they hold 18:11:11 UTC. A reader cannot know that zone: Lakeshore, like delta-rs and
/// delta-kernel-rs, reads zone-less partition timestamps as UTC, the same on every machine.
/// So the rows it must give are the expected ones moved back by Los Angeles' offset on that
/// date (UTC-7, daylight time).
fn partition_timestamps_read_as_utc(batches: Vec<RecordBatch>) -> Vec<RecordBatch> {
    const WRITER_UTC_OFFSET_MICROS: i64 = -7 * 3600 * 1_000_000;
    let utc = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let writer_offset = Scalar::new(DurationMicrosecondArray::from(vec![
        WRITER_UTC_OFFSET_MICROS,
    ]));
    batches
        .into_iter()
        .map(|batch| {
            let schema = batch.schema();
            let index = schema
                .index_of("as_timestamp")
                .expect("data-reader-partition-values has an as_timestamp column");
            let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
            let instants = cast(&columns[index], &utc).expect("as_timestamp is a timestamp");
            // 18:11:11 UTC + (-7 h): the wall-clock time the writer recorded, read as UTC.
            let shifted = add(&instants, &writer_offset).expect("a timestamp plus a duration");
            columns[index] = cast(&shifted, schema.field(index).data_type())
                .expect("a timestamp casts back to its own type");
            RecordBatch::try_new(schema, columns).expect("the same schema, shifted values")
        })
        .collect()
}

async fn assert_refused(name: &str, causes: &[&str]) {
    let engine = engine_without_lake().await;
    let table = golden_table(name);
    let message = query_error(&engine, &delta_scan_sql(&table)).await;
    assert_names_table_and_cause(&message, &table, causes);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_limit_on_partition_columns_alone_returns_that_many_rows() {
    // Reading only partition columns is answered from the log, a path where delta-rs once let
    // DataFusion drop the LIMIT and every row came back.
    let engine = engine_without_lake().await;
    let table = delta_scan_sql(&golden_table("basic-decimal-table"));
    let all = collect(&engine, &table.replace("SELECT *", "SELECT part"))
        .await
        .unwrap();
    assert!(
        canonical_rows(&all).len() > 2,
        "the table has more rows than the limit"
    );
    for limit in [1, 2] {
        let sql = format!("{} LIMIT {limit}", table.replace("SELECT *", "SELECT part"));
        let batches = collect(&engine, &sql).await.unwrap();
        assert_eq!(canonical_rows(&batches).len(), limit, "{sql}");
    }
}

/// A literal for row `row` of `column` that SQL reads back as the same value, for the types a
/// lookup compares; `None` for the others and for nulls.
fn sql_literal(column: &ArrayRef, row: usize) -> Option<String> {
    if column.is_null(row) {
        return None;
    }
    let shown = arrow::util::display::array_value_to_string(column, row).ok()?;
    let cast_to = match column.data_type() {
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => {
            return Some(format!("'{}'", shown.replace('\'', "''")));
        }
        DataType::Date32 => return Some(format!("DATE '{shown}'")),
        DataType::Int8 => "TINYINT".to_string(),
        DataType::Int16 => "SMALLINT".to_string(),
        DataType::Int32 => "INT".to_string(),
        DataType::Int64 => "BIGINT".to_string(),
        DataType::Float32 => "REAL".to_string(),
        DataType::Float64 => "DOUBLE".to_string(),
        DataType::Decimal128(precision, scale) => format!("DECIMAL({precision}, {scale})"),
        DataType::Boolean => "BOOLEAN".to_string(),
        _ => return None,
    };
    Some(format!("CAST('{shown}' AS {cast_to})"))
}

/// Row filters inside the Parquet reader (`pushdown_filters`, and what Lakeshore turns on for
/// lookups) must keep the rows a filter above the reader keeps, whatever the table's features:
/// column mapping, partitions, deletion vectors, changed schemas. For every valid golden table,
/// each column of a type a lookup compares is filtered by the value of its first row, both ways.
#[tokio::test(flavor = "multi_thread")]
async fn row_filters_in_the_reader_keep_the_rows_a_filter_above_it_keeps() {
    let above = engine_without_lake().await;
    let inside = engine_without_lake().await;
    collect(
        &inside,
        "SET datafusion.execution.parquet.pushdown_filters = true",
    )
    .await
    .unwrap();
    let mut compared = 0;
    for name in VALID_TABLES {
        let sql = delta_scan_sql(&golden_table(name));
        let Ok(batches) = collect(&above, &format!("{sql} LIMIT 1")).await else {
            panic!("{name}: `{sql}` failed");
        };
        let Some(first) = batches.iter().find(|batch| batch.num_rows() > 0) else {
            continue;
        };
        for (field, column) in first.schema().fields().iter().zip(first.columns()) {
            let Some(literal) = sql_literal(column, 0) else {
                continue;
            };
            let query = format!("{sql} WHERE \"{}\" = {literal}", field.name());
            let mut answers = Vec::new();
            for engine in [&above, &inside] {
                let batches = collect(engine, &query)
                    .await
                    .unwrap_or_else(|error| panic!("{name}: `{query}` failed: {error}"));
                answers.push(canonical_rows(&batches));
            }
            assert!(
                !answers[0].is_empty(),
                "{name}: `{query}` keeps its own first row"
            );
            assert_eq!(answers[1], answers[0], "{name}: `{query}`");
            compared += 1;
        }
    }
    assert!(compared > 100, "only {compared} filters compared");
}
