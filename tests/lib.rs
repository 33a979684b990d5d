//! The shared harness of Lakeshore's integration tests: where the reference tables are, how to
//! write test tables with an independent Delta writer, and how to compare query results.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use futures::TryStreamExt;
use lakeshore_engine::{Engine, EngineConfig, EngineError};

mod cluster;
mod compare;
pub mod emulators;
mod fault_proxy;

pub use cluster::LoopbackCluster;
pub use compare::assert_same_rows;
pub use emulators::{Emulator, RESTRICTED_TABLE, StoreKind};
pub use fault_proxy::FaultProxy;

/// The workspace root (the clone of the repository).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives inside the workspace")
        .to_path_buf()
}

/// Delta's golden tables: `<workspace>/../shared/delta-golden`, laid beside every clone.
pub fn golden_root() -> PathBuf {
    let root = workspace_root().join("../shared/delta-golden");
    std::fs::canonicalize(&root).unwrap_or_else(|error| {
        panic!("the golden tables should be at {}: {error}", root.display())
    })
}

/// The Delta table of the golden table `name`.
pub fn golden_table(name: &str) -> PathBuf {
    golden_root().join(name).join("delta")
}

/// The Python that has the test packages (`deltalake`, `pyarrow`), named by `LAKESHORE_PYTHON`.
pub fn python() -> Command {
    match std::env::var_os("LAKESHORE_PYTHON") {
        Some(python) => Command::new(python),
        None => panic!(
            "LAKESHORE_PYTHON is not set: run the tests with `bash scripts/test.sh`, which sets up \
             the Python packages they need"
        ),
    }
}

/// Runs `tests/fixtures/delta_writer.py SUBCOMMAND PATH [COUNT]` (see the script for each
/// subcommand), failing the test if it fails.
pub fn delta_writer(subcommand: &str, path: &Path, count: Option<usize>) {
    let count = count.map(|count| count.to_string());
    let mut args = vec![OsStr::new(subcommand), path.as_os_str()];
    args.extend(count.as_deref().map(OsStr::new));
    run_delta_writer(&args);
}

