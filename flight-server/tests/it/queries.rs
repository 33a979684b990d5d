//! Statements over Flight SQL give what the engine gives in-process.

use std::sync::Arc;

use arrow::array::{Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use lakeshore_engine::{Engine, EngineConfig};
use lakeshore_tests::{canonical_rows, collect};
use tonic::Code;

use crate::harness::{TestServer, fetch, query, status, test_lake};

#[tokio::test(flavor = "multi_thread")]
async fn queries_return_the_rows_the_engine_returns_with_one_schema_in_info_and_stream() {
    let lake = test_lake();
    let server = TestServer::start(lake.path(), &[]);
    let engine = Engine::open(EngineConfig::for_lake(lake.path().to_str().unwrap()))
        .await
        .unwrap();
    let mut client = server.client().await;
    for sql in [
        "SELECT * FROM silver.customers",
        "SELECT currency, count(*) AS n, sum(total) AS total FROM silver.sales_store_orders GROUP BY currency",
        "SELECT * FROM golden.primitives",
        "SELECT * FROM golden.nested",
        "SELECT * FROM golden.decimals",
        "SELECT * FROM rootcount",
    ] {
        let info = client.execute(sql.to_string(), None).await.unwrap();
        let announced = Schema::try_from(info.clone()).unwrap();
        let batches = fetch(&mut client, &info).await.unwrap();
        for batch in &batches {
            assert_eq!(
                batch.schema().as_ref(),
                &announced,
                "{sql}: FlightInfo and DoGet schemas differ"
            );
        }
        // Strings travel as Utf8, never as views.
        for field in announced.fields() {
            assert!(
                !matches!(field.data_type(), DataType::Utf8View | DataType::BinaryView),
                "{sql}: {field} is sent as a view type"
            );
        }
        let expected = collect(&engine, sql).await.unwrap();
        assert_eq!(canonical_rows(&batches), canonical_rows(&expected), "{sql}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn prepared_statements_bind_parameters_in_both_placeholder_styles() {
    let lake = test_lake();
    let server = TestServer::start(lake.path(), &[]);
    let mut client = server.client().await;
    for sql in [
        "SELECT count(*) AS n FROM silver.sales_store_orders WHERE currency = ? AND total > ?",
        "SELECT count(*) AS n FROM silver.sales_store_orders WHERE currency = $1 AND total > $2",
    ] {
        let mut prepared = client.prepare(sql.to_string(), None).await.unwrap();
        let parameters = prepared.parameter_schema().unwrap().clone();
        assert_eq!(parameters.fields().len(), 2, "{sql}: {parameters:?}");
        assert_eq!(prepared.dataset_schema().unwrap().field(0).name(), "n");
        let values = RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                Field::new("currency", DataType::Utf8, false),
                Field::new("total", DataType::Int64, false),
            ])),
            vec![
                Arc::new(StringArray::from(vec!["EUR"])),
                Arc::new(Int64Array::from(vec![0])),
            ],
        )
        .unwrap();
        prepared.set_parameters(values).unwrap();
        let info = prepared.execute().await.unwrap();
        let batches = fetch(&mut client, &info).await.unwrap();
        assert_eq!(canonical_rows(&batches), vec!["n=3"], "{sql}");
        prepared.close().await.unwrap();
    }
}

