//! The Electroniz demo lake: `lakeshore demo create LOCATION` and `--demo [LOCATION]`, in a
//! local folder and in an object store (moto's S3 server).

use std::path::Path;

use lakeshore_tests::{Emulator, StoreKind};

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

#[test]
fn demo_create_writes_a_lake_in_s3_that_demo_opens() {
    let emulator = Emulator::start(StoreKind::Moto);
    let uri = emulator.uri("electroniz");
    let mut options = Vec::new();
    for (key, value) in emulator.storage_options() {
        options.push("--storage-option".to_string());
        options.push(format!("{key}={value}"));
    }
    // The options go last, after the subcommand too, as a user adds them to a command.
    let with_options = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(options.iter().map(String::as_str));
        lakeshore(&all)
    };

    let created = run(&mut with_options(&["demo", "create", &uri])).ok();
    assert!(
        created.contains("Created") && created.contains(&format!("--demo {uri}")),
        "{created}"
    );

    // The gold tables of a demo lake created in a local folder.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let local = dir.path().join("electroniz");
    run(&mut lakeshore(&[
        "demo",
        "create",
        local.to_str().expect("UTF-8 path"),
    ]))
    .ok();
    let gold = folders(&local.join("gold"));

    let listed = run(&mut with_options(&[
        "--demo",
        &uri,
        "--format",
        "csv",
        "-c",
        GOLD_TABLES,
    ]))
    .ok();
    let listed: Vec<&str> = listed.lines().skip(1).collect();
    assert_eq!(listed, gold);

    // Creating it again over a lake is refused, naming the URI.
    let again = run(&mut with_options(&["demo", "create", &uri])).failed();
    assert!(
        again.stderr.contains(&uri) && again.stderr.contains("not empty"),
        "{again:#?}"
    );
    for secret in emulator.secrets() {
        for output in [&created, &again.stderr] {
            assert!(!output.contains(&secret), "a secret is in the output");
        }
    }
}
