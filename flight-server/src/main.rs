//! `lakeshore-server`: serves a lake over Arrow Flight SQL; `lakeshore-server passwd FILE USER`
//! adds a user; `lakeshore-server health HOST:PORT` asks a running server whether it serves.

use std::io::{BufRead, IsTerminal};
use std::path::Path;

use anyhow::{Context, bail};
use lakeshore_flight::config_file::parse_command_line;
use lakeshore_flight::{Command, FlightServer, ServeArgs};
use tonic_health::pb::health_check_response::ServingStatus;

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
    let cli = parse_command_line(std::env::args_os()).unwrap_or_else(|error| error.exit());
    match cli.command {
        Some(Command::Passwd {
            file,
            user,
            role,
            layers,
        }) => add_user(&file, &user, role, layers.as_deref()),
        Some(Command::Health { address }) => check_health(&address),
        None => serve(&cli.serve),
    }
}

fn add_user(
    file: &Path,
    user: &str,
    role: Option<lakeshore_engine::Role>,
    layers: Option<&str>,
) -> anyhow::Result<()> {
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("reading the password from standard input")?;
    let password = password.trim_end_matches(['\n', '\r']);
    if password.is_empty() {
        bail!("the password is empty: write it to standard input");
    }
    let layers = layers.map(lakeshore_engine::Layers::parse);
    lakeshore_flight::auth::set_account(file, user, password, role, layers)?;
    eprintln!("stored a password for {user} in {}", file.display());
    Ok(())
}

/// Prints the server's status; an error (exit code 1) unless it is SERVING.
fn check_health(address: &str) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let status = runtime.block_on(lakeshore_flight::health_probe::probe(address))?;
    println!("{}", status.as_str_name());
    if status != ServingStatus::Serving {
        bail!("{address} is not serving");
    }
    Ok(())
}

fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    // One line per query and the server's own events; dependencies speak up only to warn.
    tracing_subscriber::fmt()
        .with_writer(|| lakeshore_engine::RedactedStderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LAKESHORE_LOG")
                .unwrap_or_else(|_| "warn,lakeshore_flight=info,lakeshore_engine=info".into()),
        )
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async {
        let server = FlightServer::bind(args).await?;
        server.run(shutdown_signal()).await?;
        Ok(())
    })
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
