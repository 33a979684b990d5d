//! The server's limits: cancelling, clients that go away, time limits, a full house, read-only
//! mode, and a graceful shutdown. Each shows the query stopped and the next queries run.

use std::time::Duration;

use arrow_flight::decode::FlightRecordBatchStream;
use arrow_flight::sql::client::FlightSqlServiceClient;
use arrow_flight::{
    Action, CancelFlightInfoRequest, CancelFlightInfoResult, CancelStatus, FlightInfo,
};
use futures::StreamExt;
use lakeshore_tests::canonical_rows;
use prost::Message;
use tonic::Code;
use tonic::transport::Channel;

use crate::harness::{TestServer, query, status, test_lake};

/// Far more rows than any test reads: the query runs until it is stopped.
const ENDLESS: &str = "SELECT * FROM range(2000000000)";

/// Starts the endless query and reads its first batch.
async fn start_endless(
    client: &mut FlightSqlServiceClient<Channel>,
) -> (FlightInfo, FlightRecordBatchStream) {
    let info = client.execute(ENDLESS.into(), None).await.unwrap();
    let ticket = info.endpoint[0].ticket.clone().unwrap();
    let mut stream = client.do_get(ticket).await.unwrap();
    let first = stream.next().await.expect("a first batch").unwrap();
    assert!(first.num_rows() > 0);
    (info, stream)
}

/// Reads on until the stream ends; the error it ends with, if any.
async fn drain(mut stream: FlightRecordBatchStream) -> Option<tonic::Status> {
    while let Some(item) = stream.next().await {
        if let Err(error) = item {
            return Some(status(error));
        }
    }
    None
}

async fn still_serves(server: &TestServer) {
    let mut client = server.client().await;
    let rows = query(&mut client, "SELECT count(*) AS n FROM silver.customers")
        .await
        .unwrap();
    assert_eq!(canonical_rows(&rows).len(), 1);
}

