//! Flight SQL fuzzing: random bytes, truncated and bit-flipped protobufs in every RPC, garbage
//! tickets and oversized messages each end in an error status (or a proper answer), never a
//! crash; and the server keeps serving the clients that behave.
//!
//! `LAKESHORE_FUZZ_REQUESTS` (default 400) and `LAKESHORE_FUZZ_SEED` set the run;
//! `LAKESHORE_FUZZ_SHOW` prints each refusal.

use std::time::Duration;

use arrow_flight::sql::{
    Any, CommandGetDbSchemas, CommandGetTables, CommandPreparedStatementQuery,
    CommandStatementIngest, CommandStatementQuery, CommandStatementUpdate, ProstMessageExt,
    TicketStatementQuery,
};
use arrow_flight::{Action, Criteria, FlightData, FlightDescriptor, HandshakeRequest, Ticket};
use bytes::Bytes;
use futures::StreamExt;
use prost::Message;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tonic::Code;

use crate::harness::{TestServer, query, test_lake};

/// Past this, a request is taken to hang the server.
const REQUEST_LIMIT: Duration = Duration::from_secs(60);

const ACTIONS: &[&str] = &[
    "CreatePreparedStatement",
    "ClosePreparedStatement",
    "CreatePreparedSubstraitPlan",
    "BeginTransaction",
    "EndTransaction",
    "CancelQuery",
    "CancelFlightInfo",
    "SetSessionOptions",
    "GetSessionOptions",
    "CloseSession",
    "RenewFlightEndpoint",
    "NoSuchAction",
];

#[tokio::test(flavor = "multi_thread")]
async fn garbage_in_every_rpc_gets_an_error_and_the_server_goes_on() {
    let requests = lakeshore_tests::fuzz_setting("LAKESHORE_FUZZ_REQUESTS", 400) as usize;
    let seed = lakeshore_tests::fuzz_setting("LAKESHORE_FUZZ_SEED", 20261204);
    let lake = test_lake();
    let mut server = TestServer::start(lake.path(), &["--max-message-mb", "1"]);
    let mut well_behaved = server.client().await;
    let valid = valid_messages(&server).await;
    let show_refusals = std::env::var_os("LAKESHORE_FUZZ_SHOW").is_some();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut client = server.client().await;
    let mut codes = std::collections::BTreeMap::new();
    for n in 0..requests {
        let payload = payload(&mut rng, &valid);
        let flight = client.inner_mut();
        let rpc = rng.random_range(0..8);
        let outcome = tokio::time::timeout(REQUEST_LIMIT, async {
            match rpc {
                0 => flight
                    .get_flight_info(FlightDescriptor::new_cmd(payload))
                    .await
                    .map(|_| ()),
                1 => flight
                    .get_schema(FlightDescriptor::new_cmd(payload))
                    .await
                    .map(|_| ()),
                2 => drain(flight.do_get(Ticket::new(payload)).await).await,
                3 => {
                    let action = Action::new(ACTIONS[n % ACTIONS.len()], payload);
                    drain(flight.do_action(action).await).await
                }
                4 => {
                    let data = FlightData {
                        flight_descriptor: Some(FlightDescriptor::new_cmd(payload.clone())),
                        data_header: payload.clone(),
                        data_body: payload,
                        ..Default::default()
                    };
                    drain(flight.do_put(futures::stream::iter([data])).await).await
                }
                5 => {
                    let handshake = HandshakeRequest {
                        protocol_version: 0,
                        payload,
                    };
                    drain(flight.handshake(futures::stream::iter([handshake])).await).await
                }
                6 => {
                    drain(
                        flight
                            .list_flights(Criteria {
                                expression: payload,
                            })
                            .await,
                    )
                    .await
                }
                _ => flight
                    .poll_flight_info(FlightDescriptor::new_cmd(payload))
                    .await
                    .map(|_| ()),
            }
        })
        .await;
        match outcome {
            Err(_) => panic!("request {n} (rpc {rpc}, seed {seed}) hung the server"),
            Ok(Ok(())) => *codes.entry("OK".to_string()).or_insert(0) += 1,
            Ok(Err(status)) => {
                *codes.entry(format!("{:?}", status.code())).or_insert(0) += 1;
                if show_refusals {
                    println!(
                        "refused: rpc {rpc}: {:?}: {}",
                        status.code(),
                        status.message()
                    );
                }
                assert!(
                    !status.message().contains("panicked"),
                    "request {n} (rpc {rpc}): {status:?}"
                );
                assert!(
                    status.code() != Code::Unknown,
                    "request {n} (rpc {rpc}) got no proper status: {status:?}"
                );
                // Garbage is the client's fault, never the server's.
                assert!(
                    status.code() != Code::Internal,
                    "request {n} (rpc {rpc}, seed {seed}) was taken for a fault of the server: \
                     {status:?}"
                );
            }
        }
        if n % 50 == 49 {
            assert_serves(&mut well_behaved).await;
        }
    }

    // A ticket over the server's message limit is refused as too large.
    let oversized = Bytes::from(vec![b'x'; 2 * 1024 * 1024]);
    let status = client
        .inner_mut()
        .do_get(Ticket::new(oversized))
        .await
        .expect_err("a 2 MiB ticket is over the 1 MiB limit");
    assert!(
        matches!(status.code(), Code::ResourceExhausted | Code::OutOfRange),
        "{status:?}"
    );

    assert_serves(&mut well_behaved).await;
    assert_serves(&mut server.client().await).await;
    assert!(
        server.wait_exit(Duration::from_millis(100)).is_none(),
        "the server is still running"
    );
    let log = server.log().join("\n");
    assert!(!log.contains("panicked"), "the server's log:\n{log}");
    println!("flight fuzz: {requests} requests (seed {seed}): {codes:?}");
}

