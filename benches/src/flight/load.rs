//! The load: clients with a connection each, all calling one case at once, timed call by call.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use arrow_flight::sql::client::FlightSqlServiceClient;
use arrow_flight::{Empty, FlightInfo};
use futures::TryStreamExt;
use tonic::transport::{Channel, Endpoint};

/// What one timed call does.
#[derive(Debug, Clone)]
enum Call {
    /// `ListActions`: one bare gRPC round trip that the server answers without the engine.
    ListActions,
    /// A statement: GetFlightInfo, then DoGet of every endpoint, drained.
    Sql(String),
    /// What a JDBC driver does for one query: create a prepared statement, GetFlightInfo of
    /// it, DoGet of every endpoint, drained, and close it.
    Prepared(String),
}

#[derive(Debug, Clone)]
pub struct Case {
    name: String,
    call: Call,
}

impl Case {
    pub fn floor(name: &str) -> Self {
        Self {
            name: name.to_string(),
            call: Call::ListActions,
        }
    }

    pub fn sql(name: &str, sql: &str) -> Self {
        Self {
            name: name.to_string(),
            call: Call::Sql(sql.to_string()),
        }
    }

    pub fn prepared(name: &str, sql: &str) -> Self {
        Self {
            name: name.to_string(),
            call: Call::Prepared(sql.to_string()),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

/// One case's latencies over every client's calls.
pub struct CaseResult {
    pub p50: Duration,
    pub p99: Duration,
}

/// Runs `clients` clients at once, each calling `case` `rounds` times (after one warm-up call).
/// Each case runs alone, so its latency is its own and not the queue behind other cases.
pub async fn measure(url: &str, case: &Case, clients: usize, rounds: usize) -> Result<CaseResult> {
    let mut connected = Vec::with_capacity(clients);
    for _ in 0..clients {
        connected.push(connect(url).await?);
    }
    // Every client starts at once, so the concurrency is what was asked for.
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(clients));
    let tasks: Vec<_> = connected
        .into_iter()
        .map(|client| {
            let case = case.clone();
            let start = start.clone();
            tokio::spawn(async move { one_client(client, &case, rounds, &start).await })
        })
        .collect();
    let mut samples = Vec::with_capacity(clients * rounds);
    for task in tasks {
        samples.extend(task.await.context("a client task")??);
    }
    samples.sort();
    Ok(CaseResult {
        p50: nearest_rank(&samples, 0.50),
        p99: nearest_rank(&samples, 0.99),
    })
}

async fn connect(url: &str) -> Result<FlightSqlServiceClient<Channel>> {
    let http = url.replacen("grpc://", "http://", 1);
    let channel = Endpoint::from_shared(http.clone())
        .with_context(|| format!("{url} is not a server address"))?
        // Tonic's default, said here because the benchmark is about it: no Nagle on our side.
        .tcp_nodelay(true)
        .connect()
        .await
        .with_context(|| format!("cannot connect to {url}"))?;
    Ok(FlightSqlServiceClient::new(channel))
}

/// One client's samples of `case`.
async fn one_client(
    mut client: FlightSqlServiceClient<Channel>,
    case: &Case,
    rounds: usize,
    start: &tokio::sync::Barrier,
) -> Result<Vec<Duration>> {
    call(&mut client, &case.call)
        .await
        .with_context(|| format!("warm-up of {}", case.name))?;
    start.wait().await;
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        call(&mut client, &case.call)
            .await
            .with_context(|| case.name.clone())?;
        samples.push(started.elapsed());
    }
    Ok(samples)
}

async fn call(client: &mut FlightSqlServiceClient<Channel>, call: &Call) -> Result<()> {
    match call {
        Call::ListActions => {
            let mut actions = client
                .inner_mut()
                .list_actions(Empty {})
                .await
                .context("ListActions")?
                .into_inner();
            while actions.message().await.context("ListActions")?.is_some() {}
        }
        Call::Sql(sql) => {
            let info = client.execute(sql.clone(), None).await?;
            drain(client, info, sql).await?;
        }
        Call::Prepared(sql) => {
            let mut prepared = client.prepare(sql.clone(), None).await?;
            let info = prepared.execute().await?;
            drain(client, info, sql).await?;
            prepared.close().await?;
        }
    }
    Ok(())
}

/// Fetches every endpoint of `info`, the answer to `sql`, to the end.
async fn drain(
    client: &mut FlightSqlServiceClient<Channel>,
    info: FlightInfo,
    sql: &str,
) -> Result<()> {
    let mut rows = 0;
    for endpoint in info.endpoint {
        let ticket = endpoint.ticket.context("an endpoint without a ticket")?;
        let batches: Vec<_> = client.do_get(ticket).await?.try_collect().await?;
        rows += batches.iter().map(|batch| batch.num_rows()).sum::<usize>();
    }
    // An empty answer would mean the case measured something else (a wrong lake).
    anyhow::ensure!(rows > 0, "{sql} returned no row");
    Ok(())
}

/// The nearest-rank percentile of sorted samples (zero for none).
fn nearest_rank(sorted: &[Duration], fraction: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (fraction * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
