//! Sessions: a client's `SET`s and current schema are its own, and last for its later
//! statements. Without authentication a session is a connection, so each client here is one.

use std::collections::HashMap;

use arrow::array::RecordBatch;
use arrow_flight::Action;
use arrow_flight::sql::client::FlightSqlServiceClient;
use futures::StreamExt;
use lakeshore_tests::canonical_rows;
use prost::Message;
use tonic::transport::Channel;

use crate::harness::{TestServer, query, test_lake};

/// Flight.proto's SetSessionOptionsRequest with string values, as a client encodes it
/// (arrow-flight 59 generates no session messages).
#[derive(Clone, PartialEq, prost::Message)]
struct SetSessionOptionsRequest {
    #[prost(map = "string, message", tag = "1")]
    session_options: HashMap<String, SessionOptionValue>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct SessionOptionValue {
    #[prost(string, optional, tag = "1")]
    string_value: Option<String>,
}

async fn set_schema(client: &mut FlightSqlServiceClient<Channel>, schema: &str) {
    let value = SessionOptionValue {
        string_value: Some(schema.to_string()),
    };
    let request = SetSessionOptionsRequest {
        session_options: HashMap::from([("schema".to_string(), value)]),
    };
    let action = Action::new("SetSessionOptions", request.encode_to_vec());
    let replies: Vec<_> = client.do_action(action).await.unwrap().collect().await;
    assert_eq!(replies.len(), 1);
    replies[0].as_ref().unwrap();
}

/// The session's `datafusion.execution.batch_size`, as SHOW tells it.
async fn batch_size(client: &mut FlightSqlServiceClient<Channel>) -> String {
    let rows = query(client, "SHOW datafusion.execution.batch_size")
        .await
        .unwrap();
    let rows = canonical_rows(&rows);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let (_, value) = rows[0].split_once("value=").expect("a value column");
    value.to_string()
}

/// The most rows in one batch of a 5,000-row result.
async fn largest_batch(client: &mut FlightSqlServiceClient<Channel>) -> usize {
    let batches = query(client, "SELECT value FROM range(5000)")
        .await
        .unwrap();
    assert_eq!(
        batches.iter().map(RecordBatch::num_rows).sum::<usize>(),
        5000
    );
    batches.iter().map(RecordBatch::num_rows).max().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_set_lasts_for_its_session_and_reaches_no_other() {
    let lake = test_lake();
    let server = TestServer::start(lake.path(), &[]);
    let mut a = server.client().await;
    let mut b = server.client().await;
    let default = batch_size(&mut b).await;
    assert_ne!(default, "1000");

    // A in the default schema: its SET is its own.
    a.execute_update("SET datafusion.execution.batch_size = 1000".into(), None)
        .await
        .unwrap();
    assert_eq!(batch_size(&mut a).await, "1000");
    assert_eq!(batch_size(&mut b).await, default);
    // The setting applies where the rows are made, not only to SHOW.
    assert!(largest_batch(&mut a).await <= 1000);
    assert!(largest_batch(&mut b).await > 1000);

    // A current schema keeps the session's settings; a SET sent as a query is kept too.
    set_schema(&mut a, "silver").await;
    assert_eq!(batch_size(&mut a).await, "1000");
    set_schema(&mut b, "silver").await;
    query(&mut b, "SET datafusion.execution.batch_size = 700")
        .await
        .unwrap();
    assert_eq!(batch_size(&mut b).await, "700");
    assert_eq!(batch_size(&mut a).await, "1000");
    let customers = query(&mut a, "SELECT count(*) AS n FROM customers")
        .await
        .unwrap();
    assert_eq!(canonical_rows(&customers).len(), 1);

    // A new session starts from the server's settings.
    let mut c = server.client().await;
    assert_eq!(batch_size(&mut c).await, default);
}

/// Sessions whose current schemas hold tables of one name read their own, at once: what one
/// statement reads before planning (an old version, a history) is never another's.
#[tokio::test(flavor = "multi_thread")]
async fn sessions_in_other_schemas_time_travel_their_own_tables_at_once() {
    let lake = tempfile::tempdir().unwrap();
    let silver = lake.path().join("silver/orders");
    lakeshore_tests::delta_writer("create", &silver, Some(100));
    lakeshore_tests::delta_writer("append", &silver, Some(5));
    lakeshore_tests::delta_writer("append", &silver, Some(5));
    let bronze = lake.path().join("bronze/orders");
    lakeshore_tests::delta_writer("create", &bronze, Some(10));
    lakeshore_tests::delta_writer("append", &bronze, Some(3));
    let server = TestServer::start(lake.path(), &[]);

    let mut sessions = Vec::new();
    for (schema, expected) in [
        ("silver", "n=100 | versions=3"),
        ("bronze", "n=10 | versions=2"),
    ] {
        for _ in 0..3 {
            let mut client = server.client().await;
            set_schema(&mut client, schema).await;
            sessions.push(tokio::spawn(async move {
                for _ in 0..10 {
                    let rows = query(
                        &mut client,
                        "SELECT (SELECT count(*) FROM orders VERSION AS OF 0) AS n, \
                         (SELECT count(*) FROM delta_history('orders')) AS versions",
                    )
                    .await
                    .unwrap();
                    assert_eq!(
                        canonical_rows(&rows),
                        vec![expected.to_string()],
                        "a session in {schema} read another schema's table"
                    );
                }
            }));
        }
    }
    for session in sessions {
        session.await.unwrap();
    }
}
