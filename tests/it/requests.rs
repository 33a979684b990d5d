//! What a query costs in object-store requests. On a remote store each request costs 10-100
//! ms, so these counts are the speed of a query over a lake in S3, ADLS or GCS. The lake here is
//! on local disk, where the same requests go through the same counted store.

use std::path::Path;

use lakeshore_engine::{
    AccessConfig, Engine, EngineConfig, EngineError, Layers, Principal, RequestCounts, Role,
};
use lakeshore_tests::{collect, delta_writer, write_lake};

use crate::lake_catalog::{open_lake_without_data_cache, rows};

/// Answered from the log alone: the row counts of its `add` actions (data reads are measured
/// apart, below).
const QUERY: &str = "SELECT count(*) AS n FROM silver.orders";

/// A lake whose `silver.orders` has 100 one-row commits, a checkpoint of the last of them, and
/// two commits after the checkpoint (versions 0 to 101, 102 rows).
fn lake_with_a_long_log() -> tempfile::TempDir {
    let lake = tempfile::tempdir().unwrap();
    let table = lake.path().join("silver/orders");
    delta_writer("commits", &table, Some(100));
    delta_writer("append", &table, Some(1));
    delta_writer("append", &table, Some(1));
    lake
}

async fn open(lake: &Path) -> Engine {
    Engine::open(EngineConfig::for_lake(lake.to_str().unwrap()))
        .await
        .unwrap()
}

/// What a repeated query costs when nothing changed: one listing of the log.
pub(crate) fn one_listing() -> RequestCounts {
    RequestCounts {
        list: 1,
        ..RequestCounts::default()
    }
}

