//! The server's command line: what to serve, where, to whom, and within which limits. Each
//! option can also come from a `LAKESHORE_<OPTION>` environment variable or the `--config`
//! file (see [`crate::config_file`]).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand};
use lakeshore_engine::{Role, Staleness};

/// `lakeshore-server`: Arrow Flight SQL over a lake of Delta tables.
#[derive(Debug, Parser)]
#[command(name = "lakeshore-server", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Adds or replaces USER in the users FILE; the password is read from standard input.
    Passwd {
        file: PathBuf,
        user: String,
        /// What the user may do: reader (queries), writer (also CREATE, INSERT, ingest, COPY
        /// TO), admin (also SET of engine options). A new user without one is a writer; an
        /// existing user keeps theirs.
        #[arg(long, value_parser = parse_role)]
        role: Option<Role>,
        /// The layers (the lake's top-level schemas) the user may read, comma-separated, or
        /// `*` for all. A new user without the flag may read every layer; an existing user
        /// keeps theirs.
        #[arg(long, value_name = "LAYER,...")]
        layers: Option<String>,
    },
    /// Asks a running server's gRPC health service whether it serves; exits 0 if it does, 1
    /// if not (a container HEALTHCHECK). Plain gRPC only: probe a TLS server with
    /// grpc-health-probe.
    Health {
        /// The server's address.
        #[arg(default_value = "127.0.0.1:50051", value_name = "HOST:PORT")]
        address: String,
    },
}

/// How to serve the lake.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The lake root: a local folder or an object-store URI.
    #[arg(long, env = "LAKESHORE_LAKE")]
    pub lake: Option<String>,
    /// The address to listen on.
    #[arg(long, env = "LAKESHORE_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    /// A users file (`lakeshore-server passwd FILE USER` writes it); clients must log in.
    #[arg(long, env = "LAKESHORE_USERS")]
    pub users: Option<PathBuf>,
    /// The server's TLS certificate chain (PEM).
    #[arg(long, env = "LAKESHORE_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The server's TLS private key (PEM).
    #[arg(long, env = "LAKESHORE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Accept only clients with a certificate signed by this CA (PEM): mutual TLS.
    #[arg(long, env = "LAKESHORE_TLS_CLIENT_CA", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,
    /// An object-store option, KEY=VALUE, for every location (credentials, endpoints,
    /// timeouts); may be repeated. What is not given comes from each cloud's own chain.
    #[arg(
        long = "storage-option",
        env = "LAKESHORE_STORAGE_OPTION",
        hide_env_values = true,
        value_name = "KEY=VALUE"
    )]
    pub storage_options: Vec<String>,
    /// A TOML file of options: any option of this command as `name = value` (`listen =
    /// "0.0.0.0:50051"`, `read-only = true`, `allow-read = ["s3://b/x"]`), and object-store
    /// options by URI prefix in [storage."s3://bucket/lake"] sections of KEY = "VALUE" lines.
    /// The command line wins over the environment, which wins over the file.
    #[arg(long, env = "LAKESHORE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// How old a look at a table's log a query may reuse (e.g. 5s): dashboards' repeated
    /// queries then cost no request to the store. 0, the default, checks every query.
    #[arg(long, env = "LAKESHORE_MAX_STALENESS", value_name = "DURATION", default_value = "0", value_parser = Staleness::parse)]
    pub max_staleness: Staleness,
    /// A prefix (local folder or object-store URI) that statements may read besides the lake:
    /// external tables, delta_scan and the like; may be repeated. Nothing else outside the
    /// lake is read.
    #[arg(
        long = "allow-read",
        env = "LAKESHORE_ALLOW_READ",
        value_name = "PREFIX"
    )]
    pub allow_read: Vec<String>,
    /// A prefix that COPY ... TO may write into; may be repeated. Without one, COPY TO is
    /// refused.
    #[arg(
        long = "allow-copy-to",
        env = "LAKESHORE_ALLOW_COPY_TO",
        value_name = "PREFIX"
    )]
    pub allow_copy_to: Vec<String>,
    /// Refuse DDL, DML and ingest.
    #[arg(long, env = "LAKESHORE_READ_ONLY", value_parser = BoolishValueParser::new())]
    pub read_only: bool,
    /// Serve without authentication on an address other than loopback.
    #[arg(long, env = "LAKESHORE_INSECURE_NO_AUTH", value_parser = BoolishValueParser::new())]
    pub insecure_no_auth: bool,
    /// The longest a query may run, in seconds (0: no limit).
    #[arg(long, env = "LAKESHORE_QUERY_TIMEOUT", default_value_t = 300)]
    pub query_timeout: u64,
    /// How many queries run at once; more wait in a queue.
    #[arg(long, env = "LAKESHORE_MAX_CONCURRENT_QUERIES", default_value_t = 16)]
    pub max_concurrent_queries: usize,
    /// How many queries may wait for a slot; beyond it a query is refused.
    #[arg(long, env = "LAKESHORE_MAX_QUEUED_QUERIES", default_value_t = 64)]
    pub max_queued_queries: usize,
    /// Memory all queries together may hold, in MiB; sorts, joins and aggregates spill past it.
    #[arg(long, env = "LAKESHORE_MEMORY_LIMIT_MB")]
    pub memory_limit_mb: Option<usize>,
    /// Data files' bytes kept in memory for the queries that read them again, in MiB; 0 keeps
    /// none (default: a quarter of the machine's or container's memory). Under
    /// --memory-limit-mb, held within it too, and given back to queries that need it.
    #[arg(long, env = "LAKESHORE_DATA_CACHE_MB")]
    pub data_cache_mb: Option<u64>,
    /// The largest gRPC message accepted or sent, in MiB (ingest sends large batches).
    #[arg(long, env = "LAKESHORE_MAX_MESSAGE_MB", default_value_t = 64)]
    pub max_message_mb: usize,
    /// How long a login token stays valid, in seconds.
    #[arg(long, env = "LAKESHORE_TOKEN_LIFETIME", default_value_t = 12 * 3600)]
    pub token_lifetime: u64,
    /// On SIGTERM or Ctrl-C, how long running queries may take to finish, in seconds.
    #[arg(long, env = "LAKESHORE_SHUTDOWN_GRACE", default_value_t = 10)]
    pub shutdown_grace: u64,
    /// Serve Prometheus metrics at http://HOST:PORT/metrics (off unless given).
    #[arg(long, env = "LAKESHORE_METRICS_LISTEN", value_name = "HOST:PORT")]
    pub metrics_listen: Option<SocketAddr>,
    /// Run queries on a cluster of `lakeshore-worker`s: their URLs (`http://HOST:PORT`),
    /// comma-separated or repeated. This server plans (same catalog, SQL and endpoint) and
    /// the workers scan and compute. Without it everything runs in this process.
    #[arg(
        long = "cluster",
        env = "LAKESHORE_CLUSTER",
        value_name = "URL",
        value_delimiter = ','
    )]
    pub cluster: Vec<String>,
}

impl ServeArgs {
    /// The per-query time limit, if any.
    pub fn query_timeout(&self) -> Option<Duration> {
        (self.query_timeout > 0).then(|| Duration::from_secs(self.query_timeout))
    }

    pub fn max_message_bytes(&self) -> usize {
        self.max_message_mb.saturating_mul(1024 * 1024)
    }
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| format!("unknown role {text:?}: reader, writer or admin"))
}