/// A command that names a Flight SQL message whose content does not decode as one is the
/// client's mistake, in every RPC that takes a command: INVALID_ARGUMENT, in a sentence that
/// names the RPC, not a Rust debug form.
#[tokio::test(flavor = "multi_thread")]
async fn a_garbled_flight_sql_command_is_an_invalid_argument_naming_the_rpc() {
    let lake = test_lake();
    let server = TestServer::start(lake.path(), &[]);
    let mut client = server.client().await;
    // Field 1 (the query) declared far longer than the bytes that follow.
    let garbled: Bytes = Any {
        type_url: "type.googleapis.com/arrow.flight.protocol.sql.CommandStatementQuery".to_string(),
        value: Bytes::from_static(b"\x0a\xff\xff\x03abc"),
    }
    .encode_to_vec()
    .into();
    let flight = client.inner_mut();
    let refusals = [
        (
            "GetFlightInfo",
            flight
                .get_flight_info(FlightDescriptor::new_cmd(garbled.clone()))
                .await
                .map(|_| ()),
        ),
        (
            "GetSchema",
            flight
                .get_schema(FlightDescriptor::new_cmd(garbled.clone()))
                .await
                .map(|_| ()),
        ),
        (
            "DoGet",
            drain(flight.do_get(Ticket::new(garbled.clone())).await).await,
        ),
        (
            "DoPut",
            drain(
                flight
                    .do_put(futures::stream::iter([FlightData {
                        flight_descriptor: Some(FlightDescriptor::new_cmd(garbled.clone())),
                        ..Default::default()
                    }]))
                    .await,
            )
            .await,
        ),
        (
            "DoAction CreatePreparedStatement",
            drain(
                flight
                    .do_action(Action::new("CreatePreparedStatement", garbled.clone()))
                    .await,
            )
            .await,
        ),
    ];
    for (rpc, outcome) in refusals {
        let status = outcome.expect_err(rpc);
        assert_eq!(status.code(), Code::InvalidArgument, "{rpc}: {status:?}");
        let message = status.message();
        assert!(
            message.starts_with(&format!("the {rpc} command is not a Flight SQL command")),
            "{rpc}: {message}"
        );
        assert!(
            message.contains("CommandStatementQuery"),
            "{rpc}: {message}"
        );
        assert!(
            !message.contains("ParseError") && !message.contains("DecodeError"),
            "{rpc}: {message}"
        );
    }
    assert_serves(&mut client).await;
}

