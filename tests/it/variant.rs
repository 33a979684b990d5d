//! Tables Spark 4 writes with `VARIANT` columns: read as JSON text. Reader features we cannot
//! read (shredded variants, type widening) fail with an error that names the feature.

use std::path::{Path, PathBuf};

use lakeshore_tests::{engine_without_lake, query_error, workspace_root};

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

/// A copy of the Spark variant table whose protocol also lists `feature`, with the checkpoint
/// removed so the edited commit is what a reader sees.
fn with_reader_feature(dir: &Path, feature: &str) -> PathBuf {
    let table = dir.join(feature);
    let source = spark_variant_table();
    std::fs::create_dir_all(table.join("_delta_log")).unwrap();
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, table.join(path.file_name().unwrap())).unwrap();
        }
    }
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
async fn reader_features_we_cannot_read_are_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_without_lake().await;
    for feature in [
        "variantShredding-preview",
        "typeWidening",
        "typeWidening-preview",
    ] {
        let table = with_reader_feature(dir.path(), feature);
        let message = query_error(&engine, &format!("SELECT * FROM {}", by_path(&table))).await;
        assert!(
            message.contains(feature) && message.contains(&table.display().to_string()),
            "the error should name {feature} and the table: {message}"
        );
    }
}
