//! `lakeshore-server`: serves a lake over Arrow Flight SQL; `lakeshore-server passwd FILE USER`
//! adds a user.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};
use clap::Parser;
use lakeshore_flight::{Cli, Command, FlightServer};

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("Error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Command::Passwd {
        file,
        user,
        role,
        layers,
    }) = cli.command
    {
        let mut password = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut password)
            .context("reading the password from standard input")?;
        let password = password.trim_end_matches(['\n', '\r']);
        if password.is_empty() {
            bail!("the password is empty: write it to standard input");
        }
        let layers = layers.as_deref().map(lakeshore_engine::Layers::parse);
        lakeshore_flight::auth::set_account(&file, &user, password, role, layers)?;
        eprintln!("stored a password for {user} in {}", file.display());
        return Ok(());
    }
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
        let server = FlightServer::bind(&cli.serve).await?;
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
