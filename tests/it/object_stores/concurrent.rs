//! Writers racing on one table in S3. A Delta commit is the creation of the next log file,
//! which is safe on S3 only with a conditional put (`If-None-Match: *`): with a plain put or a
//! rename, the second of two writers of one version silently replaces the first. Here two
//! engines and a `deltalake` process append to one table at once; every commit that reported
//! success must be in the table, and every one that failed must say why and be absent.

use std::collections::BTreeSet;

use arrow::array::{Array, Int64Array};
use lakeshore_engine::Engine;
use lakeshore_tests::{
    Emulator, StoreKind, collect, delta_writer_at, read_as_written_at, write_lake_at,
};

use super::lake::open;

/// Appends one row per id through `engine`; the ids whose INSERT reported success.
async fn insert_each(engine: &Engine, ids: std::ops::Range<i64>) -> BTreeSet<i64> {
    let mut landed = BTreeSet::new();
    for id in ids {
        let sql = format!("INSERT INTO silver.tally VALUES ({id}, 'engine', 1.0)");
        match collect(engine, &sql).await {
            Ok(_) => {
                landed.insert(id);
            }
            // A conflict is an honest answer; a lost commit is not (checked by the caller).
            Err(error) => {
                let message = error.to_string();
                assert!(
                    message.contains("tally") && message.to_lowercase().contains("conflict"),
                    "an INSERT failed without naming the table and the conflict: {message}"
                );
            }
        }
    }
    landed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_commits_to_s3_are_never_lost() {
    let emulator = Emulator::start(StoreKind::Moto);
    let options = emulator.storage_options();
    let lake = emulator.uri("lake");
    write_lake_at(&lake, &options);
    let table = emulator.uri("lake/silver/tally");
    delta_writer_at("create", &table, &options, Some(1));

    let first = open(&lake, options.clone()).await.unwrap();
    let second = open(&lake, options.clone()).await.unwrap();
    // A third, independent writer: `deltalake` appending one row per commit, in its own process.
    let python_writer = {
        let (table, options) = (table.clone(), options.clone());
        tokio::task::spawn_blocking(move || {
            for _ in 0..4 {
                delta_writer_at("append", &table, &options, Some(1));
            }
        })
    };
    let (from_first, from_second) = tokio::join!(
        insert_each(&first, 1000..1008),
        insert_each(&second, 2000..2008)
    );
    python_writer.await.expect("the deltalake writer");

    // deltalake's own reading of the table: every reported commit is there, and nothing else.
    let (_, batches) = read_as_written_at(&table, &options).await;
    let mut ids = BTreeSet::new();
    for batch in &batches {
        let column = batch
            .column_by_name("id")
            .and_then(|column| column.as_any().downcast_ref::<Int64Array>())
            .expect("an int64 id column");
        assert_eq!(column.null_count(), 0);
        ids.extend(column.values().iter().copied());
    }
    let rows: usize = batches.iter().map(|batch| batch.num_rows()).sum();
    assert_eq!(rows, ids.len(), "a row was written twice: {ids:?}");
    let engines: BTreeSet<i64> = ids.iter().copied().filter(|id| *id >= 1000).collect();
    let expected: BTreeSet<i64> = from_first.union(&from_second).copied().collect();
    assert_eq!(engines, expected, "the engines' reported commits");
    // The seed row and the four Python appends (ids below 1000, each one more than the rows
    // the writer saw).
    assert_eq!(
        ids.len() - engines.len(),
        5,
        "the deltalake commits: {ids:?}"
    );

    // One version per commit: nothing was overwritten in the log.
    let history = collect(
        &first,
        "SELECT count(*) AS n FROM delta_history('silver.tally')",
    )
    .await
    .expect("the table's history");
    let versions = lakeshore_tests::canonical_rows(&history);
    assert_eq!(versions, [format!("n={}", 5 + expected.len())]);

    // The opt-in to commits by rename is refused, not silently risked.
    let mut by_rename = options.clone();
    by_rename.insert("AWS_S3_ALLOW_UNSAFE_RENAME".to_string(), "true".to_string());
    let refused = open(&lake, by_rename)
        .await
        .err()
        .expect("a lake with commits by rename should be refused");
    assert!(
        refused.contains("aws_s3_allow_unsafe_rename") && refused.contains("conditional put"),
        "{refused}"
    );
}