async fn assert_serves(
    client: &mut arrow_flight::sql::client::FlightSqlServiceClient<tonic::transport::Channel>,
) {
    let rows = query(client, "SELECT count(*) AS n FROM silver.customers")
        .await
        .expect("the server still answers a proper query");
    assert_eq!(rows.iter().map(|batch| batch.num_rows()).sum::<usize>(), 1);
}

/// Reads a streaming answer to its end, as a client would.
async fn drain<T>(
    response: Result<tonic::Response<tonic::Streaming<T>>, tonic::Status>,
) -> Result<(), tonic::Status> {
    let mut stream = response?.into_inner();
    while let Some(item) = stream.next().await {
        item?;
    }
    Ok(())
}

/// Encoded messages a real client sends: commands wrapped in `Any`, and a real ticket.
async fn valid_messages(server: &TestServer) -> Vec<Vec<u8>> {
    let mut messages: Vec<Vec<u8>> = vec![
        CommandStatementQuery {
            query: "SELECT * FROM silver.customers WHERE name <> 'O''Brien'".to_string(),
            transaction_id: None,
        }
        .as_any()
        .encode_to_vec(),
        CommandStatementUpdate {
            query: "INSERT INTO gold.nowhere VALUES (1)".to_string(),
            transaction_id: None,
        }
        .as_any()
        .encode_to_vec(),
        CommandGetTables {
            catalog: None,
            db_schema_filter_pattern: Some("%".to_string()),
            table_name_filter_pattern: None,
            table_types: vec![],
            include_schema: true,
        }
        .as_any()
        .encode_to_vec(),
        CommandGetDbSchemas::default().as_any().encode_to_vec(),
        CommandPreparedStatementQuery {
            prepared_statement_handle: Bytes::from_static(b"no such handle"),
        }
        .as_any()
        .encode_to_vec(),
        TicketStatementQuery {
            statement_handle: Bytes::from_static(b"no such statement"),
        }
        .as_any()
        .encode_to_vec(),
        CommandStatementIngest {
            table: "t".to_string(),
            ..Default::default()
        }
        .as_any()
        .encode_to_vec(),
        Any {
            type_url: "type.googleapis.com/arrow.flight.protocol.sql.NoSuchCommand".to_string(),
            value: Bytes::from_static(b"\x0a\x03abc"),
        }
        .encode_to_vec(),
    ];
    let mut client = server.client().await;
    let info = client
        .execute("SELECT * FROM silver.customers".to_string(), None)
        .await
        .expect("a proper query plans");
    if let Some(ticket) = info.endpoint.first().and_then(|e| e.ticket.clone()) {
        messages.push(ticket.ticket.to_vec());
    }
    messages
}

/// Random bytes, or a real message cut short, or a real message with bytes flipped, or a real
/// command whose content (inside its `Any`) is cut short.
fn payload(rng: &mut StdRng, valid: &[Vec<u8>]) -> Bytes {
    let message = &valid[rng.random_range(0..valid.len())];
    let bytes = match rng.random_range(0..5) {
        0 => (0..rng.random_range(0..256))
            .map(|_| rng.random())
            .collect(),
        1 => message[..rng.random_range(0..=message.len())].to_vec(),
        2 => {
            let mut flipped = message.clone();
            for _ in 0..rng.random_range(1..4) {
                if !flipped.is_empty() {
                    let at = rng.random_range(0..flipped.len());
                    flipped[at] ^= 1 << rng.random_range(0..8);
                }
            }
            flipped
        }
        3 => match Any::decode(message.as_slice()) {
            Ok(mut any) if !any.value.is_empty() => {
                let cut = rng.random_range(0..any.value.len());
                any.value = any.value.slice(..cut);
                any.encode_to_vec()
            }
            _ => message.clone(),
        },
        _ => message.clone(),
    };
    Bytes::from(bytes)
}
