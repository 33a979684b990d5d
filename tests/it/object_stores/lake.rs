//! A lake in an object store works as a local one does: discovery, every layer's rows (as the
//! `deltalake` package reads them there), time travel, history, freshness, views and external
//! tables kept in the store, and `CREATE TABLE AS` read back by `deltalake`. And it fails well:
//! wrong credentials, a missing bucket and a store that stops answering each end in a clear
//! error naming the URI, with no secret in any message, and the engine goes on.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use lakeshore_engine::{Engine, EngineConfig, RequestCounts, StorageOptions};
use lakeshore_tests::{
    Emulator, FaultProxy, RESTRICTED_TABLE, StoreKind, assert_same_rows, collect, delta_writer,
    delta_writer_at, query_error, read_as_written_at, write_history_table_at, write_lake_at,
};

use crate::lake_catalog::rows;
use crate::requests::one_listing;

pub(super) async fn open(lake: &str, options: HashMap<String, String>) -> Result<Engine, String> {
    Engine::open(EngineConfig {
        lake: Some(lake.to_string()),
        storage: StorageOptions::global(options),
        ..EngineConfig::default()
    })
    .await
    .map_err(|error| error.to_string())
}

/// Every message a test saw must be free of the emulator's secrets.
fn assert_no_secret(emulator: &Emulator, messages: &[String]) {
    for message in messages {
        for secret in emulator.secrets() {
            assert!(
                !message.contains(&secret),
                "a secret leaked into a message: {message}"
            );
        }
    }
}