/// The requests `sql` makes, with its answer.
async fn cost(engine: &Engine, sql: &str) -> (RequestCounts, String) {
    let watch = engine.watch_requests();
    let answer = rows(engine, sql).await.join("\n");
    (watch.elapsed(), answer)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_query_reads_the_checkpoint_and_the_commits_after_it_only() {
    let lake = lake_with_a_long_log();
    let engine = open(lake.path()).await;
    let (first, answer) = cost(&engine, QUERY).await;
    assert_eq!(answer, "n=102");
    // `_last_checkpoint`, the two commits after the checkpoint, and the checkpoint as Parquet
    // is read (its footer's length, the footer, three column chunks): 8 reads, each once,
    // never one of the 99 commits the checkpoint stands for, and no data file. One listing of
    // the log is delta-rs', one ours.
    assert!(first.get <= 8, "first query: {first}");
    assert!(first.list <= 2, "first query: {first}");
    assert_eq!(first.put + first.delete, 0, "first query: {first}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repeated_query_when_nothing_changed_costs_one_listing_of_the_log() {
    let lake = lake_with_a_long_log();
    let engine = open(lake.path()).await;
    cost(&engine, QUERY).await;
    let (again, answer) = cost(&engine, QUERY).await;
    assert_eq!(answer, "n=102");
    assert_eq!(again, one_listing(), "repeated query: {again}");

    // A commit by another writer is seen, and costs more than the listing.
    delta_writer("append", &lake.path().join("silver/orders"), Some(1));
    let (after_commit, answer) = cost(&engine, QUERY).await;
    assert_eq!(answer, "n=103");
    assert!(after_commit.get >= 1, "after a commit: {after_commit}");
}

/// A server's user has every statement checked by the access policy, which reads the
/// definitions of the views it names. A query naming lake tables only, or nothing, reads none,
/// so it must not list the catalog folder: on an object store that is a round trip per query.
#[tokio::test(flavor = "multi_thread")]
async fn a_users_query_of_lake_tables_lists_no_view_definitions() {
    let lake = lake_with_a_long_log();
    let mut config = EngineConfig::for_lake(lake.path().to_str().unwrap());
    config.access = Some(AccessConfig::default());
    let server = Engine::open(config).await.unwrap();
    let analyst = server.as_user(Principal {
        name: "alice".to_string(),
        role: Role::Reader,
        layers: Layers::parse("silver"),
    });
    cost(&analyst, QUERY).await;
    let (again, answer) = cost(&analyst, QUERY).await;
    assert_eq!(answer, "n=102");
    assert_eq!(again, one_listing(), "repeated query: {again}");
    let (select_1, _) = cost(&analyst, "SELECT 1").await;
    assert_eq!(select_1, RequestCounts::default(), "SELECT 1: {select_1}");

    // Views another process defines meanwhile are still seen, and checked.
    let outside = tempfile::tempdir().unwrap();
    delta_writer("create", outside.path(), Some(1));
    let other_process = open(lake.path()).await;
    for sql in [
        "CREATE VIEW silver.all_orders AS SELECT * FROM silver.orders".to_string(),
        format!(
            "CREATE VIEW silver.outside AS SELECT * FROM delta_scan('{}')",
            outside.path().display()
        ),
    ] {
        collect(&other_process, &sql).await.unwrap();
    }
    let (_, answer) = cost(&analyst, "SELECT count(*) AS n FROM silver.all_orders").await;
    assert_eq!(answer, "n=102");
    match collect(&analyst, "SELECT * FROM silver.outside").await {
        Err(EngineError::PermissionDenied(_)) => {}
        other => panic!("a view reading outside the lake: expected a refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn within_max_staleness_a_repeated_query_makes_no_request_at_all() {
    let lake = lake_with_a_long_log();
    let engine = open(lake.path()).await;
    rows(&engine, "SET lakeshore.max_staleness = '1h'").await;
    cost(&engine, QUERY).await;
    let (again, answer) = cost(&engine, QUERY).await;
    assert_eq!(answer, "n=102");
    assert_eq!(
        again,
        RequestCounts::default(),
        "within max_staleness: {again}"
    );

    // Back to always fresh: a commit made meanwhile is seen by the next query.
    delta_writer("append", &lake.path().join("silver/orders"), Some(1));
    let (stale, answer) = cost(&engine, QUERY).await;
    assert_eq!(
        (stale.total(), answer.as_str()),
        (0, "n=102"),
        "a stale snapshot is what max_staleness allows"
    );
    rows(&engine, "SET lakeshore.max_staleness = '0'").await;
    assert_eq!(cost(&engine, QUERY).await.1, "n=103");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_max_staleness_is_refused_with_what_to_write() {
    let lake = lake_with_a_long_log();
    let engine = open(lake.path()).await;
    let error = match engine.execute("SET lakeshore.max_staleness = 'soon'").await {
        Ok(_) => panic!("a bad duration was accepted"),
        Err(error) => error.to_string(),
    };
    assert!(error.contains("'soon' is not a duration"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn explain_analyze_shows_the_requests_its_run_made() {
    let lake = lake_with_a_long_log();
    let engine = open(lake.path()).await;
    // A filter the log's statistics cannot answer: the data files are read.
    let query = "SELECT sum(amount) AS s FROM silver.orders WHERE item <> 'none'";
    let watch = engine.watch_requests();
    let explained = rows(&engine, &format!("EXPLAIN ANALYZE {query}")).await;
    let whole = watch.elapsed();
    let requests = explained
        .iter()
        .find_map(|row| {
            row.strip_suffix(" | plan_type=Object store requests")?
                .strip_prefix("plan=")
        })
        .unwrap_or_else(|| panic!("no requests row in {explained:#?}"));
    assert!(
        requests.contains("GET") && requests.contains("read"),
        "{requests}"
    );
    // The row counts the run, within what the whole statement made (planning looked at the log).
    let run_total: u64 = requests
        .split_whitespace()
        .next()
        .and_then(|total| total.parse().ok())
        .unwrap_or_else(|| panic!("no total in {requests}"));
    assert!(
        run_total > 0 && run_total <= whole.total(),
        "{requests} vs {whole}"
    );
    let plain = rows(&engine, &format!("EXPLAIN {query}")).await;
    assert!(
        plain
            .iter()
            .all(|row| !row.contains("Object store requests")),
        "{plain:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn parquet_footers_are_fetched_once_within_a_cache_sized_by_an_option() {
    let lake = lake_with_a_long_log();
    let engine = open_lake_without_data_cache(lake.path()).await;
    // A filter the log's statistics cannot answer: the data files are read.
    let query = "SELECT sum(amount) AS s FROM silver.orders WHERE item <> 'none'";
    let (_, answer) = cost(&engine, query).await;
    let (cached, again) = cost(&engine, query).await;
    assert_eq!(answer, again);
    // Without room for them, every file's footer is fetched again for each query.
    rows(&engine, "SET datafusion.runtime.metadata_cache_limit = '0'").await;
    cost(&engine, query).await;
    let (uncached, again) = cost(&engine, query).await;
    assert_eq!(answer, again);
    assert!(
        cached.get < uncached.get && cached.bytes_read < uncached.bytes_read,
        "with the footers cached: {cached}; without: {uncached}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_limit_without_a_filter_reads_only_the_files_it_needs() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake_without_data_cache(lake.path()).await;
    // Four files of 1,000 rows.
    rows(
        &engine,
        "CREATE TABLE gold.four AS SELECT value AS n FROM generate_series(1, 1000)",
    )
    .await;
    for first in [1001, 2001, 3001] {
        let last = first + 999;
        let insert =
            format!("INSERT INTO gold.four SELECT value FROM generate_series({first}, {last})");
        rows(&engine, &insert).await;
    }
    let smallest_file = data_files(&lake.path().join("gold/four"))
        .iter()
        .map(|file| file.metadata().unwrap().len())
        .min()
        .unwrap();
    let query = "SELECT n FROM gold.four LIMIT 5";
    // The first run reads the footers into the cache.
    cost(&engine, query).await;
    let (warm, answer) = cost(&engine, query).await;
    assert_eq!(answer.lines().count(), 5, "{answer}");
    assert!(
        warm.bytes_read < smallest_file,
        "five rows read {warm}, where one file has {smallest_file} bytes"
    );
    // One file is planned, not four: each partition of a larger scan would open one.
    let plan = rows(&engine, &format!("EXPLAIN {query}")).await.join("\n");
    assert_eq!(plan.matches(".parquet").count(), 1, "{plan}");
    // With a filter, every file may be needed: all four are read, and the answer holds.
    let (_, answer) = cost(&engine, "SELECT n FROM gold.four WHERE n > 3990 LIMIT 20").await;
    assert_eq!(answer.lines().count(), 10, "{answer}");
    // Rows skipped count towards the rows needed.
    for (offset, expected) in [(1500, 5), (3998, 2)] {
        let query = format!("SELECT n FROM gold.four LIMIT 5 OFFSET {offset}");
        let (_, answer) = cost(&engine, &query).await;
        assert_eq!(answer.lines().count(), expected, "{query}: {answer}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_limit_without_a_filter_fetches_pages_not_whole_row_groups() {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let engine = open_lake_without_data_cache(lake.path()).await;
    // About 210 MB of text before compression: many pages in each row group.
    rows(
        &engine,
        "CREATE TABLE gold.wide AS SELECT value AS n, \
         concat('row ', value, ' ', repeat('x', 200)) AS s FROM generate_series(1, 1000000)",
    )
    .await;
    let data_bytes: u64 = data_files(&lake.path().join("gold/wide"))
        .iter()
        .map(|file| file.metadata().unwrap().len())
        .sum();
    let query = "SELECT n, s FROM gold.wide LIMIT 10";
    // The first run reads the footers, and their page indexes, into the cache.
    cost(&engine, query).await;
    let (warm, answer) = cost(&engine, query).await;
    assert_eq!(answer.lines().count(), 10, "{answer}");
    assert!(
        warm.bytes_read * 5 < data_bytes,
        "ten rows read {warm}, of {data_bytes} bytes of data files"
    );
}

/// The data files of the table in `folder`.
fn data_files(folder: &Path) -> Vec<std::fs::DirEntry> {
    std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.file_name().to_string_lossy().ends_with(".parquet"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repeated_query_reads_its_data_from_memory_and_a_new_commits_file_from_the_store() {
    let lake = lake_with_a_long_log();
    let cached = open(lake.path()).await;
    let uncached = open_lake_without_data_cache(lake.path()).await;
    // A filter the log's statistics cannot answer: the data files are read.
    let query = "SELECT sum(amount) AS s, count(*) AS n FROM silver.orders WHERE item <> 'none'";
    let (first, answer) = cost(&cached, query).await;
    assert!(first.get > 0, "first query: {first}");
    let (again, same) = cost(&cached, query).await;
    assert_eq!(same, answer);
    assert_eq!(again, one_listing(), "repeated query: {again}");
    // Without the cache, the same query reads the data files again.
    cost(&uncached, query).await;
    let (uncached_again, uncached_answer) = cost(&uncached, query).await;
    assert_eq!(uncached_answer, answer);
    assert!(uncached_again.get > 0, "{uncached_again}");

    // A commit's new file is read from the store, and the answers agree.
    delta_writer("append", &lake.path().join("silver/orders"), Some(1));
    let (after_commit, cached_answer) = cost(&cached, query).await;
    let (uncached_after, uncached_answer) = cost(&uncached, query).await;
    assert_eq!(cached_answer, uncached_answer);
    assert_ne!(cached_answer, answer, "the new row counts");
    assert!(
        after_commit.get > 0 && after_commit.bytes_read < uncached_after.bytes_read,
        "with the cache: {after_commit}; without: {uncached_after}"
    );
}