/// Runs `tests/fixtures/delta_writer.py ARGS...`, failing the test if it fails.
pub fn run_delta_writer(args: &[&OsStr]) {
    let script = workspace_root().join("tests/fixtures/delta_writer.py");
    let mut command = python();
    command.arg(&script).args(args);
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("cannot start {command:?}: {error}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Writes the small test lake (bronze, silver, gold and a root-level table) into `dir`.
pub fn write_lake(dir: &Path) {
    delta_writer("lake", dir, None);
}

/// `delta_writer.py SUBCOMMAND URI [COUNT] --storage-options JSON`: [`delta_writer`] for a
/// table or lake in an object store (an [`Emulator`]'s `uri(...)` and `storage_options()`).
pub fn delta_writer_at(
    subcommand: &str,
    uri: &str,
    storage_options: &HashMap<String, String>,
    count: Option<usize>,
) {
    let count = count.map(|count| count.to_string());
    let mut args = vec![subcommand, uri];
    args.extend(count.as_deref());
    run_delta_writer_at(&args, storage_options);
}

/// [`write_lake`] at an object-store URI.
pub fn write_lake_at(uri: &str, storage_options: &HashMap<String, String>) {
    delta_writer_at("lake", uri, storage_options, None);
}

/// Copies the local table folder `source` (a golden table Spark wrote) to `uri`, file by file.
pub fn upload_table_at(source: &Path, uri: &str, storage_options: &HashMap<String, String>) {
    let source = source.to_str().expect("test paths are UTF-8");
    run_delta_writer_at(&["upload", uri, source], storage_options);
}

/// [`read_as_written`] for a table at an object-store URI: its rows as the `deltalake` Python
/// package reads them there.
pub async fn read_as_written_at(
    uri: &str,
    storage_options: &HashMap<String, String>,
) -> (SchemaRef, Vec<RecordBatch>) {
    let out = tempfile::Builder::new()
        .suffix(".parquet")
        .tempfile()
        .expect("a temporary file for the exported rows");
    let out_path = out.path().to_str().expect("temporary paths are UTF-8");
    run_delta_writer_at(&["export", uri, out_path], storage_options);
    read_parquet(out.path()).await
}

fn run_delta_writer_at(args: &[&str], storage_options: &HashMap<String, String>) {
    let options = serde_json::to_string(storage_options).expect("a map of strings is JSON");
    let mut args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    args.extend([OsStr::new("--storage-options"), OsStr::new(&options)]);
    run_delta_writer(&args);
}

/// Every row of the parquet file or folder at `path`, with its schema.
pub async fn read_parquet(path: &Path) -> (SchemaRef, Vec<RecordBatch>) {
    let shown = path.display();
    let location = path.to_str().expect("test paths are UTF-8");
    let frame = SessionContext::new()
        .read_parquet(location, ParquetReadOptions::default())
        .await
        .unwrap_or_else(|error| panic!("cannot read the parquet at {shown}: {error}"));
    let schema = frame.schema().inner().clone();
    let batches = frame
        .collect()
        .await
        .unwrap_or_else(|error| panic!("cannot read the parquet at {shown}: {error}"));
    (schema, batches)
}

/// The rows of the Delta table at `table` as the `deltalake` Python package reads them: an
/// independent reader to compare ours with.
pub async fn read_as_written(table: &Path) -> (SchemaRef, Vec<RecordBatch>) {
    let out = tempfile::Builder::new()
        .suffix(".parquet")
        .tempfile()
        .expect("a temporary file for the exported rows");
    run_delta_writer(&[
        OsStr::new("export"),
        table.as_os_str(),
        out.path().as_os_str(),
    ]);
    read_parquet(out.path()).await
}

/// Writes an orders table with six versions of history at `table` (see `delta_writer.py
/// history`: create, append, delete, update, merge, overwrite), recording its change data feed
/// when `change_feed` is true.
pub fn write_history_table(table: &Path, change_feed: bool) {
    let mut args = vec![OsStr::new("history"), table.as_os_str()];
    if change_feed {
        args.push(OsStr::new("--cdf"));
    }
    run_delta_writer(&args);
}

/// [`write_history_table`] at an object-store URI.
pub fn write_history_table_at(
    uri: &str,
    storage_options: &HashMap<String, String>,
    change_feed: bool,
) {
    let mut args = vec!["history", uri];
    if change_feed {
        args.push("--cdf");
    }
    run_delta_writer_at(&args, storage_options);
}

/// The rows of `version` of the Delta table at `table`, as the `deltalake` Python package reads
/// them.
pub async fn read_version_as_written(table: &Path, version: u64) -> (SchemaRef, Vec<RecordBatch>) {
    let out = tempfile::Builder::new()
        .suffix(".parquet")
        .tempfile()
        .expect("a temporary file for the exported rows");
    let version = version.to_string();
    run_delta_writer(&[
        OsStr::new("export-version"),
        table.as_os_str(),
        OsStr::new(&version),
        out.path().as_os_str(),
    ]);
    read_parquet(out.path()).await
}

/// The change data feed of versions `start` to `end` of the table at `table`, as the `deltalake`
/// Python package reads it.
pub async fn read_changes_as_written(
    table: &Path,
    start: u64,
    end: u64,
) -> (SchemaRef, Vec<RecordBatch>) {
    let out = tempfile::Builder::new()
        .suffix(".parquet")
        .tempfile()
        .expect("a temporary file for the exported changes");
    let (start, end) = (start.to_string(), end.to_string());
    run_delta_writer(&[
        OsStr::new("export-changes"),
        table.as_os_str(),
        OsStr::new(&start),
        OsStr::new(&end),
        out.path().as_os_str(),
    ]);
    read_parquet(out.path()).await
}

/// What the `deltalake` Python package reads from a table's log: its latest version and its
/// partition columns.
#[derive(Debug, PartialEq)]
pub struct DeltaFacts {
    pub version: i64,
    pub partition_columns: Vec<String>,
}

/// The [`DeltaFacts`] of the table at `table`, as an independent reader sees them.
pub fn delta_facts(table: &Path) -> DeltaFacts {
    let out = tempfile::NamedTempFile::new().expect("a temporary file for the facts");
    run_delta_writer(&[
        OsStr::new("facts"),
        table.as_os_str(),
        out.path().as_os_str(),
    ]);
    let text = std::fs::read_to_string(out.path()).expect("the facts were written");
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} in the facts: {text}"))
            .to_string()
    };
    DeltaFacts {
        version: field("version").parse().expect("a version number"),
        partition_columns: field("partition_columns")
            .split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect(),
    }
}

