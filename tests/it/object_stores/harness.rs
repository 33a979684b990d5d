//! The emulator harness itself, checked with the `deltalake` Python package alone (no engine):
//! a lake written through each kind of store reads back with its rows, a wrong credential is
//! refused, and a stopped store stops answering.

use std::net::TcpStream;
use std::time::Instant;

use arrow::array::RecordBatch;
use lakeshore_tests::{
    Emulator, StoreKind, delta_writer_at, python, read_as_written_at, workspace_root, write_lake_at,
};

/// The number of rows of the table at `uri`, as deltalake reads it there.
async fn rows_at(emulator: &Emulator, uri: &str) -> usize {
    let (_, batches) = read_as_written_at(uri, &emulator.storage_options()).await;
    batches.iter().map(RecordBatch::num_rows).sum()
}

async fn lake_reads_back(kind: StoreKind) {
    let started = Instant::now();
    let emulator = Emulator::start(kind);
    eprintln!("{kind:?} emulator ready in {:?}", started.elapsed());
    write_lake_at(&emulator.uri("lake"), &emulator.storage_options());

    // bronze/raw_orders: 3 + 2 + 2 rows; silver/sales/store_orders (partitioned): 6 rows.
    assert_eq!(
        rows_at(&emulator, &emulator.uri("lake/bronze/raw_orders")).await,
        7
    );
    let partitioned = emulator.uri("lake/silver/sales/store_orders");
    assert_eq!(rows_at(&emulator, &partitioned).await, 6);
}

/// Merge, update and delete (the copy-free rewrites), then a checkpoint whose files are
/// rewritten and deleted by plain file calls: more of each store's API than appends.
async fn history_and_checkpoint_work(kind: StoreKind) {
    let emulator = Emulator::start(kind);
    let options = emulator.storage_options();
    let history = emulator.uri("history");
    delta_writer_at("history", &history, &options, None);
    assert_eq!(
        rows_at(&emulator, &history).await,
        3,
        "ids 10-12 after the overwrite"
    );

    let commits = emulator.uri("commits");
    delta_writer_at("commits", &commits, &options, Some(3));
    delta_writer_at("split-checkpoint", &commits, &options, None);
    assert_eq!(rows_at(&emulator, &commits).await, 3);
}

/// The wrong credential of [`Emulator::wrong_storage_options`] makes deltalake fail (its
/// message is deltalake's, not ours to check: the engine's tests check theirs).
fn wrong_credentials_are_refused(kind: StoreKind) {
    let emulator = Emulator::start(kind);
    let table = emulator.uri("orders");
    delta_writer_at("create", &table, &emulator.storage_options(), Some(2));

    let options = serde_json::to_string(&emulator.wrong_storage_options()).unwrap();
    let out = tempfile::NamedTempFile::new().unwrap();
    let output = python()
        .arg(workspace_root().join("tests/fixtures/delta_writer.py"))
        .args(["export", &table])
        .arg(out.path())
        .args(["--storage-options", &options])
        .output()
        .expect("python runs");
    assert!(
        !output.status.success(),
        "{kind:?}: reading with the wrong credential should fail"
    );
    assert!(
        !emulator.secrets().is_empty(),
        "{kind:?}: leak checks need the secrets"
    );
}

fn stopped_store_stops_answering(kind: StoreKind) {
    let mut emulator = Emulator::start(kind);
    let address = emulator
        .endpoint()
        .trim_start_matches("http://")
        .to_string();
    assert!(
        TcpStream::connect(&address).is_ok(),
        "{kind:?} should listen"
    );
    emulator.stop();
    assert!(
        TcpStream::connect(&address).is_err(),
        "{kind:?} should not listen after stop()"
    );
}

/// One test per kind and check, so a failure names its store.
macro_rules! per_kind {
    ($($name:ident: $kind:expr),* $(,)?) => {
        mod lake_reads_back {
            use super::*;
            $(#[tokio::test(flavor = "multi_thread")]
            async fn $name() { lake_reads_back($kind).await })*
        }
        mod history_and_checkpoint_work {
            use super::*;
            $(#[tokio::test(flavor = "multi_thread")]
            async fn $name() { history_and_checkpoint_work($kind).await })*
        }
        mod wrong_credentials_are_refused {
            use super::*;
            $(#[test]
            fn $name() { wrong_credentials_are_refused($kind) })*
        }
        mod stopped_store_stops_answering {
            use super::*;
            $(#[test]
            fn $name() { stopped_store_stops_answering($kind) })*
        }
    };
}

per_kind! {
    azurite: StoreKind::Azurite,
    azurite_sas: StoreKind::AzuriteSas,
    azurite_abfss: StoreKind::AzuriteAbfss,
    moto: StoreKind::Moto,
    gcs: StoreKind::Gcs,
}
