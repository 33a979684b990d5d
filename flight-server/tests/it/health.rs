//! The gRPC health service, as a container orchestrator or load balancer probes it: without
//! logging in, over the server's own port.

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
