//! Damaged Delta tables: each must give an error that names the table and the cause, never a
//! panic and never wrong rows, both through `delta_scan('...')` and as a table of a lake. A
//! damaged table must not keep the rest of the lake from working.

use std::fs;
use std::path::{Path, PathBuf};

use lakeshore_engine::{Engine, EngineConfig};
use lakeshore_tests::{
    assert_names_table_and_cause, canonical_rows, collect, delta_scan_sql, delta_writer,
    engine_without_lake, query_error,
};
use tempfile::TempDir;

/// A lake in a temporary folder: `silver.t`, the table a test damages, beside a healthy
/// `silver.good` with two rows.
struct Lake {
    dir: TempDir,
}

impl Lake {
    fn new() -> Self {
        let lake = Self {
            dir: TempDir::new().expect("a temporary folder"),
        };
        delta_writer("create", &lake.root().join("silver/good"), Some(2));
        lake
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("lake")
    }

    /// The table the tests damage, `silver.t`.
    fn table(&self) -> PathBuf {
        self.root().join("silver/t")
    }

    fn commit(&self, version: u64) -> PathBuf {
        self.table().join(format!("_delta_log/{version:020}.json"))
    }

    fn checkpoint(&self, version: u64) -> PathBuf {
        self.table()
            .join(format!("_delta_log/{version:020}.checkpoint.parquet"))
    }

    /// `silver.t` as an orders table with `rows` rows, written in one commit.
    fn create_table(&self, rows: usize) {
        delta_writer("create", &self.table(), Some(rows));
    }

    /// `silver.t` as versions 0, 1 and 2: two rows, then one more row twice.
    fn create_table_with_three_versions(&self) {
        self.create_table(2);
        for _ in 0..2 {
            delta_writer("append", &self.table(), Some(1));
        }
    }

    /// `silver.t` made of three one-row commits, with a checkpoint of version 2.
    fn create_checkpointed_table(&self) {
        delta_writer("commits", &self.table(), Some(3));
    }
}

fn remove(path: &Path) {
    fs::remove_file(path)
        .unwrap_or_else(|error| panic!("cannot remove {}: {error}", path.display()));
}

fn bad_json_in_a_commit() -> Lake {
    let lake = Lake::new();
    lake.create_table_with_three_versions();
    fs::write(lake.commit(2), "{\"add\": {\"path\": \"part-0000").expect("rewrite a commit");
    lake
}

fn missing_commit_in_the_middle() -> Lake {
    let lake = Lake::new();
    lake.create_table_with_three_versions();
    remove(&lake.commit(1));
    lake
}

/// The checkpoint `_last_checkpoint` names is gone, and so are the commits before it (as after
/// a log clean-up): the table cannot be rebuilt.
fn missing_checkpoint_after_log_cleanup() -> Lake {
    let lake = Lake::new();
    lake.create_checkpointed_table();
    remove(&lake.checkpoint(2));
    remove(&lake.commit(0));
    remove(&lake.commit(1));
    lake
}

/// The table's only commit, without its `protocol` and `metaData` actions.
fn commit_without_protocol_and_metadata() -> Lake {
    let lake = Lake::new();
    lake.create_table(2);
    let commit = fs::read_to_string(lake.commit(0)).expect("read the first commit");
    let kept: Vec<&str> = commit
        .lines()
        .filter(|line| !line.starts_with("{\"protocol\"") && !line.starts_with("{\"metaData\""))
        .collect();
    assert_eq!(
        kept.len() + 2,
        commit.lines().count(),
        "deltalake writes one action a line"
    );
    fs::write(lake.commit(0), kept.join("\n")).expect("rewrite the first commit");
    lake
}

/// The table's protocol asks for a reader feature no reader knows: reading it could give wrong
/// rows, so it must be refused with the feature named.
fn unknown_reader_feature() -> Lake {
    let lake = Lake::new();
    lake.create_table(2);
    let commit = fs::read_to_string(lake.commit(0)).expect("read the first commit");
    let protocol = r#"{"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["lakeshoreFutureFeature"],"writerFeatures":["lakeshoreFutureFeature"]}}"#;
    let rewritten: Vec<&str> = commit
        .lines()
        .map(|line| {
            if line.starts_with("{\"protocol\"") {
                protocol
            } else {
                line
            }
        })
        .collect();
    fs::write(lake.commit(0), rewritten.join("\n")).expect("rewrite the first commit");
    lake
}

fn truncated_data_file() -> Lake {
    let lake = Lake::new();
    lake.create_table(3);
    let data_file = fs::read_dir(lake.table())
        .expect("list the table")
        .map(|entry| entry.expect("a table entry").path())
        .find(|path| path.extension().is_some_and(|ext| ext == "parquet"))
        .expect("the table has a data file");
    let length = fs::metadata(&data_file)
        .expect("the data file's size")
        .len();
    let file = fs::OpenOptions::new()
        .write(true)
        .open(&data_file)
        .expect("open the data file");
    file.set_len(length / 2).expect("truncate the data file");
    lake
}