/// The whole tour of one store: what a user does with a lake that lives there.
async fn every_feature_works(kind: StoreKind) {
    let emulator = Emulator::start(kind);
    let options = emulator.storage_options();
    let lake = emulator.uri("lake");
    write_lake_at(&lake, &options);
    write_history_table_at(&emulator.uri("lake/bronze/history"), &options, true);
    let engine = open(&lake, options.clone())
        .await
        .unwrap_or_else(|error| panic!("{kind:?}: the lake should open: {error}"));
    let mut messages = Vec::new();

    // Discovery: layers, nested tables, a root table; `_` and `.` folders are not tables.
    let tables = rows(
        &engine,
        "SELECT table_schema || '.' || table_name AS t FROM information_schema.tables \
         WHERE table_schema <> 'information_schema' ORDER BY t",
    )
    .await;
    assert_eq!(
        tables,
        [
            "t=bronze.history",
            "t=bronze.raw_orders",
            "t=default.rootcount",
            "t=gold.summary",
            "t=silver.customers",
            "t=silver.sales_store_orders",
        ],
        "{kind:?}"
    );

    // Every layer reads as deltalake reads it in the same store.
    for (table, folder) in [
        ("bronze.raw_orders", "bronze/raw_orders"),
        ("silver.sales_store_orders", "silver/sales/store_orders"),
        ("gold.summary", "gold/summary"),
    ] {
        let ours = collect(&engine, &format!("SELECT * FROM {table}"))
            .await
            .unwrap_or_else(|error| panic!("{kind:?}: {table}: {error}"));
        let (schema, expected) =
            read_as_written_at(&emulator.uri(&format!("lake/{folder}")), &options).await;
        let ours_schema = ours
            .first()
            .map(|batch| batch.schema())
            .unwrap_or(schema.clone());
        assert_same_rows(
            &format!("{kind:?} {table}"),
            (&ours_schema, &ours),
            (&schema, &expected),
        );
    }

    // Time travel and history (delta_writer.py history: 4, 6, 5, 5, 6 and 3 rows).
    let versions = rows(
        &engine,
        "SELECT (SELECT count(*) FROM bronze.history VERSION AS OF 0) AS v0, \
                (SELECT count(*) FROM bronze.history VERSION AS OF 1) AS v1, \
                (SELECT count(*) FROM bronze.history) AS latest",
    )
    .await;
    assert_eq!(versions, ["latest=3 | v0=4 | v1=6"], "{kind:?}");
    let history = rows(
        &engine,
        "SELECT count(*) AS n FROM delta_history('bronze.history')",
    )
    .await;
    assert_eq!(history, ["n=6"], "{kind:?}");
    // The change feed: version 2 deleted id 2, version 3 updated id 3.
    let changes = rows(
        &engine,
        "SELECT _change_type, id FROM table_changes('bronze.history', 2, 3) ORDER BY 1",
    )
    .await;
    assert_eq!(
        changes,
        [
            "_change_type=delete | id=2",
            "_change_type=update_postimage | id=3",
            "_change_type=update_preimage | id=3",
        ],
        "{kind:?}"
    );

    // COPY TO a file in the store, read back through the same stores.
    let export = emulator.uri("exports/raw_orders.parquet");
    rows(
        &engine,
        &format!("COPY (SELECT * FROM bronze.raw_orders) TO '{export}' STORED AS PARQUET"),
    )
    .await;
    rows(
        &engine,
        &format!("CREATE EXTERNAL TABLE copied STORED AS PARQUET LOCATION '{export}'"),
    )
    .await;
    let copied = rows(&engine, "SELECT count(*) AS n FROM copied").await;
    assert_eq!(copied, ["n=7"], "{kind:?}");

    // Freshness: a commit by another writer after start-up is seen by the next query.
    let count = "SELECT count(*) AS n FROM bronze.raw_orders";
    assert_eq!(rows(&engine, count).await, ["n=7"], "{kind:?}");
    delta_writer_at(
        "append",
        &emulator.uri("lake/bronze/raw_orders"),
        &options,
        Some(5),
    );
    assert_eq!(rows(&engine, count).await, ["n=12"], "{kind:?}");

    // delta_scan by URI, with the lake's options.
    let by_uri = format!(
        "SELECT count(*) AS n FROM delta_scan('{}')",
        emulator.uri("lake/gold/summary")
    );
    assert_eq!(rows(&engine, &by_uri).await.len(), 1, "{kind:?}");

    // A gold table written into the store, read back by deltalake.
    rows(
        &engine,
        "CREATE TABLE gold.big_orders AS SELECT id, amount FROM bronze.raw_orders WHERE id > 2",
    )
    .await;
    let (_, written) = read_as_written_at(&emulator.uri("lake/gold/big_orders"), &options).await;
    let written: usize = written.iter().map(|batch| batch.num_rows()).sum();
    assert_eq!(written, 10, "{kind:?}: ids 3 to 12");
    rows(&engine, "INSERT INTO gold.big_orders VALUES (100, 1.5)").await;
    assert_eq!(
        rows(&engine, "SELECT count(*) AS n FROM gold.big_orders").await,
        ["n=11"],
        "{kind:?}"
    );

    // Views and external tables are kept in the store, where a second engine finds them.
    rows(
        &engine,
        "CREATE VIEW gold.recent AS SELECT * FROM bronze.raw_orders WHERE id > 10",
    )
    .await;
    let external = format!(
        "CREATE EXTERNAL TABLE gold.summary_again STORED AS DELTA LOCATION '{}'",
        emulator.uri("lake/gold/summary")
    );
    rows(&engine, &external).await;
    let second = open(&lake, options.clone()).await.unwrap();
    assert_eq!(
        rows(&second, "SELECT count(*) AS n FROM gold.recent").await,
        ["n=2"],
        "{kind:?}"
    );
    assert_eq!(
        rows(&second, "SELECT count(*) AS n FROM gold.summary_again").await,
        rows(&second, "SELECT count(*) AS n FROM gold.summary").await,
        "{kind:?}"
    );
    let again = query_error(&second, "CREATE VIEW gold.recent AS SELECT 1 AS one").await;
    assert!(again.contains("already exists"), "{kind:?}: {again}");
    messages.push(again);

    // A missing table in the store is an error naming it.
    let missing = query_error(&engine, "SELECT * FROM silver.nothing_here").await;
    messages.push(missing);
    // What shows a table's location and settings shows no credential.
    for shown in ["DESCRIBE DETAIL bronze.raw_orders", "SHOW ALL"] {
        messages.push(rows(&engine, shown).await.join("\n"));
    }
    assert_no_secret(&emulator, &messages);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_feature_works_on_azurite_with_an_account_key() {
    every_feature_works(StoreKind::Azurite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_feature_works_on_azurite_with_a_sas_token() {
    every_feature_works(StoreKind::AzuriteSas).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_feature_works_on_azurite_through_abfss_uris() {
    every_feature_works(StoreKind::AzuriteAbfss).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_feature_works_on_s3_in_moto() {
    every_feature_works(StoreKind::Moto).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_feature_works_on_gcs_in_an_emulator() {
    every_feature_works(StoreKind::Gcs).await;
}

/// Options that make a dead store fail within seconds, not object_store's minutes.
fn quick_to_give_up(mut options: HashMap<String, String>) -> HashMap<String, String> {
    options.insert("connect_timeout".to_string(), "1s".to_string());
    options.insert("timeout".to_string(), "3s".to_string());
    options.insert("max_retries".to_string(), "1".to_string());
    options.insert("retry_timeout".to_string(), "3s".to_string());
    options
}

async fn faults_give_clear_errors(kind: StoreKind) {
    let mut emulator = Emulator::start(kind);
    let options = emulator.storage_options();
    let lake = emulator.uri("lake");
    write_lake_at(&lake, &options);
    let mut messages = Vec::new();

    // Wrong credentials: the lake does not open, and the message names it.
    let wrong = open(&lake, quick_to_give_up(emulator.wrong_storage_options()))
        .await
        .err()
        .unwrap_or_else(|| panic!("{kind:?}: wrong credentials were accepted"));
    assert!(
        wrong.contains(lake.trim_end_matches('/')),
        "{kind:?}: {wrong}"
    );
    messages.push(wrong);

    // A bucket or container that does not exist.
    let missing_bucket = lake.replace("lakeshore", "no-such-bucket");
    let missing = match open(&missing_bucket, quick_to_give_up(options.clone())).await {
        Err(error) => error,
        // Some stores list a missing bucket as empty: then the lake is empty, not an error.
        Ok(engine) => query_error(&engine, "SELECT * FROM bronze.raw_orders").await,
    };
    assert!(missing.contains("no-such-bucket"), "{kind:?}: {missing}");
    messages.push(missing);

    // A store that stops answering mid-session: an error within the timeout, then the engine
    // goes on serving what it can reach.
    let engine = open(&lake, quick_to_give_up(options.clone()))
        .await
        .unwrap();
    assert_eq!(
        rows(&engine, "SELECT count(*) AS n FROM bronze.raw_orders").await,
        ["n=7"]
    );
    emulator.stop();
    let started = Instant::now();
    let gone = query_error(&engine, "SELECT count(*) AS n FROM bronze.raw_orders").await;
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{kind:?}: the error took {:?}",
        started.elapsed()
    );
    assert!(gone.contains("raw_orders"), "{kind:?}: {gone}");
    messages.push(gone);
    let local = tempfile::tempdir().unwrap();
    delta_writer("create", &local.path().join("t"), Some(3));
    let scan = format!(
        "SELECT count(*) AS n FROM delta_scan('{}')",
        local.path().join("t").display()
    );
    assert_eq!(rows(&engine, &scan).await, ["n=3"], "{kind:?}");
    assert_no_secret(&emulator, &messages);
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_give_clear_errors_on_azurite() {
    faults_give_clear_errors(StoreKind::AzuriteSas).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_give_clear_errors_on_s3() {
    faults_give_clear_errors(StoreKind::Moto).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_give_clear_errors_on_gcs() {
    faults_give_clear_errors(StoreKind::Gcs).await;
}

/// The request counts of `requests.rs`, over real HTTP: a repeated query when nothing changed
/// is one LIST, and within `max_staleness` none; one that reads data files reads them once.
#[tokio::test(flavor = "multi_thread")]
async fn a_repeated_query_on_s3_costs_one_listing() {
    let emulator = Emulator::start(StoreKind::Moto);
    let options = emulator.storage_options();
    let table = emulator.uri("lake/silver/orders");
    delta_writer_at("commits", &table, &options, Some(100));
    delta_writer_at("append", &table, &options, Some(1));
    let engine = open(&emulator.uri("lake"), options).await.unwrap();
    let query = "SELECT count(*) AS n FROM silver.orders";
    assert_eq!(rows(&engine, query).await, ["n=101"]);
    let watch = engine.watch_requests();
    assert_eq!(rows(&engine, query).await, ["n=101"]);
    assert_eq!(watch.elapsed(), one_listing());

    // A filter the log's statistics cannot answer reads the data files; repeated, it finds
    // their byte ranges (sliced from S3's coalesced fetches) in memory, with the same answer as
    // an engine that keeps none.
    let sum = "SELECT sum(amount) AS s, count(*) AS n FROM silver.orders WHERE item <> 'none'";
    let first = engine.watch_requests();
    let answer = rows(&engine, sum).await;
    assert!(first.elapsed().get > 0, "{}", first.elapsed());
    let watch = engine.watch_requests();
    assert_eq!(rows(&engine, sum).await, answer);
    assert_eq!(watch.elapsed(), one_listing());
    let uncached = Engine::open(EngineConfig {
        lake: Some(emulator.uri("lake")),
        storage: StorageOptions::global(emulator.storage_options()),
        data_cache_bytes: 0,
        ..EngineConfig::default()
    })
    .await
    .unwrap();
    assert_eq!(rows(&uncached, sum).await, answer);

    rows(&engine, "SET lakeshore.max_staleness = '10m'").await;
    rows(&engine, query).await;
    let watch = engine.watch_requests();
    assert_eq!(rows(&engine, query).await, ["n=101"]);
    assert_eq!(watch.elapsed(), RequestCounts::default());
}

/// A throttled store (`503 Slow Down`): a few refusals are retried with backoff and the query
/// answers; a storm ends in an error naming the table within the retry bounds; once the store
/// answers again, so does the engine.
#[tokio::test(flavor = "multi_thread")]
async fn throttling_is_retried_and_a_storm_ends_in_a_clear_error() {
    let emulator = Emulator::start(StoreKind::Moto);
    let options = emulator.storage_options();
    let lake = emulator.uri("lake");
    write_lake_at(&lake, &options);
    let proxy = FaultProxy::start(&emulator.endpoint());
    let mut through_proxy = quick_to_give_up(options.clone());
    through_proxy.insert("aws_endpoint_url".to_string(), proxy.endpoint());
    through_proxy.insert("max_retries".to_string(), "3".to_string());
    let engine = open(&lake, through_proxy).await.unwrap();
    let count = "SELECT count(*) AS n FROM bronze.raw_orders";
    assert_eq!(rows(&engine, count).await, ["n=7"]);

    proxy.fail_next(2);
    assert_eq!(rows(&engine, count).await, ["n=7"], "two 503s are retried");
    assert_eq!(proxy.heal(), 2, "the proxy failed two requests");

    proxy.fail_always();
    let started = Instant::now();
    let storm = query_error(&engine, count).await;
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the error took {:?}",
        started.elapsed()
    );
    assert!(storm.contains("raw_orders"), "{storm}");
    assert!(
        storm.contains("503") || storm.to_lowercase().contains("unavailable"),
        "the message should say the store refused: {storm}"
    );
    let failed = proxy.heal();
    assert!(failed >= 4, "a first try and three retries: {failed}");
    assert_eq!(rows(&engine, count).await, ["n=7"], "the engine goes on");
    assert_no_secret(&emulator, &[storm]);
}

/// A table folder the credentials may not read: that table's queries fail, naming it and the
/// refusal; the lake's listing and the other tables of its layer go on.
#[tokio::test(flavor = "multi_thread")]
async fn a_table_without_permission_fails_alone() {
    let emulator = Emulator::start(StoreKind::Moto);
    let lake = emulator.uri("lake");
    write_lake_at(&lake, &emulator.storage_options());
    let engine = open(&lake, emulator.restricted_storage_options())
        .await
        .unwrap_or_else(|error| panic!("the lake should open: {error}"));

    let denied = query_error(&engine, &format!("SELECT * FROM {RESTRICTED_TABLE}")).await;
    assert!(denied.contains("customers"), "{denied}");
    assert!(
        denied.to_lowercase().contains("denied") || denied.contains("403"),
        "the message should say the store refused: {denied}"
    );
    let tables = rows(
        &engine,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'silver' \
         ORDER BY 1",
    )
    .await;
    assert_eq!(
        tables,
        ["table_name=customers", "table_name=sales_store_orders"]
    );
    assert_eq!(
        rows(
            &engine,
            "SELECT count(*) AS n FROM silver.sales_store_orders"
        )
        .await,
        ["n=6"]
    );
    assert_no_secret(&emulator, &[denied]);
}
