//! Serving: bind the address, with TLS (and client certificates) when configured, answer
//! gRPC health checks, serve metrics when asked to, log `listening on HOST:PORT`, and shut
//! down gracefully: report NOT_SERVING, stop accepting, let running queries finish within a
//! bound, then cancel what still runs.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use arrow_flight::flight_service_server::FlightServiceServer;
use lakeshore_cluster::ClusterDistribution;
use lakeshore_engine::{AccessConfig, Engine, EngineConfig, StorageOptions};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Certificate, Identity, ServerTlsConfig};
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::auth::Authenticator;
use crate::config::ServeArgs;
use crate::error::{Result, ServerError};
use crate::gateway::Gateway;
use crate::limits::QueryLimits;
use crate::metrics::MetricsEndpoint;
use crate::service::SqlService;

/// After the grace period and cancelling, how long closing streams may take.
const CANCEL_WAIT: Duration = Duration::from_secs(2);

/// A server bound to its address, ready to run.
pub struct FlightServer {
    /// The connections it accepts, with their socket options set (see [`accepted_without_delay`]).
    connections: TcpIncoming,
    service: FlightServiceServer<Gateway>,
    sql: Arc<SqlService>,
    /// Where Prometheus scrapes, when `--metrics-listen` is given.
    metrics: Option<MetricsEndpoint>,
    tls: Option<ServerTlsConfig>,
    limits: Arc<QueryLimits>,
    grace: Duration,
}

impl FlightServer {
    /// Opens the lake and binds the address; refuses to serve without users on an address
    /// other than loopback unless told to.
    pub async fn bind(args: &ServeArgs) -> Result<Self> {
        if args.users.is_none() && !args.insecure_no_auth && !args.listen.ip().is_loopback() {
            return Err(ServerError::Config(format!(
                "refusing to serve {} without authentication: give --users FILE (made with \
                 `lakeshore-server passwd FILE USER`), or --insecure-no-auth",
                args.listen
            )));
        }
        let tls = tls_config(args)?;
        let lake = args.lake.clone().ok_or_else(|| {
            ServerError::Config(
                "no lake: give --lake URI (or set LAKESHORE_LAKE, or `lake` in the --config file)"
                    .to_string(),
            )
        })?;
        let mut config = EngineConfig::for_lake(lake);
        config.storage =
            StorageOptions::from_command_line(&args.storage_options, args.config.as_deref())?;
        config.max_staleness = args.max_staleness.0;
        config.memory_limit = args
            .memory_limit_mb
            .map(|mb| mb.saturating_mul(1024 * 1024));
        if let Some(mb) = args.data_cache_mb {
            config.data_cache_bytes = mb.saturating_mul(1024 * 1024);
        }
        config.read_only = args.read_only;
        // A server reaches its lake and what the operator allows, nothing else.
        config.access = Some(AccessConfig {
            allow_read: args.allow_read.clone(),
            allow_copy_to: args.allow_copy_to.clone(),
        });
        if !args.cluster.is_empty() {
            let cluster = ClusterDistribution::new(&args.cluster)
                .map_err(|error| ServerError::Config(error.to_string()))?;
            tracing::info!(
                "running queries on {} worker(s): {}",
                cluster.workers().len(),
                cluster
                    .workers()
                    .iter()
                    .map(|url| url.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            config.distribution = Some(Arc::new(cluster));
        }
        let engine = Arc::new(Engine::open(config).await?);
        let auth = Arc::new(Authenticator::new(
            args.users.as_deref(),
            Duration::from_secs(args.token_lifetime),
        )?);
        let limits = Arc::new(QueryLimits::new(
            args.max_concurrent_queries,
            args.max_queued_queries,
            args.query_timeout(),
        ));
        let sql = Arc::new(SqlService::new(
            engine,
            auth,
            limits.clone(),
            args.read_only,
        )?);
        let service = FlightServiceServer::new(Gateway::new(sql.clone()))
            .max_decoding_message_size(args.max_message_bytes())
            .max_encoding_message_size(args.max_message_bytes());
        let listener = TcpListener::bind(args.listen).await.map_err(|error| {
            ServerError::Config(format!("cannot listen on {}: {error}", args.listen))
        })?;
        let metrics = match args.metrics_listen {
            Some(address) => Some(MetricsEndpoint::bind(address).await?),
            None => None,
        };
        Ok(Self {
            connections: accepted_without_delay(listener),
            service,
            sql,
            metrics,
            tls,
            limits,
            grace: Duration::from_secs(args.shutdown_grace),
        })
    }

    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.connections
            .local_addr()
            .map_err(|error| ServerError::Internal(format!("the bound address: {error}")))
    }

    /// Serves until `shutdown` resolves, then shuts down gracefully.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<()> {
        let address = self.local_addr()?;
        let mut builder = tonic::transport::Server::builder();
        if let Some(tls) = self.tls {
            builder = builder
                .tls_config(tls)
                .map_err(|error| ServerError::Config(format!("TLS: {error}")))?;
        }
        // Dropped (so stopped) when `run` returns, however it returns.
        let mut scrapes = JoinSet::new();
        if let Some(endpoint) = self.metrics {
            tracing::info!(
                "serving metrics at http://{}/metrics",
                endpoint.local_addr()?
            );
            let sql = self.sql.clone();
            scrapes.spawn(
                endpoint.serve(self.sql.metrics().clone(), Arc::new(move || sql.activity())),
            );
        }
        let (health, health_service) = tonic_health::server::health_reporter();
        set_health(&health, ServingStatus::Serving).await;
        let stop = Arc::new(tokio::sync::Notify::new());
        let stopped = stop.clone();
        let serving = builder
            .add_service(health_service)
            .add_service(self.service)
            .serve_with_incoming_shutdown(
                self.connections,
                async move { stopped.notified().await },
            );
        tokio::pin!(serving);
        tracing::info!("listening on {address}");
        tokio::select! {
            result = &mut serving => return served(result),
            () = shutdown => {}
        }
        // Before connections close: a load balancer watching the health service hears it first.
        set_health(&health, ServingStatus::NotServing).await;
        let running = self.limits.running_count();
        tracing::info!(
            running,
            "shutting down: no new connections; running queries may finish"
        );
        stop.notify_one();
        if let Ok(result) = tokio::time::timeout(self.grace, &mut serving).await {
            return served(result);
        }
        tracing::info!(
            running = self.limits.running_count(),
            "shutting down: cancelling the queries still running"
        );
        self.limits.cancel_all();
        match tokio::time::timeout(CANCEL_WAIT, &mut serving).await {
            Ok(result) => served(result),
            Err(_) => Ok(()),
        }
    }
}

