//! `lakeshore-server health HOST:PORT`: the gRPC health check a container's HEALTHCHECK runs,
//! so the image needs no separate probe program.

use std::time::Duration;

use tonic::transport::Endpoint;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::error::{Result, ServerError};

/// Longer than a healthy server needs to answer, shorter than a HEALTHCHECK's own timeout.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// What the server at `address` (HOST:PORT) says of itself as a whole (service `""`).
pub async fn probe(address: &str) -> Result<ServingStatus> {
    let unreachable =
        |error: &dyn std::fmt::Display| ServerError::Config(format!("{address}: {error}"));
    let channel = Endpoint::from_shared(format!("http://{address}"))
        .map_err(|error| unreachable(&error))?
        .connect_timeout(PROBE_TIMEOUT)
        .timeout(PROBE_TIMEOUT)
        .connect()
        .await
        .map_err(|error| unreachable(&error))?;
    let response = HealthClient::new(channel)
        .check(HealthCheckRequest::default())
        .await
        .map_err(|status| unreachable(&status.message()))?;
    Ok(response.into_inner().status())
}
