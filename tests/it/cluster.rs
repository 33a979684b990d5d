//! Lakeshore on a cluster: a coordinator and two workers on loopback. Tables with deletion
//! vectors, column mapping and partitions read exactly as the embedded engine reads them, from
//! disk and from S3 (moto), the plan shows its distributed stages, and a query that loses a
//! worker, before or while it runs, ends with an error that names it, never part of the answer.

use std::ffi::OsStr;

use arrow::array::AsArray;
use arrow::datatypes::Int64Type;
use lakeshore_engine::{Engine, EngineConfig, StorageOptions};
use lakeshore_tests::{
    Emulator, FaultProxy, LoopbackCluster, StoreKind, canonical_rows, collect, delta_scan_sql,
    delta_writer, engine_without_lake, golden_table, query_error, run_delta_writer,
    upload_table_at, write_lake,
};

async fn rows(engine: &Engine, sql: &str) -> Vec<String> {
    let batches = collect(engine, sql)
        .await
        .unwrap_or_else(|error| panic!("`{sql}` should run: {error}"));
    canonical_rows(&batches)
}

/// Golden tables with many files, so that their scans are shared between the workers.
const TABLES: &[&str] = &[
    "dv-partitioned-with-checkpoint",
    "table-with-columnmapping-mode-name",
    "data-reader-partition-values",
    "data-skipping-partition-and-data-column",
    "basic-with-inserts-deletes-checkpoint",
];

/// Every row of the table `scan` reads, each with the number of its copies: grouping makes
/// the planner share the scan out between the workers (a bare scan runs whole on the
/// coordinator), and the counts keep duplicate rows apart.
fn every_row_grouped(scan: &str) -> String {
    format!("SELECT *, count(*) AS copies FROM ({scan}) GROUP BY ALL")
}

/// The rows of `sql` on `coordinator`, after checking that its plan does send work to the
/// workers: a query that runs whole on the coordinator would prove nothing of the cluster.
async fn rows_on_the_cluster(coordinator: &Engine, sql: &str) -> Vec<String> {
    let plan = rows(coordinator, &format!("EXPLAIN {sql}"))
        .await
        .join("\n");
    assert!(
        plan.contains("DistributedExec") && plan.contains("PortableDeltaScanExec"),
        "`{sql}` should run in stages on the workers:\n{plan}"
    );
    rows(coordinator, sql).await
}

