//! The gRPC health service, as a container orchestrator or load balancer probes it: without
//! logging in, over the server's own port.

use std::time::Duration;

use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::harness::{TestServer, test_lake};

async fn health_client(server: &TestServer) -> HealthClient<Channel> {
    let channel = Channel::from_shared(format!("http://{}", server.addr))
        .expect("the server's address")
        .connect()
        .await
        .expect("connect to the server");
    HealthClient::new(channel)
}

async fn status(client: &mut HealthClient<Channel>, service: &str) -> Result<i32, Code> {
    client
        .check(HealthCheckRequest {
            service: service.to_string(),
        })
        .await
        .map(|response| response.into_inner().status)
        .map_err(|status| status.code())
}

#[tokio::test(flavor = "multi_thread")]
async fn health_checks_answer_serving_without_a_login() {
    let lake = test_lake();
    let users = lake.path().join("_users");
    lakeshore_flight::auth::set_password(&users, "analyst", "secret").unwrap();
    let server = TestServer::start(lake.path(), &["--users", users.to_str().unwrap()]);
    let mut client = health_client(&server).await;
    let serving = Ok(ServingStatus::Serving as i32);
    assert_eq!(status(&mut client, "").await, serving);
    assert_eq!(
        status(&mut client, "arrow.flight.protocol.FlightService").await,
        serving
    );
    assert_eq!(
        status(&mut client, "no.such.Service").await,
        Err(Code::NotFound)
    );
}

/// A load balancer watching the health service hears NOT_SERVING as soon as shutdown begins,
/// before the server stops taking connections, so it sends no new clients.
#[tokio::test(flavor = "multi_thread")]
async fn health_turns_not_serving_once_shutdown_begins() {
    let lake = test_lake();
    let mut server = TestServer::start(lake.path(), &[]);
    let mut client = health_client(&server).await;
    let mut updates = client
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("watch the server's health")
        .into_inner();
    let first = updates
        .message()
        .await
        .unwrap()
        .expect("the current status");
    assert_eq!(first.status, ServingStatus::Serving as i32);
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let next = updates.message().await.unwrap().expect("a status update");
    assert_eq!(next.status, ServingStatus::NotServing as i32);
    drop(updates);
    let exit = server
        .wait_exit(Duration::from_secs(30))
        .expect("the server exits");
    assert!(exit.success(), "{exit:?}");
}

/// `lakeshore-server health HOST:PORT`, the container's HEALTHCHECK: exit code 0 and SERVING
/// for a serving server; exit code 1 and an error naming the address when nothing answers.
#[test]
fn the_health_subcommand_probes_a_running_server() {
    let lake = test_lake();
    let server = TestServer::start(lake.path(), &[]);
    let probe = |address: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_lakeshore-server"))
            .args(["health", address])
            .output()
            .expect("run lakeshore-server health")
    };
    let serving = probe(&server.addr.to_string());
    assert_eq!(serving.status.code(), Some(0), "{serving:?}");
    assert_eq!(String::from_utf8_lossy(&serving.stdout).trim(), "SERVING");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = closed.local_addr().unwrap().to_string();
    drop(closed);
    let refused = probe(&nowhere);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&nowhere), "{stderr}");
}
