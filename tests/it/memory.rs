//! The memory limit: operators that can spill go to disk past it, a query that cannot fit fails
//! with a clear error, and the engine goes on.

use lakeshore_engine::{Engine, EngineConfig};
use lakeshore_tests::{canonical_rows, collect, query_error, write_lake};

use crate::lake_catalog::rows;

async fn engine_with_memory(bytes: usize, spill_dir: &std::path::Path) -> Engine {
    let config = EngineConfig {
        memory_limit: Some(bytes),
        spill_dir: Some(spill_dir.to_path_buf()),
        target_partitions: 2,
        ..EngineConfig::default()
    };
    Engine::open(config)
        .await
        .unwrap_or_else(|error| panic!("the engine should open: {error}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sort_larger_than_the_limit_spills_and_answers_correctly() {
    let spill = tempfile::tempdir().unwrap();
    let engine = engine_with_memory(32 * 1024 * 1024, spill.path()).await;
    // A full sort of 6 million shuffled keys (48 MB of keys, over the 32 MB limit), then the median by rank.
    let sql = "SELECT k FROM (SELECT k, row_number() OVER (ORDER BY k) AS r \
               FROM (SELECT (value * 7919) % 6000011 AS k FROM range(6000000))) WHERE r = 3000000";
    let rows = canonical_rows(
        &collect(&engine, sql)
            .await
            .unwrap_or_else(|e| panic!("{e}")),
    );
    // The same query with no limit is the reference.
    let unlimited = Engine::open(EngineConfig::default()).await.unwrap();
    let reference = canonical_rows(&collect(&unlimited, sql).await.unwrap());
    assert_eq!(rows, reference);
    assert_eq!(rows.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_query_that_cannot_fit_fails_clearly_and_the_engine_goes_on() {
    let spill = tempfile::tempdir().unwrap();
    let engine = engine_with_memory(1024 * 1024, spill.path()).await;
    let message = query_error(
        &engine,
        "SELECT array_length(array_agg(value)) FROM range(3000000)",
    )
    .await;
    assert!(message.contains("resources exhausted"), "{message}");
    assert_eq!(
        canonical_rows(&collect(&engine, "SELECT 1 + 1 AS two").await.unwrap()),
        vec!["two=2"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_join_larger_than_the_limit_runs_again_with_joins_that_spill() {
    let spill = tempfile::tempdir().unwrap();
    let engine = engine_with_memory(32 * 1024 * 1024, spill.path()).await;
    // A hash join holds its whole build side (3 million keys and their hash table, well over
    // the 32 MB limit) and cannot spill; the sort-merge join it is run again with can.
    let sql = "SELECT count(*) AS n, sum(a.k) AS total \
               FROM (SELECT (value * 7919) % 3000017 AS k FROM range(3000000)) AS a \
               JOIN (SELECT value AS k FROM range(3000000)) AS b ON a.k = b.k";
    let rows = canonical_rows(
        &collect(&engine, sql)
            .await
            .unwrap_or_else(|e| panic!("the join should spill and answer: {e}")),
    );
    let unlimited = Engine::open(EngineConfig::default()).await.unwrap();
    assert_eq!(
        rows,
        canonical_rows(&collect(&unlimited, sql).await.unwrap())
    );
    // The engine still prefers hash joins for the next query.
    let plan = canonical_rows(&collect(&engine, &format!("EXPLAIN {sql}")).await.unwrap());
    assert!(plan.join("\n").contains("HashJoinExec"), "{plan:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_data_cache_stays_within_the_limit_and_gives_way_to_queries() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let spill = tempfile::tempdir().unwrap();
    let limit = 16 * 1024 * 1024;
    let engine = Engine::open(EngineConfig {
        memory_limit: Some(limit),
        spill_dir: Some(spill.path().to_path_buf()),
        target_partitions: 2,
        ..EngineConfig::for_lake(lake.path().display().to_string())
    })
    .await
    .unwrap_or_else(|error| panic!("the lake should open: {error}"));
    // Four files of 150,000 hashes (about 5 MB each, which do not compress): more data than
    // the limit, in column chunks smaller than it. The cache's own budget is far larger.
    for (statement, first) in [
        ("CREATE TABLE gold.hashes AS", 0),
        ("INSERT INTO gold.hashes", 1),
    ]
    .into_iter()
    .chain((2..4).map(|file| ("INSERT INTO gold.hashes", file)))
    {
        let from = first * 150_000;
        rows(
            &engine,
            &format!(
                "{statement} SELECT value AS n, md5(CAST(value AS VARCHAR)) AS h \
                 FROM generate_series({from}, {} - 1)",
                from + 150_000
            ),
        )
        .await;
    }
    let scan = "SELECT count(*) AS n, sum(length(h)) AS chars FROM gold.hashes";
    let answer = rows(&engine, scan).await;
    assert_eq!(answer, vec!["chars=19200000 | n=600000"]);
    let held = engine.data_cache_held();
    assert!(
        held > 0 && held <= limit as u64,
        "the cache holds {held} bytes under a limit of {limit}"
    );
    assert_eq!(engine.memory_reserved(), 0, "no query runs");

    // A query that cannot spill and needs more than the limit leaves beside the cache.
    let gather = "SELECT array_length(array_agg(value)) AS n FROM range(1000000)";
    assert_eq!(rows(&engine, gather).await, vec!["n=1000000"]);
    assert!(
        engine.data_cache_held() < held,
        "the cache gave memory to the query: {} bytes of {held} left",
        engine.data_cache_held()
    );
    assert_eq!(rows(&engine, scan).await, answer);
}