#[tokio::test(flavor = "multi_thread")]
async fn golden_tables_read_on_the_cluster_as_embedded() {
    let cluster = LoopbackCluster::start(2).await;
    let coordinator = cluster.coordinator(None).await;
    let embedded = engine_without_lake().await;
    for table in TABLES {
        let sql = every_row_grouped(&delta_scan_sql(&golden_table(table)));
        assert_eq!(
            rows_on_the_cluster(&coordinator, &sql).await,
            rows(&embedded, &sql).await,
            "{table}: `{sql}` on the cluster"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_change_feed_reads_on_the_cluster_as_embedded() {
    let dir = tempfile::tempdir().unwrap();
    // Updates, deletes and a merge recorded in the feed; and partitions whose folder names are
    // escaped (`city=New%20York`), which delta-rs' own feed plan finds only as Lakeshore fixes it.
    let orders = dir.path().join("orders");
    run_delta_writer(&[
        OsStr::new("history"),
        orders.as_os_str(),
        OsStr::new("--cdf"),
    ]);
    let cities = dir.path().join("cities");
    delta_writer("escaped-partitions", &cities, None);
    let cluster = LoopbackCluster::start(2).await;
    let coordinator = cluster.coordinator(None).await;
    let embedded = engine_without_lake().await;
    for table in [&orders, &cities] {
        let sql = every_row_grouped(&format!(
            "SELECT * FROM table_changes('{}', 0)",
            table.display()
        ));
        let plan = rows(&coordinator, &format!("EXPLAIN {sql}"))
            .await
            .join("\n");
        assert!(
            plan.contains("DistributedExec"),
            "`{sql}` should run in stages on the workers:\n{plan}"
        );
        let ours = rows(&coordinator, &sql).await;
        assert!(ours.len() > 3, "{sql}: {ours:?}");
        assert_eq!(ours, rows(&embedded, &sql).await, "`{sql}` on the cluster");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn explain_shows_the_stages_the_workers_run() {
    let cluster = LoopbackCluster::start(2).await;
    let coordinator = cluster.coordinator(None).await;
    let path = golden_table("dv-partitioned-with-checkpoint");
    let path = path.display();
    let sql = format!("EXPLAIN SELECT part, count(*) AS n FROM delta_scan('{path}') GROUP BY part");
    let plan = rows(&coordinator, &sql).await.join("\n");
    assert!(plan.contains("DistributedExec"), "{plan}");
    assert!(plan.contains("Stage"), "{plan}");
    assert!(plan.contains("PortableDeltaScanExec"), "{plan}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_query_answers_whole_after_a_worker_is_lost() {
    let mut cluster = LoopbackCluster::start(3).await;
    let coordinator = cluster.coordinator(None).await;
    let scan = delta_scan_sql(&golden_table("dv-partitioned-with-checkpoint"));
    let sql = every_row_grouped(&scan);
    let expected = rows(&engine_without_lake().await, &sql).await;
    assert_eq!(rows_on_the_cluster(&coordinator, &sql).await, expected);
    // The coordinator finds the worker gone as the query runs and runs it again without it;
    // the next queries are planned on the two workers left.
    cluster.kill(1);
    assert_eq!(rows(&coordinator, &sql).await, expected);
    assert_eq!(rows_on_the_cluster(&coordinator, &sql).await, expected);
    // With one worker left, datafusion-distributed runs the whole plan in the coordinator.
    cluster.kill(2);
    assert_eq!(rows(&coordinator, &sql).await, expected);
}

/// The test lake with `gold.numbers`: the integers 1 to [`NUMBERS`], written in four commits,
/// so that each worker has files of its own to send.
const NUMBERS: i64 = 1_000_000;

/// How many numbers share a remainder in the join of the kill test.
const MATCHES: i64 = 500;

async fn lake_with_numbers() -> (tempfile::TempDir, String) {
    let lake = tempfile::tempdir().unwrap();
    write_lake(lake.path());
    let uri = lake.path().display().to_string();
    let writer = Engine::open(EngineConfig::for_lake(uri.clone()))
        .await
        .unwrap_or_else(|error| panic!("the test lake should open: {error}"));
    let quarter = NUMBERS / 4;
    for part in 0..4 {
        let (first, last) = (part * quarter + 1, (part + 1) * quarter);
        let select = format!("SELECT value AS n FROM generate_series({first}, {last})");
        let sql = match part {
            0 => format!("CREATE TABLE gold.numbers AS {select}"),
            _ => format!("INSERT INTO gold.numbers {select}"),
        };
        rows(&writer, &sql).await;
    }
    (lake, uri)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_query_survives_a_worker_killed_while_it_runs() {
    let (_lake, uri) = lake_with_numbers().await;
    let mut cluster = LoopbackCluster::start(2).await;
    let coordinator = std::sync::Arc::new(cluster.coordinator(Some(uri)).await);
    // A join of the table with itself, both sides shuffled between the workers: each number
    // meets the [`MATCHES`] numbers with its remainder, seconds of work in a debug build.
    let sql = format!(
        "SELECT count(*) AS n, sum(a.n) AS total FROM gold.numbers a \
         JOIN gold.numbers b ON a.n % {keys} = b.n % {keys}",
        keys = NUMBERS / MATCHES
    );
    let plan = rows(&coordinator, &format!("EXPLAIN {sql}"))
        .await
        .join("\n");
    assert!(plan.contains("NetworkShuffleExec"), "{plan}");
    let expected = (NUMBERS * MATCHES, MATCHES * NUMBERS * (NUMBERS + 1) / 2);
    let started = std::time::Instant::now();
    let running = {
        let coordinator = coordinator.clone();
        tokio::spawn(async move {
            let outcome = collect(&coordinator, &sql).await;
            eprintln!("the query ended after {:?}", started.elapsed());
            outcome
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let killed_while_running = !running.is_finished();
    cluster.kill(1);
    let outcome = running
        .await
        .expect("the query's task ends without a panic");
    assert!(
        killed_while_running,
        "the query ended before the kill: the test proves nothing"
    );
    // An aggregate's first row comes at its end, so the whole run is covered: the query runs
    // again on the worker left.
    let batches = outcome.unwrap_or_else(|error| {
        panic!(
            "the query should run again on the worker left, not fail: {error} ({:?})",
            error.kind()
        )
    });
    let numbers = batches[0].column(0).as_primitive::<Int64Type>();
    let totals = batches[0].column(1).as_primitive::<Int64Type>();
    assert_eq!((numbers.value(0), totals.value(0)), expected);
}

/// Golden tables in S3: the coordinator plans with its credentials, and each worker reads the
/// files with its own, since a plan never carries any.
#[tokio::test(flavor = "multi_thread")]
async fn golden_tables_in_s3_read_on_the_cluster_with_the_workers_own_credentials() {
    let emulator = Emulator::start(StoreKind::Moto);
    let options = emulator.storage_options();
    let storage = StorageOptions::global(options.clone());
    let config = || EngineConfig {
        storage: storage.clone(),
        ..EngineConfig::default()
    };
    let embedded = Engine::open(config())
        .await
        .unwrap_or_else(|error| panic!("an engine over S3 should open: {error}"));
    let cluster = LoopbackCluster::start_with(2, &options).await;
    let coordinator = cluster.coordinator_with(config()).await;
    for table in &TABLES[..3] {
        let uri = emulator.uri(&format!("golden/{table}"));
        upload_table_at(&golden_table(table), &uri, &options);
        let sql = every_row_grouped(&format!("SELECT * FROM delta_scan('{uri}')"));
        assert_eq!(
            rows_on_the_cluster(&coordinator, &sql).await,
            rows(&embedded, &sql).await,
            "{table}: `{sql}` on the cluster"
        );
    }

    // Workers whose credential S3 refuses: the coordinator's good one never reaches them.
    let refused = LoopbackCluster::start_with(2, &emulator.wrong_storage_options()).await;
    let coordinator = refused.coordinator_with(config()).await;
    let uri = emulator.uri(&format!("golden/{}", TABLES[0]));
    let sql = every_row_grouped(&format!("SELECT * FROM delta_scan('{uri}')"));
    let message = query_error(&coordinator, &sql).await;
    assert!(
        message.contains(&uri),
        "the error should name {uri}: {message}"
    );
    for secret in emulator.secrets() {
        assert!(!message.contains(&secret), "no credential in: {message}");
    }
}

/// Workers keep the data files' byte ranges (and footers) they read, as an embedded engine
/// does: a query repeated on the cluster reaches the store only from the coordinator, for the
/// log.
#[tokio::test(flavor = "multi_thread")]
async fn workers_read_a_repeated_querys_data_from_memory() {
    let emulator = Emulator::start(StoreKind::Moto);
    let options = emulator.storage_options();
    // The workers reach the store through a proxy that can be told to refuse them; the
    // coordinator reaches it directly.
    let proxy = FaultProxy::start(&emulator.endpoint());
    let mut through_proxy = options.clone();
    through_proxy.insert("aws_endpoint_url".to_string(), proxy.endpoint());
    through_proxy.insert("max_retries".to_string(), "1".to_string());
    let cluster = LoopbackCluster::start_with(2, &through_proxy).await;
    let coordinator = cluster
        .coordinator_with(EngineConfig {
            storage: StorageOptions::global(options.clone()),
            ..EngineConfig::default()
        })
        .await;
    let table = "data-skipping-partition-and-data-column";
    let uri = emulator.uri(&format!("golden/{table}"));
    upload_table_at(&golden_table(table), &uri, &options);
    let sql = every_row_grouped(&format!("SELECT * FROM delta_scan('{uri}')"));
    let answer = rows_on_the_cluster(&coordinator, &sql).await;
    assert!(!answer.is_empty());

    // Each task goes back to the worker that read its files the first time. Were the tasks
    // dealt from a random first worker, as datafusion-distributed does by default, the ten
    // queries would all find their files cached with a chance of 1 in 1,024.
    proxy.fail_always();
    for _ in 0..10 {
        assert_eq!(rows(&coordinator, &sql).await, answer);
    }
    assert_eq!(proxy.heal(), 0, "no worker request reached the store");
}
