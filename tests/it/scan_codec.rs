//! Delta scans travel: the physical plan of a query over a golden table, planned by a
//! coordinator, turned into bytes with Lakeshore's codec, read back by a worker (which loads the
//! snapshot itself) and run there, gives the rows the embedded engine gives. Plain, partitioned,
//! deletion-vector and column-mapping tables all take this one path.

use std::sync::{Arc, OnceLock};

use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::physical_plan::{collect as run_plan, displayable};
use datafusion_proto::bytes::{
    physical_plan_from_bytes_with_extension_codec, physical_plan_to_bytes_with_extension_codec,
};
use lakeshore_engine::distributed::{DeltaScanCodec, Distribution, ScanWorker};
use lakeshore_engine::{Engine, EngineConfig, StorageOptions};
use lakeshore_tests::{canonical_rows, collect, delta_scan_sql, engine_without_lake, golden_table};

/// A "distribution" with no workers: the engine plans portable scans, and the test keeps the
/// codec to encode them itself.
#[derive(Debug, Default)]
struct KeepCodec(OnceLock<Arc<DeltaScanCodec>>);

impl Distribution for KeepCodec {
    fn coordinate(
        &self,
        session: SessionStateBuilder,
        codec: Arc<DeltaScanCodec>,
    ) -> SessionStateBuilder {
        let _ = self.0.set(codec);
        session
    }
}

/// Plans `sql` on a coordinator, sends it through bytes to a worker, runs it there; returns
/// the rows and the bytes' length.
async fn rows_through_bytes(sql: &str) -> (Vec<String>, usize) {
    let keep = Arc::new(KeepCodec::default());
    let coordinator = Engine::open(EngineConfig {
        distribution: Some(keep.clone()),
        ..EngineConfig::default()
    })
    .await
    .unwrap_or_else(|error| panic!("a coordinator should open: {error}"));
    let plan = coordinator
        .plan(sql)
        .await
        .unwrap_or_else(|error| panic!("`{sql}` should plan: {error}"))
        .create_physical_plan()
        .await
        .unwrap_or_else(|error| panic!("`{sql}` should have a physical plan: {error}"));
    let shown = displayable(plan.as_ref()).indent(false).to_string();
    assert!(
        shown.contains("PortableDeltaScanExec"),
        "the coordinator should plan a portable scan:\n{shown}"
    );
    let codec = keep.0.get().expect("the engine hands its codec over");
    let bytes = physical_plan_to_bytes_with_extension_codec(plan, codec.as_ref())
        .unwrap_or_else(|error| panic!("`{sql}` should encode: {error}"));

    let worker = ScanWorker::new(StorageOptions::default(), 0)
        .unwrap_or_else(|error| panic!("a worker should start: {error}"));
    let session = worker.session(SessionStateBuilder::new().with_default_features());
    let task = session.task_ctx();
    let decoded =
        physical_plan_from_bytes_with_extension_codec(&bytes, &task, worker.codec().as_ref())
            .unwrap_or_else(|error| panic!("`{sql}` should decode: {error}"));
    let batches = run_plan(decoded, task)
        .await
        .unwrap_or_else(|error| panic!("`{sql}` should run on the worker: {error}"));
    (canonical_rows(&batches), bytes.len())
}

async fn embedded_rows(sql: &str) -> Vec<String> {
    let batches = collect(&engine_without_lake().await, sql)
        .await
        .unwrap_or_else(|error| panic!("`{sql}` should run embedded: {error}"));
    canonical_rows(&batches)
}

async fn assert_travels(sql: &str) {
    let (travelled, _) = rows_through_bytes(sql).await;
    let embedded = embedded_rows(sql).await;
    assert!(!embedded.is_empty(), "`{sql}` should return rows");
    assert_eq!(travelled, embedded, "`{sql}` through bytes");
}

/// Golden tables of each kind: plain, partitioned, with deletion vectors, with column mapping
/// (by name and by id), with checkpoints and escaped partition values.
const TABLES: &[&str] = &[
    "basic-decimal-table",
    "basic-with-inserts-deletes-checkpoint",
    "data-reader-partition-values",
    "data-reader-escaped-chars",
    "data-skipping-partition-and-data-column",
    "dv-partitioned-with-checkpoint",
    "log-replay-dv-key-cases",
    "table-with-columnmapping-mode-name",
    "data-skipping-basic-stats-all-types-columnmapping-name",
    "data-reader-timestamp_ntz-id-mode",
];

#[tokio::test(flavor = "multi_thread")]
async fn golden_tables_read_the_same_after_their_scans_travel_as_bytes() {
    for table in TABLES {
        assert_travels(&delta_scan_sql(&golden_table(table))).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn projections_filters_and_limits_travel_with_the_scan() {
    let dv = golden_table("dv-partitioned-with-checkpoint");
    let path = dv.display().to_string();
    assert_travels(&format!(
        "SELECT part, count(*) AS n, sum(col1) AS total FROM delta_scan('{path}') \
         WHERE col1 % 3 = 1 GROUP BY part"
    ))
    .await;
    assert_travels(&format!(
        "SELECT col2 FROM delta_scan('{path}') WHERE part = (SELECT min(part) FROM delta_scan('{path}'))"
    ))
    .await;
    let mapped = golden_table("table-with-columnmapping-mode-name");
    let path = mapped.display().to_string();
    let (limited, _) =
        rows_through_bytes(&format!("SELECT * FROM delta_scan('{path}') LIMIT 1")).await;
    assert_eq!(
        limited.len(),
        1,
        "a limit should hold on the worker: {limited:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scan_travels_as_its_file_names_not_its_log() {
    // 20 data files and a log with a checkpoint: the message names the files, no more.
    let table = golden_table("dv-partitioned-with-checkpoint");
    let (_, bytes) = rows_through_bytes(&delta_scan_sql(&table)).await;
    let log_bytes: u64 = std::fs::read_dir(table.join("_delta_log"))
        .expect("the golden table has a log")
        .filter_map(Result::ok)
        .filter_map(|entry| entry.metadata().ok())
        .map(|metadata| metadata.len())
        .sum();
    let per_file = (table.display().to_string().len() + 100) * 20;
    assert!(
        bytes < per_file + 2_000,
        "the plan should carry file names and little else: {bytes} bytes (log: {log_bytes})"
    );
}
