//! The Electroniz demo lake: `lakeshore demo create DIR` and `--demo [DIR]`.

use std::path::Path;

use crate::support::{Lake, lakeshore, run};

/// The table folders of one layer of a lake on disk, sorted.
fn folders(layer: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(layer)
        .expect("list a layer")
        .map(|entry| {
            entry
                .expect("a folder entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

const GOLD_TABLES: &str = "SELECT table_name FROM information_schema.tables \
                           WHERE table_schema = 'gold' ORDER BY table_name";

#[test]
fn demo_create_writes_a_lake_that_demo_opens() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let demo = dir.path().join("electroniz");
    let demo_path = demo.to_str().expect("UTF-8 path");
    let output = run(&mut lakeshore(&["demo", "create", demo_path])).ok();
    assert!(
        output.contains("Created") && output.contains("--demo"),
        "{output}"
    );

    let gold = folders(&demo.join("gold"));
    assert!(!gold.is_empty(), "no gold tables in {}", demo.display());
    let listed = run(&mut lakeshore(&[
        "--demo",
        demo_path,
        "--format",
        "csv",
        "-c",
        GOLD_TABLES,
    ]))
    .ok();
    let listed: Vec<&str> = listed.lines().skip(1).collect();
    assert_eq!(listed, gold);

    // Creating it again over a lake is refused, naming the folder.
    let again = run(&mut lakeshore(&["demo", "create", demo_path])).failed();
    assert!(again.stderr.contains("electroniz"), "{again:#?}");
}

#[test]
fn demo_creates_the_lake_when_missing_and_reuses_it_after() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let demo = dir.path().join("fresh");
    let demo_path = demo.to_str().expect("UTF-8 path");
    let first = run(&mut lakeshore(&[
        "--demo",
        demo_path,
        "--format",
        "csv",
        "-c",
        GOLD_TABLES,
    ]))
    .ok();
    assert!(demo.join("gold").is_dir());
    let second = run(&mut lakeshore(&[
        "--demo",
        demo_path,
        "--format",
        "csv",
        "-c",
        GOLD_TABLES,
    ]))
    .ok();
    assert_eq!(first, second);
}

#[test]
fn demo_and_an_explicit_lake_do_not_mix() {
    let lake = Lake::silver();
    let result = run(&mut lakeshore(&[
        "--lake",
        lake.root(),
        "--demo",
        "x",
        "-c",
        "SELECT 1",
    ]));
    assert_eq!(result.code, Some(2), "{result:#?}");
    assert!(result.stderr.contains("--demo"), "{result:#?}");
}
