//! Checkpoint layouts no Python writer produces: a multi-part checkpoint, built from a classic
//! one, must read as the same rows; one with a part missing must be refused, never half read.

use std::path::Path;

use lakeshore_tests::{
    assert_same_rows, collect, delta_scan_sql, delta_writer, engine_without_lake, query_error,
    read_as_written,
};

/// A table of 12 one-row commits whose checkpoint (at version 11) is split in two parts, with
/// the commits it covers removed; and the rows it held before the split, as deltalake read them.
async fn multi_part_table(
    dir: &Path,
) -> (arrow::datatypes::SchemaRef, Vec<arrow::array::RecordBatch>) {
    delta_writer("commits", dir, Some(12));
    let expected = read_as_written(dir).await;
    delta_writer("split-checkpoint", dir, None);
    expected
}

#[tokio::test(flavor = "multi_thread")]
async fn a_multi_part_checkpoint_reads_as_the_rows_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("t");
    let (expected_schema, expected) = multi_part_table(&table).await;
    let engine = engine_without_lake().await;
    let sql = delta_scan_sql(&table);
    let ours = collect(&engine, &sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    assert_same_rows(
        &sql,
        (&ours[0].schema(), &ours),
        (&expected_schema, &expected),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_multi_part_checkpoint_missing_a_part_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("t");
    multi_part_table(&table).await;
    std::fs::remove_file(
        table.join("_delta_log/00000000000000000011.checkpoint.0000000002.0000000002.parquet"),
    )
    .unwrap();
    let engine = engine_without_lake().await;
    let message = query_error(&engine, &delta_scan_sql(&table)).await;
    assert!(message.contains(&table.display().to_string()), "{message}");
    assert!(message.to_lowercase().contains("checkpoint"), "{message}");
    // In words, without the prefixes of the libraries it passed through.
    assert!(!message.contains("Kernel error"), "{message}");
}
