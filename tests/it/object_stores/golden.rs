//! Tables Spark wrote, with the reader features it uses (deletion vectors, column mapping, a
//! v2 checkpoint, `vacuumProtocolCheck`), read from S3 as from disk: the rows Spark expected.

use lakeshore_engine::{Engine, EngineConfig, StorageOptions};
use lakeshore_tests::{Emulator, StoreKind, assert_same_rows, golden_table, upload_table_at};

use crate::golden::read_expected;

const TABLES: &[&str] = &[
    "basic-with-vacuum-protocol-check-feature",
    "dv-partitioned-with-checkpoint",
    "table-with-columnmapping-mode-name",
    "v2-checkpoint-json",
];

#[tokio::test(flavor = "multi_thread")]
async fn spark_tables_read_from_s3_as_from_disk() {
    let emulator = Emulator::start(StoreKind::Moto);
    let options = emulator.storage_options();
    let engine = Engine::open(EngineConfig {
        storage: StorageOptions::global(options.clone()),
        ..EngineConfig::default()
    })
    .await
    .expect("an engine without a lake");
    for name in TABLES {
        let uri = emulator.uri(&format!("golden/{name}"));
        upload_table_at(&golden_table(name), &uri, &options);
        let sql = format!("SELECT * FROM delta_scan('{uri}')");
        let stream = engine
            .execute(&sql)
            .await
            .unwrap_or_else(|error| panic!("{name}: `{sql}` failed: {error}"));
        let schema = stream.schema();
        let batches = futures::TryStreamExt::try_collect::<Vec<_>>(stream)
            .await
            .unwrap_or_else(|error| panic!("{name}: reading `{sql}` failed: {error}"));
        let (expected_schema, expected) = read_expected(name).await;
        assert_same_rows(name, (&schema, &batches), (&expected_schema, &expected));
    }
}