/// Issue 11: the server numbered `?` by printing tokens back, which lost the escape of `''`.
#[tokio::test(flavor = "multi_thread")]
async fn escaped_quotes_and_question_marks_in_strings_reach_the_engine_as_written() {
    let lake = test_lake();
    let server = TestServer::start(lake.path(), &[]);
    let mut client = server.client().await;
    let batches = query(&mut client, "SELECT 'O''Brien' AS n").await.unwrap();
    assert_eq!(canonical_rows(&batches), vec!["n=O'Brien"]);
    let sql = "SELECT '?''s é' AS q, count(*) AS n FROM silver.sales_store_orders -- why?\r\n\
               WHERE currency = ? AND 'it''s?' <> ?";
    let mut prepared = client.prepare(sql.to_string(), None).await.unwrap();
    assert_eq!(prepared.parameter_schema().unwrap().fields().len(), 2);
    let values = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("currency", DataType::Utf8, false),
            Field::new("other", DataType::Utf8, false),
        ])),
        vec![
            Arc::new(StringArray::from(vec!["EUR"])),
            Arc::new(StringArray::from(vec!["O'Brien?"])),
        ],
    )
    .unwrap();
    prepared.set_parameters(values).unwrap();
    let info = prepared.execute().await.unwrap();
    let batches = fetch(&mut client, &info).await.unwrap();
    assert_eq!(canonical_rows(&batches), vec!["n=3 | q=?'s é"]);
    prepared.close().await.unwrap();
    // A command with an escaped quote runs too.
    let created = client
        .execute_update(
            "CREATE TABLE gold.names AS SELECT 'O''Brien' AS name".into(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(created, 1);
    let batches = query(
        &mut client,
        "SELECT name FROM gold.names WHERE name = 'O''Brien'",
    )
    .await
    .unwrap();
    assert_eq!(canonical_rows(&batches), vec!["name=O'Brien"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ticket_fetched_again_is_planned_again_and_gives_the_same_rows() {
    let lake = test_lake();
    let server = TestServer::start(lake.path(), &[]);
    let mut client = server.client().await;
    let sql = "SELECT currency, count(*) AS n FROM silver.sales_store_orders GROUP BY currency";
    let info = client.execute(sql.into(), None).await.unwrap();
    // The first DoGet runs the plan made for the FlightInfo, the second plans anew.
    let first = fetch(&mut client, &info).await.unwrap();
    let second = fetch(&mut client, &info).await.unwrap();
    assert!(!first.is_empty());
    assert_eq!(canonical_rows(&first), canonical_rows(&second));
}

#[tokio::test(flavor = "multi_thread")]
async fn updates_run_ddl_and_dml_and_return_the_row_count() {
    let lake = test_lake();
    let server = TestServer::start(lake.path(), &[]);
    let mut client = server.client().await;
    let created = client
        .execute_update("CREATE TABLE gold.big_orders AS SELECT * FROM silver.sales_store_orders WHERE total > 10".into(), None)
        .await
        .unwrap();
    let inserted = client
        .execute_update(
            "INSERT INTO gold.big_orders SELECT * FROM silver.sales_store_orders WHERE total <= 10"
                .into(),
            None,
        )
        .await
        .unwrap();
    let total: usize = query(&mut client, "SELECT * FROM gold.big_orders")
        .await
        .unwrap()
        .iter()
        .map(RecordBatch::num_rows)
        .sum();
    assert_eq!(
        created + inserted,
        6,
        "created {created}, inserted {inserted}"
    );
    assert_eq!(total, 6);
    // A prepared command has an empty dataset schema (the JDBC driver relies on it).
    let prepared = client
        .prepare("CREATE VIEW gold.v AS SELECT 1 AS one".into(), None)
        .await
        .unwrap();
    assert!(prepared.dataset_schema().unwrap().fields().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_carry_the_right_code_and_say_why_and_the_server_goes_on() {
    let lake = test_lake();
    let server = TestServer::start(lake.path(), &[]);
    let mut client = server.client().await;
    let missing = client
        .execute("SELECT * FROM silver.nope".into(), None)
        .await
        .unwrap_err();
    let missing = status(missing);
    assert_eq!(missing.code(), Code::NotFound, "{missing:?}");
    assert!(missing.message().contains("nope"), "{missing:?}");
    let bad = status(client.execute("SELEC 1".into(), None).await.unwrap_err());
    assert_eq!(bad.code(), Code::InvalidArgument, "{bad:?}");
    assert!(!bad.message().contains("backtrace"), "{bad:?}");
    let one = query(&mut client, "SELECT 1 AS one").await.unwrap();
    assert_eq!(canonical_rows(&one), vec!["one=1"]);
}
