//! `lakeshore-worker`: one worker of a Lakeshore cluster. It runs the stages a coordinator
//! (`lakeshore-server --cluster URL,...`) sends, reading the lake's files itself with its own
//! storage options.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use lakeshore_cluster::WorkerServer;
use lakeshore_engine::{EngineConfig, StorageOptions};

#[derive(Debug, Parser)]
#[command(
    name = "lakeshore-worker",
    version,
    about = "One worker of a Lakeshore cluster"
)]
struct Args {
    /// Where the coordinator reaches this worker.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:50061")]
    listen: SocketAddr,
    /// Object-store options (credentials, endpoints), as lakeshore-server takes them; the
    /// coordinator never sends any.
    #[arg(long = "storage-option", value_name = "KEY=VALUE")]
    storage_options: Vec<String>,
    /// A configuration file with storage options, as lakeshore-server reads it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data files' bytes kept in memory for the stages that read them again, in MiB; 0 keeps
    /// none (default: a quarter of the machine's or container's memory).
    #[arg(long, env = "LAKESHORE_DATA_CACHE_MB", value_name = "N")]
    data_cache_mb: Option<u64>,
}

fn main() -> std::process::ExitCode {
    lakeshore_engine::allocator::reuse_freed_memory();
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("Error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(|| lakeshore_engine::RedactedStderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LAKESHORE_LOG")
                .unwrap_or_else(|_| "warn,lakeshore_worker=info,lakeshore_cluster=info".into()),
        )
        .init();
    let storage = StorageOptions::from_command_line(&args.storage_options, args.config.as_deref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async {
        let data_cache_bytes = args.data_cache_mb.map_or_else(
            || EngineConfig::default().data_cache_bytes,
            |mb| mb.saturating_mul(1024 * 1024),
        );
        let server = WorkerServer::bind(args.listen, storage, data_cache_bytes).await?;
        tracing::info!("listening on {}", server.local_addr()?);
        server
            .serve(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok(())
    })
}
