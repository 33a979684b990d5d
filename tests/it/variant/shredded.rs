//! Shredded variants (`variantShredding-preview`) read as exactly the JSON text of the values
//! written: the same rows written unshredded are the independent check. One table mixes an
//! unshredded file with files shredded as a number, an object (nested, with a residual
//! `value`) and a list, so `typed_value` has a different type in each file.

use std::path::Path;

use arrow::datatypes::{DataType, Field, Fields};
use lakeshore_engine::Engine;
use lakeshore_tests::{LoopbackCluster, engine_without_lake};

use super::shredded_table::{DataFile, Layout, Stored, write_table};
use crate::lake_catalog::rows;

/// The files of the table, each stored as it says; ids tell the files apart (0.., 10.., ...).
fn files(shredded: bool) -> Vec<DataFile> {
    let stored = |data_type: DataType| match shredded {
        true => Stored::ShreddedAs(data_type),
        false => Stored::Unshredded,
    };
    let nullable = |name: &str, data_type: DataType| Field::new(name, data_type, true);
    let object = DataType::Struct(Fields::from(vec![
        nullable("a", DataType::Int64),
        nullable("b", DataType::Utf8),
        nullable(
            "o",
            DataType::Struct(Fields::from(vec![nullable("x", DataType::Int64)])),
        ),
    ]));
    vec![
        DataFile {
            rows: vec![
                (0, Some(r#"{"a":1,"b":"one"}"#)),
                (1, Some("[1,2,3]")),
                (2, Some(r#""text""#)),
                (3, None),
            ],
            stored: Stored::Unshredded,
        },
        DataFile {
            rows: vec![
                (10, Some("42")),
                (11, Some("-7")),
                (12, Some(r#""not a number""#)),
                (13, Some("null")),
                (14, None),
            ],
            stored: stored(DataType::Int64),
        },
        DataFile {
            rows: vec![
                (20, Some(r#"{"a":2,"b":"two","o":{"x":20}}"#)),
                (21, Some(r#"{"a":3,"b":"three","extra":[1,{"y":null}]}"#)),
                (22, Some(r#"{"a":"not an int","b":"four"}"#)),
                (23, Some(r#"{"o":{"x":5,"z":true}}"#)),
                (24, Some(r#"[{"a":1}]"#)),
                (25, Some("{}")),
                (26, None),
                (27, Some("null")),
                // Fields the shredding leaves out, which a cast to it would change.
                (28, Some(r#"{"a":4,"f":3.5,"t":true}"#)),
            ],
            stored: stored(object),
        },
        DataFile {
            rows: vec![
                (30, Some(r#"["x","y"]"#)),
                (31, Some(r#"["x",1]"#)),
                (32, Some("[]")),
                (33, Some(r#""not a list""#)),
                (34, Some(r#"[["nested"]]"#)),
            ],
            stored: stored(DataType::List(nullable("element", DataType::Utf8).into())),
        },
    ]
}

/// The table with shredded files, and the same rows all unshredded.
fn shredded_and_plain(dir: &Path) -> (String, String) {
    let shredded = dir.join("shredded");
    write_table(
        &shredded,
        Layout::TopLevel,
        &["variantShredding-preview"],
        &files(true),
    );
    let plain = dir.join("plain");
    write_table(&plain, Layout::TopLevel, &[], &files(false));
    (path_of(&shredded), path_of(&plain))
}

fn path_of(table: &Path) -> String {
    table.display().to_string()
}

/// `rows` of `sql` over the shredded table and over the plain one (`{t}` in `sql`), which must
/// be the same.
async fn same_rows(engine: &Engine, sql: &str, shredded: &str, plain: &str) -> Vec<String> {
    let ours = rows(engine, &sql.replace("{t}", shredded)).await;
    let expected = rows(engine, &sql.replace("{t}", plain)).await;
    assert_eq!(ours, expected, "{sql}");
    ours
}

#[tokio::test(flavor = "multi_thread")]
async fn shredded_variants_read_as_the_json_text_of_the_values_written() {
    let dir = tempfile::tempdir().unwrap();
    let (shredded, plain) = shredded_and_plain(dir.path());
    let engine = engine_without_lake().await;

    let all = same_rows(
        &engine,
        "SELECT id, v FROM delta_scan('{t}')",
        &shredded,
        &plain,
    )
    .await;
    assert_eq!(all.len(), 23);
    // The values as written, whatever stored them: typed_value, value, or both.
    for expected in [
        r#"id=10 | v=42"#,
        r#"id=12 | v="not a number""#,
        "id=13 | v=null",
        "id=14 | v=NULL",
        r#"id=20 | v={"a":2,"b":"two","o":{"x":20}}"#,
        r#"id=21 | v={"a":3,"b":"three","extra":[1,{"y":null}]}"#,
        r#"id=22 | v={"a":"not an int","b":"four"}"#,
        r#"id=23 | v={"o":{"x":5,"z":true}}"#,
        r#"id=24 | v=[{"a":1}]"#,
        r#"id=28 | v={"a":4,"f":3.5,"t":true}"#,
        r#"id=31 | v=["x",1]"#,
        r#"id=34 | v=[["nested"]]"#,
    ] {
        assert!(
            all.iter().any(|row| row == expected),
            "{expected} in {all:?}"
        );
    }

    // The variant alone, and every column.
    same_rows(
        &engine,
        "SELECT v FROM delta_scan('{t}')",
        &shredded,
        &plain,
    )
    .await;
    same_rows(
        &engine,
        "SELECT * FROM delta_scan('{t}')",
        &shredded,
        &plain,
    )
    .await;
    // Filters on the variant's JSON text, and on another column with the variant projected.
    assert_eq!(
        same_rows(
            &engine,
            r#"SELECT id FROM delta_scan('{t}') WHERE v = '{"a":2,"b":"two","o":{"x":20}}' OR v = '42'"#,
            &shredded,
            &plain
        )
        .await,
        ["id=10", "id=20"]
    );
    assert_eq!(
        same_rows(
            &engine,
            "SELECT count(*) AS n FROM delta_scan('{t}') WHERE v IS NULL",
            &shredded,
            &plain
        )
        .await,
        ["n=3"]
    );
    assert_eq!(
        same_rows(
            &engine,
            "SELECT v FROM delta_scan('{t}') WHERE id = 21",
            &shredded,
            &plain
        )
        .await,
        [r#"v={"a":3,"b":"three","extra":[1,{"y":null}]}"#]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn shredded_variants_read_the_same_in_time_travel_and_the_change_feed() {
    let dir = tempfile::tempdir().unwrap();
    let (shredded, plain) = shredded_and_plain(dir.path());
    let engine = engine_without_lake().await;
    // Version 2: the unshredded file and the one shredded as a number.
    let old = same_rows(
        &engine,
        "SELECT id, v FROM delta_scan('{t}', version => 2)",
        &shredded,
        &plain,
    )
    .await;
    assert_eq!(old.len(), 9);
    // The files added in versions 3 and 4: shredded as an object and as a list.
    let changes = same_rows(
        &engine,
        "SELECT id, v, _change_type, _commit_version FROM table_changes('{t}', 3, 4)",
        &shredded,
        &plain,
    )
    .await;
    assert_eq!(changes.len(), 14);
    assert!(
        changes.contains(
            &r#"_change_type=insert | _commit_version=3 | id=21 | v={"a":3,"b":"three","extra":[1,{"y":null}]}"#
                .to_string()
        ),
        "{changes:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn shredded_variants_read_on_a_cluster_as_embedded() {
    let dir = tempfile::tempdir().unwrap();
    let (shredded, _) = shredded_and_plain(dir.path());
    let cluster = LoopbackCluster::start(2).await;
    let coordinator = cluster.coordinator(None).await;
    let embedded = engine_without_lake().await;
    let scan = format!("SELECT id, v FROM delta_scan('{shredded}')");
    let plan = rows(&coordinator, &format!("EXPLAIN {scan}"))
        .await
        .join("\n");
    assert!(plan.contains("PortableDeltaScanExec"), "{plan}");
    let counted = format!(
        "SELECT v, count(*) AS n FROM delta_scan('{shredded}') WHERE v IS NOT NULL GROUP BY v"
    );
    for sql in [scan, counted] {
        assert_eq!(
            rows(&coordinator, &sql).await,
            rows(&embedded, &sql).await,
            "{sql}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn variants_shredded_inside_structs_and_lists_read_as_the_values_written() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_without_lake().await;
    for (layout, name, reads) in [
        (
            Layout::InStruct,
            "in_struct",
            [
                "SELECT id, s FROM delta_scan('{t}')",
                "SELECT id, s.v AS v FROM delta_scan('{t}')",
            ],
        ),
        (
            Layout::InList,
            "in_list",
            [
                "SELECT id, l FROM delta_scan('{t}')",
                "SELECT id, l[1] AS v FROM delta_scan('{t}')",
            ],
        ),
    ] {
        let shredded = dir.path().join(format!("{name}_shredded"));
        write_table(
            &shredded,
            layout,
            &["variantShredding-preview"],
            &files(true),
        );
        let plain = dir.path().join(format!("{name}_plain"));
        write_table(&plain, layout, &[], &files(false));
        let (shredded, plain) = (path_of(&shredded), path_of(&plain));
        for sql in reads {
            let read = same_rows(&engine, sql, &shredded, &plain).await;
            assert_eq!(read.len(), 23, "{sql}");
            // The shredded values are there, not only the residual `value`.
            let row = read.iter().find(|row| row.starts_with("id=10 |"));
            assert!(row.is_some_and(|row| row.contains("42")), "{sql}: {read:?}");
        }
    }
}