/// Two tests for each damage: the damaged table read by path, and read as `silver.t`.
macro_rules! damaged_table_tests {
    ($($damage:ident => [$($cause:literal),+],)*) => {
        $(
            mod $damage {
                #[tokio::test(flavor = "multi_thread")]
                async fn via_delta_scan() {
                    super::assert_refused_by_path(super::$damage(), &[$($cause),+]).await;
                }

                #[tokio::test(flavor = "multi_thread")]
                async fn via_lake() {
                    super::assert_refused_in_lake(super::$damage(), &[$($cause),+]).await;
                }
            }
        )*
    };
}

damaged_table_tests! {
    bad_json_in_a_commit => ["json", "parse"],
    missing_commit_in_the_middle => ["missing", "contiguous", "gap", "00000000000000000001"],
    missing_checkpoint_after_log_cleanup => ["checkpoint"],
    commit_without_protocol_and_metadata => ["protocol", "metadata"],
    truncated_data_file => ["parquet", "eof", "corrupt", "truncat", "footer"],
    unknown_reader_feature => ["lakeshoreFutureFeature"],
}

async fn assert_refused_by_path(lake: Lake, causes: &[&str]) {
    let engine = engine_without_lake().await;
    let message = query_error(&engine, &delta_scan_sql(&lake.table())).await;
    assert_names_table_and_cause(&message, &lake.table(), causes);
}

async fn assert_refused_in_lake(lake: Lake, causes: &[&str]) {
    let engine = open_lake(&lake).await;
    let message = query_error(&engine, "SELECT * FROM silver.t").await;
    assert_names_table_and_cause(&message, &lake.table(), causes);
    assert_healthy_table_still_reads(&engine).await;
}

async fn open_lake(lake: &Lake) -> Engine {
    let root = lake.root().display().to_string();
    Engine::open(EngineConfig::for_lake(&root))
        .await
        .unwrap_or_else(|error| panic!("a lake with one damaged table should still open: {error}"))
}

async fn assert_healthy_table_still_reads(engine: &Engine) {
    let batches = collect(engine, "SELECT count(*) AS n FROM silver.good")
        .await
        .unwrap_or_else(|error| panic!("silver.good should still read: {error}"));
    assert_eq!(canonical_rows(&batches), ["n=2"]);
    // Listings go on past the damaged table (a BI tool browsing the lake): the other tables'
    // columns are listed.
    let sql = "SELECT column_name FROM information_schema.columns \
               WHERE table_schema = 'silver' AND table_name = 'good' AND column_name = 'id'";
    let batches = collect(engine, sql)
        .await
        .unwrap_or_else(|error| panic!("information_schema.columns should still list: {error}"));
    assert_eq!(canonical_rows(&batches), ["column_name=id"]);
}

/// `_last_checkpoint` names a checkpoint that is gone, but every commit is still there: a
/// reader may rebuild the table from the commits (then it must give every row) or refuse it
/// with a clear error; it must not give a partial table.
#[tokio::test(flavor = "multi_thread")]
async fn last_checkpoint_naming_a_missing_checkpoint() {
    let lake = Lake::new();
    lake.create_checkpointed_table();
    remove(&lake.checkpoint(2));

    let engine = engine_without_lake().await;
    match collect(&engine, &delta_scan_sql(&lake.table())).await {
        Ok(batches) => assert_eq!(
            canonical_rows(&batches),
            [
                "amount=1.5 | id=1 | item=item-1",
                "amount=3.0 | id=2 | item=item-2",
                "amount=4.5 | id=3 | item=item-3",
            ]
        ),
        Err(error) => {
            assert_names_table_and_cause(&error.to_string(), &lake.table(), &["checkpoint"])
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn path_that_does_not_exist() {
    let lake = Lake::new();
    let engine = engine_without_lake().await;
    let message = query_error(&engine, &delta_scan_sql(&lake.table())).await;
    assert_names_table_and_cause(
        &message,
        &lake.table(),
        &["not exist", "not found", "no such", "not a delta table"],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn folder_without_delta_log() {
    let lake = Lake::new();
    fs::create_dir_all(lake.table()).expect("create the table folder");
    fs::write(lake.table().join("data.csv"), "id\n1\n").expect("write a plain file");
    let engine = engine_without_lake().await;
    let message = query_error(&engine, &delta_scan_sql(&lake.table())).await;
    assert_names_table_and_cause(
        &message,
        &lake.table(),
        &["_delta_log", "not a delta table", "no delta table"],
    );
}