/// An engine with an empty catalog: only `delta_scan(...)` and plain SQL.
pub async fn engine_without_lake() -> Engine {
    Engine::open(EngineConfig::default())
        .await
        .unwrap_or_else(|error| panic!("an engine without a lake should open: {error}"))
}

/// The SQL that reads the Delta table at `table` by path.
pub fn delta_scan_sql(table: &Path) -> String {
    let path = table.display().to_string().replace('\'', "''");
    format!("SELECT * FROM delta_scan('{path}')")
}

/// Runs `sql` and gathers every batch of its result.
pub async fn collect(engine: &Engine, sql: &str) -> Result<Vec<RecordBatch>, EngineError> {
    let stream = engine.execute(sql).await?;
    Ok(stream.try_collect::<Vec<_>>().await?)
}

/// Runs `sql`, which must fail, and returns the error message a user would see.
pub async fn query_error(engine: &Engine, sql: &str) -> String {
    match collect(engine, sql).await {
        Ok(batches) => {
            let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
            panic!("`{sql}` should fail, but it returned {rows} rows")
        }
        Err(error) => error.to_string(),
    }
}

/// Checks that `message` names the table at `table` and says why it failed: it must contain
/// the path and, elsewhere than in the path, at least one of `causes` (compared without case).
/// It must hold no stack trace: users see this message.
pub fn assert_names_table_and_cause(message: &str, table: &Path, causes: &[&str]) {
    let path = table.display().to_string();
    assert!(
        message.contains(&path),
        "the error should name the table {path}, but it says: {message}"
    );
    // The golden tables' names hold words such as "metadata": look for the cause elsewhere.
    let without_path = message.replace(&path, "").to_lowercase();
    assert!(
        causes
            .iter()
            .any(|cause| without_path.contains(&cause.to_lowercase())),
        "the error should give the cause (one of {causes:?}), but it says: {message}"
    );
    assert!(
        !without_path.contains("backtrace") && !without_path.contains(".cargo/registry"),
        "the error should hold no stack trace, but it says: {message}"
    );
    // The libraries it passed through (delta-rs, the kernel, arrow) name themselves; a user
    // reads what failed instead.
    for prefix in [
        "Kernel error:",
        "Generic delta kernel error:",
        "Arrow error:",
        "Json error:",
    ] {
        assert!(
            !message.contains(prefix),
            "the error should say what failed without \"{prefix}\", but it says: {message}"
        );
    }
}

/// Each row as one line, `name=value` for every column in the order of their names, values in
/// Arrow's display format (nested values included); the lines sorted. Two results with equal
/// canonical rows hold the same multiset of rows, whatever their column or row order.
pub fn canonical_rows(batches: &[RecordBatch]) -> Vec<String> {
    let options = FormatOptions::new().with_null("NULL");
    let mut rows = Vec::new();
    for batch in batches {
        let schema = batch.schema();
        let mut columns: Vec<(&str, ArrayFormatter)> = schema
            .fields()
            .iter()
            .zip(batch.columns())
            .map(|(field, column)| {
                let formatter =
                    ArrayFormatter::try_new(column.as_ref(), &options).unwrap_or_else(|error| {
                        panic!("cannot display column {}: {error}", field.name())
                    });
                (field.name().as_str(), formatter)
            })
            .collect();
        columns.sort_by(|a, b| a.0.cmp(b.0));
        for row in 0..batch.num_rows() {
            let values: Vec<String> = columns
                .iter()
                .map(|(name, formatter)| format!("{name}={}", formatter.value(row)))
                .collect();
            rows.push(values.join(" | "));
        }
    }
    rows.sort();
    rows
}

/// A number a fuzz run takes from the environment variable `name` (how many statements or
/// requests, the seed), or `default`.
pub fn fuzz_setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}
