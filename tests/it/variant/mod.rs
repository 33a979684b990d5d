//! Tables Spark 4 writes with `VARIANT` columns: read as JSON text, in scans and in the change
//! feed; shredded ones (`shredded.rs`) too.

mod shredded;
mod shredded_table;

use std::path::{Path, PathBuf};

use lakeshore_tests::{engine_without_lake, workspace_root};

use crate::lake_catalog::rows;

/// `delta_scan('PATH')`, to read the table at `table` by path.
fn by_path(table: &Path) -> String {
    format!("delta_scan('{}')", table.display())
}

/// The Spark-written table with variant columns (see tests/fixtures/spark/README.md).
fn spark_variant_table() -> PathBuf {
    workspace_root().join("tests/fixtures/spark/unshredded-variant")
}

#[tokio::test(flavor = "multi_thread")]
async fn spark_variant_columns_read_as_their_json_text() {
    let engine = engine_without_lake().await;
    let table = by_path(&spark_variant_table());
    // Spark wrote parse_json('{"key": <id>}') into every variant, at every depth.
    assert_eq!(
        rows(
            &engine,
            &format!(
                "SELECT v, array_of_variants, struct_of_variants, map_of_variants, \
                 array_of_struct_of_variants, struct_of_array_of_variants \
                 FROM {table} WHERE id = 2"
            )
        )
        .await,
        // Columns in name order, as the harness prints rows.
        [concat!(
            r#"array_of_struct_of_variants=[{v: {"key":2}}, {v: NULL}, NULL, {v: {"key":2}}, NULL, {v: {"key":2}}]"#,
            r#" | array_of_variants=[{"key":2}, NULL, {"key":2}, NULL, {"key":2}]"#,
            r#" | map_of_variants={2: {"key":2}, nullKey: NULL}"#,
            r#" | struct_of_array_of_variants={v: [NULL, {"key":2}]}"#,
            r#" | struct_of_variants={v: {"key":2}}"#,
            r#" | v={"key":2}"#,
        )]
    );
    // A filter on the JSON text finds the row (it is applied above delta-rs' scan).
    assert_eq!(
        rows(
            &engine,
            &format!(
                r#"SELECT id, struct_of_variants['v'] AS inner FROM {table} WHERE v = '{{"key":42}}'"#
            )
        )
        .await,
        [r#"id=42 | inner={"key":42}"#]
    );
    assert_eq!(
        rows(&engine, &format!("SELECT count(*) AS n FROM {table}")).await,
        ["n=102"]
    );
}

/// Makes `table` a folder with the data files of the Spark variant table and an empty log, and
/// returns that table's folder, to copy commits from.
fn with_data_files_of_spark_table(table: &Path) -> PathBuf {
    let source = spark_variant_table();
    std::fs::create_dir_all(table.join("_delta_log")).unwrap();
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, table.join(path.file_name().unwrap())).unwrap();
        }
    }
    source
}

/// A copy of the Spark variant table whose protocol also lists `feature`, with the checkpoint
/// removed so the edited commit is what a reader sees.
fn with_reader_feature(dir: &Path, feature: &str) -> PathBuf {
    let table = dir.join(feature);
    let source = with_data_files_of_spark_table(&table);
    for version in 0..=2 {
        let name = format!("_delta_log/{version:020}.json");
        let commit = std::fs::read_to_string(source.join(&name)).unwrap();
        let commit = commit.replace(
            r#""readerFeatures":["variantType-preview"],"writerFeatures":["variantType-preview","#,
            &format!(
                r#""readerFeatures":["variantType-preview","{feature}"],"writerFeatures":["variantType-preview","{feature}","#
            ),
        );
        std::fs::write(table.join(&name), commit).unwrap();
    }
    table
}

#[tokio::test(flavor = "multi_thread")]
async fn a_variant_table_listing_variant_shredding_reads_as_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_without_lake().await;
    let columns = "id, v, array_of_variants, struct_of_variants, map_of_variants, \
                   array_of_struct_of_variants, struct_of_array_of_variants";
    let expected = rows(
        &engine,
        &format!("SELECT {columns} FROM {}", by_path(&spark_variant_table())),
    )
    .await;
    assert_eq!(expected.len(), 102);
    // Spark stored these variants unshredded, nested ones included: a table may list the
    // feature before any file is shredded.
    for feature in ["variantShredding-preview", "variantShredding"] {
        let table = with_reader_feature(dir.path(), feature);
        assert_eq!(
            rows(
                &engine,
                &format!("SELECT {columns} FROM {}", by_path(&table))
            )
            .await,
            expected,
            "{feature}"
        );
    }
}

/// A copy of the Spark variant table that records its changes from version 3 on, with one
/// commit after that (version 4) adding a copy of the file holding the row with id 1.
fn variant_table_with_change_feed(dir: &Path) -> PathBuf {
    let table = dir.join("variant-changes");
    let source = with_data_files_of_spark_table(&table);
    for version in 0..=2 {
        let name = format!("_delta_log/{version:020}.json");
        std::fs::copy(source.join(&name), table.join(&name)).unwrap();
    }
    let first = std::fs::read_to_string(source.join(format!("_delta_log/{:020}.json", 0))).unwrap();
    let mut metadata: serde_json::Value = first
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .find(|action| action.get("metaData").is_some())
        .unwrap();
    metadata["metaData"]["configuration"]["delta.enableChangeDataFeed"] = "true".into();
    std::fs::write(
        table.join(format!("_delta_log/{:020}.json", 3)),
        format!("{metadata}\n"),
    )
    .unwrap();
    let copied = "part-00000-copy-of-id-1.snappy.parquet";
    std::fs::copy(
        source.join("part-00000-1e14ba22-3114-46d1-96fb-48b4912507ce-c000.snappy.parquet"),
        table.join(copied),
    )
    .unwrap();
    let add = serde_json::json!({"add": {
        "path": copied, "partitionValues": {}, "size": 5072,
        "modificationTime": 1723768499000_i64, "dataChange": true,
    }});
    std::fs::write(
        table.join(format!("_delta_log/{:020}.json", 4)),
        format!("{add}\n"),
    )
    .unwrap();
    table
}

#[tokio::test(flavor = "multi_thread")]
async fn the_change_feed_of_a_variant_table_shows_variants_as_json_text() {
    let dir = tempfile::tempdir().unwrap();
    let table = variant_table_with_change_feed(dir.path());
    let engine = engine_without_lake().await;
    assert_eq!(
        rows(
            &engine,
            &format!(
                "SELECT id, v, struct_of_variants, _change_type, _commit_version \
                 FROM table_changes('{}', 4)",
                table.display()
            )
        )
        .await,
        [concat!(
            r#"_change_type=insert | _commit_version=4 | id=1 | struct_of_variants={v: {"key":1}}"#,
            r#" | v={"key":1}"#
        )]
    );
    // A filter on the variant's JSON text, as in a scan of the table.
    assert_eq!(
        rows(
            &engine,
            &format!(
                r#"SELECT id FROM table_changes('{}', 4) WHERE v = '{{"key":1}}'"#,
                table.display()
            )
        )
        .await,
        ["id=1"]
    );
}
