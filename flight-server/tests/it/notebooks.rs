//! The notebooks in `examples/`, run top to bottom with nbclient (a real Jupyter kernel) against
//! a server on the Electroniz demo lake, as a notebook user runs them. Any error cell fails.

use std::path::PathBuf;

use lakeshore_engine::StorageOptions;
use lakeshore_tests::workspace_root;

use crate::harness::{TestServer, python_scripts};

fn notebooks() -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(workspace_root().join("examples"))
        .expect("the examples folder")
        .map(|entry| entry.expect("an entry of examples/").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "ipynb"))
        .collect();
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn every_example_notebook_runs_without_an_error_cell() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("electroniz");
    let location = lake.to_str().expect("a UTF-8 temporary path");
    lakeshore_demo::create(location, &StorageOptions::default(), 1)
        .await
        .expect("the demo lake");
    let server = TestServer::start(&lake, &[]);
    let notebooks = notebooks();
    assert!(notebooks.len() >= 2, "examples/ holds the notebooks");

    let output = lakeshore_tests::python()
        .arg(python_scripts().join("run_notebooks.py"))
        .arg(server.uri())
        .args(&notebooks)
        .output()
        .expect("run the notebooks");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "a notebook failed:\n{stdout}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&output.stderr),
        server.log().join("\n")
    );
    assert_eq!(
        stdout
            .lines()
            .filter(|line| line.ends_with("code cells ran"))
            .count(),
        notebooks.len(),
        "{stdout}"
    );
}