/// Sends CancelFlightInfo for `info`; the status the server answers.
pub async fn cancel(
    client: &mut FlightSqlServiceClient<Channel>,
    info: &FlightInfo,
) -> CancelStatus {
    let request = CancelFlightInfoRequest {
        info: Some(info.clone()),
    };
    let action = Action::new("CancelFlightInfo", request.encode_to_vec());
    let replies: Vec<_> = client.do_action(action).await.unwrap().collect().await;
    assert_eq!(replies.len(), 1);
    let reply = replies[0].as_ref().unwrap();
    CancelFlightInfoResult::decode(reply.body.as_ref())
        .unwrap()
        .status()
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_flight_info_stops_a_running_query() {
    let lake = test_lake();
    let server = TestServer::start(lake.path(), &[]);
    let mut client = server.client().await;
    let (info, stream) = start_endless(&mut client).await;
    assert_eq!(cancel(&mut client, &info).await, CancelStatus::Cancelled);
    let ended = drain(stream).await.expect("the stream ends with an error");
    assert_eq!(ended.code(), Code::Cancelled, "{ended:?}");
    let line = server.wait_for_log(&[ENDLESS, "outcome=\"Cancelled"]);
    assert!(!line.contains("rows=2000000000"), "{line}");
    still_serves(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_query_cancelled_before_its_do_get_ends_cancelled_there() {
    let lake = test_lake();
    let server = TestServer::start(lake.path(), &[]);
    let mut client = server.client().await;
    let info = client.execute(ENDLESS.into(), None).await.unwrap();
    assert_eq!(cancel(&mut client, &info).await, CancelStatus::Cancelled);
    let ticket = info.endpoint[0].ticket.clone().unwrap();
    let ended = match client.do_get(ticket).await {
        Ok(stream) => drain(stream).await.expect("the stream ends with an error"),
        Err(error) => status(error),
    };
    assert_eq!(ended.code(), Code::Cancelled, "{ended:?}");
    server.wait_for_log(&[ENDLESS, "rows=0", "outcome=\"Cancelled"]);
    // It ended: there is nothing left to cancel.
    assert_eq!(
        cancel(&mut client, &info).await,
        CancelStatus::NotCancellable
    );
    still_serves(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_disconnects_mid_stream_stops_its_query() {
    let lake = test_lake();
    let server = TestServer::start(lake.path(), &[]);
    let mut client = server.client().await;
    let (_, stream) = start_endless(&mut client).await;
    drop(stream);
    drop(client);
    let line = server.wait_for_log(&[ENDLESS, "outcome=\"client went away\""]);
    assert!(!line.contains("rows=2000000000"), "{line}");
    still_serves(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_query_past_the_time_limit_is_stopped() {
    let lake = test_lake();
    let server = TestServer::start(lake.path(), &["--query-timeout", "1"]);
    let mut client = server.client().await;
    let (_, stream) = start_endless(&mut client).await;
    let ended = drain(stream).await.expect("the stream ends with an error");
    assert_eq!(ended.code(), Code::DeadlineExceeded, "{ended:?}");
    still_serves(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn beyond_the_running_and_queued_queries_a_query_is_refused_until_one_ends() {
    let lake = test_lake();
    let server = TestServer::start(
        lake.path(),
        &["--max-concurrent-queries", "1", "--max-queued-queries", "0"],
    );
    let mut first = server.client().await;
    let (_, stream) = start_endless(&mut first).await;
    let mut second = server.client().await;
    let refused = query(&mut second, "SELECT 1").await.unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    drop(stream);
    drop(first);
    server.wait_for_log(&[ENDLESS, "outcome=\"client went away\""]);
    assert!(query(&mut second, "SELECT 1").await.is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_refuses_writes_with_permission_denied() {
    let lake = test_lake();
    let server = TestServer::start(lake.path(), &["--read-only"]);
    let mut client = server.client().await;
    for sql in [
        "CREATE VIEW gold.v AS SELECT 1",
        "INSERT INTO gold.summary SELECT * FROM gold.summary",
    ] {
        let refused = status(client.execute_update(sql.into(), None).await.unwrap_err());
        assert_eq!(refused.code(), Code::PermissionDenied, "{sql}: {refused:?}");
        let refused = status(client.execute(sql.into(), None).await.unwrap_err());
        assert_eq!(refused.code(), Code::PermissionDenied, "{sql}: {refused:?}");
    }
    still_serves(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_lets_running_queries_finish_within_the_grace_then_cancels_and_exits() {
    let lake = test_lake();
    let mut server = TestServer::start(lake.path(), &["--shutdown-grace", "1"]);
    let mut client = server.client().await;
    let (_, stream) = start_endless(&mut client).await;
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    server.wait_for_log(&["shutting down"]);
    let reader = tokio::spawn(drain(stream));
    let exit = server
        .wait_exit(Duration::from_secs(20))
        .expect("the server exits after the grace period");
    assert!(exit.success(), "{exit:?}");
    let log = server.log().join("\n");
    assert!(
        log.contains("cancelling the queries still running"),
        "{log}"
    );
    assert!(log.contains(ENDLESS), "{log}");
    let _ = reader.await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_query_over_the_memory_limit_fails_cleanly_and_others_go_on() {
    let lake = test_lake();
    let server = TestServer::start(lake.path(), &["--memory-limit-mb", "16"]);
    let mut client = server.client().await;
    // An aggregate whose state cannot spill: 20 million values in one array.
    let refused = query(&mut client, "SELECT array_agg(value) FROM range(20000000)")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    assert!(
        refused.message().contains("memory") || refused.message().contains("Resources"),
        "{refused:?}"
    );
    // A top-3 over as many rows holds little memory and succeeds.
    let sorted = query(
        &mut client,
        "SELECT value FROM range(5000000) ORDER BY value DESC LIMIT 3",
    )
    .await
    .unwrap();
    assert_eq!(
        canonical_rows(&sorted),
        vec!["value=4999997", "value=4999998", "value=4999999"]
    );
    still_serves(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_keeps_at_most_1024_prepared_statements_the_least_used_closing_first() {
    let lake = test_lake();
    let server = TestServer::start(lake.path(), &[]);
    let mut client = server.client().await;
    let mut oldest = client.prepare("SELECT 1 AS n".into(), None).await.unwrap();
    let mut kept = client.prepare("SELECT 2 AS n".into(), None).await.unwrap();
    for _ in 0..1023 {
        client.prepare("SELECT 3 AS n".into(), None).await.unwrap();
    }
    // The 1025th closed the least recently used, and only that one.
    let closed = status(oldest.execute().await.unwrap_err());
    assert_eq!(closed.code(), Code::NotFound, "{closed:?}");
    assert!(closed.message().contains("1024"), "{closed:?}");
    let info = kept.execute().await.unwrap();
    let ticket = info.endpoint[0].ticket.clone().unwrap();
    let batches: Vec<_> = client
        .do_get(ticket)
        .await
        .unwrap()
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(canonical_rows(&batches), vec!["n=2"]);
}