/// Sets what the gRPC health service (`grpc.health.v1.Health`) answers, which load balancers
/// and container orchestrators probe without logging in, for the server as a whole (`""`) and
/// for the Flight service: SERVING from the start (the lake is open before the server listens,
/// so whoever can ask is served), NOT_SERVING once shutdown begins.
async fn set_health(reporter: &HealthReporter, status: ServingStatus) {
    reporter.set_service_status("", status).await;
    reporter
        .set_service_status(
            <FlightServiceServer<Gateway> as tonic::server::NamedService>::NAME,
            status,
        )
        .await;
}

/// The connections `listener` accepts, with Nagle's algorithm off. Tonic sets TCP_NODELAY only
/// on listeners it binds itself; without it, a small response waits for the client's delayed
/// ACK, about 40 ms per round trip on loopback, which a dashboard's many small queries pay.
/// TLS runs over these same sockets, so TLS connections get it too.
fn accepted_without_delay(listener: TcpListener) -> TcpIncoming {
    TcpIncoming::from(listener).with_nodelay(Some(true))
}

fn served(result: Result<(), tonic::transport::Error>) -> Result<()> {
    result.map_err(|error| ServerError::Internal(format!("serving: {error}")))
}

fn tls_config(args: &ServeArgs) -> Result<Option<ServerTlsConfig>> {
    let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) else {
        return Ok(None);
    };
    use_ring_for_tls();
    let identity = Identity::from_pem(read_pem(cert)?, read_pem(key)?);
    let mut tls = ServerTlsConfig::new().identity(identity);
    if let Some(ca) = &args.tls_client_ca {
        tls = tls.client_ca_root(Certificate::from_pem(read_pem(ca)?));
    }
    Ok(Some(tls))
}

/// Picks ring as rustls' crypto provider: the dependency graph enables two providers, and
/// rustls then wants to be told. Later calls (and an embedder's own choice) win nothing and
/// change nothing.
pub fn use_ring_for_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn read_pem(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|error| ServerError::Config(format!("cannot read {}: {error}", path.display())))
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use futures::StreamExt;
    use tokio::net::TcpStream;

    use super::*;
    use crate::config::Cli;

    /// The socket the server accepts for a client, taken from the very connection stream that
    /// `run` serves, has Nagle's algorithm off. (Before, tonic was handed the bare listener and
    /// accepted sockets kept the OS default, TCP_NODELAY off.)
    #[tokio::test]
    async fn accepted_connections_have_tcp_nodelay() {
        let lake = tempfile::tempdir().expect("a temporary folder for an empty lake");
        let lake = lake.path().to_str().expect("a UTF-8 temporary path");
        let cli = Cli::parse_from([
            "lakeshore-server",
            "--lake",
            lake,
            "--listen",
            "127.0.0.1:0",
        ]);
        let mut server = FlightServer::bind(&cli.serve).await.expect("bind");
        let address = server.local_addr().expect("the bound address");
        let _client = TcpStream::connect(address).await.expect("connect");
        let accepted = server
            .connections
            .next()
            .await
            .expect("a connection")
            .expect("accepted");
        assert!(accepted.nodelay().expect("read TCP_NODELAY"));
    }
}
