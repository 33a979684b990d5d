//! `lakeshore`: SQL over a Delta lake, from the command line or an interactive shell, on the
//! engine in this process or on a `lakeshore-server`.

mod args;
mod backend;
mod demo;
mod nested_json;
mod password;
mod print_format;
mod progress;
mod script;
mod shell;
mod table;
mod text_rows;

use std::io::{BufWriter, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use lakeshore_cluster::ClusterDistribution;
use lakeshore_engine::{Engine, EngineConfig, StorageOptions};
use tokio::runtime::Runtime;
use tracing_subscriber::EnvFilter;

use crate::args::{Action, Args, DemoAction};
use crate::backend::{Backend, EmbeddedBackend, RemoteBackend, RemoteTarget};
use crate::print_format::{Expanded, Printer};
use crate::script::{Script, run_scripts};
use crate::shell::Shell;

fn main() -> ExitCode {
    lakeshore_engine::allocator::reuse_freed_memory();
    let args = Args::parse_command_line();
    init_tracing();

    let outcome = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| match &args.action {
            Some(Action::Demo(DemoAction::Create { location, scale })) => {
                let storage = storage_options(&args)?;
                runtime.block_on(demo::create(location, &storage, *scale))
            }
            None => run(&runtime, &args),
        });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of our output went away (`lakeshore ... | head`): nothing left to tell it.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            // Blanking the secrets of the storage options: the engine's own errors come
            // redacted, but the demo's delta-rs errors quote a store's answer as it is. One
            // write, so that no secret is cut in two.
            let message = format!("Error: {error:#}\n");
            let _ = lakeshore_engine::RedactedStderr.write_all(message.as_bytes());
            ExitCode::FAILURE
        }
    }
}

/// Runs the -c and -f scripts, or the statements on standard input, or, at a terminal with
/// neither, the interactive shell.
fn run(runtime: &Runtime, args: &Args) -> Result<()> {
    let interactive = args.scripts().is_empty() && std::io::stdin().is_terminal();
    let backend = runtime.block_on(open_backend(args, interactive))?;
    let printer = Printer {
        format: args.format,
        table_maxrows: args.table_maxrows(),
        quiet: args.quiet,
        width: None,
        expanded: Expanded::Off,
    };
    if interactive {
        let greeting = greeting(args, backend.as_ref());
        return Shell::new(runtime, backend, printer)?.run(&greeting);
    }
    let scripts = if args.scripts().is_empty() {
        vec![Script::Stdin]
    } else {
        args.scripts().to_vec()
    };
    runtime.block_on(async {
        let mut out = BufWriter::new(std::io::stdout().lock());
        run_scripts(backend.as_ref(), &scripts, &printer, &mut out).await?;
        out.flush()?;
        Ok(())
    })
}

/// The engine over the lake (or the demo lake), or a connection to the server of --connect.
async fn open_backend(args: &Args, interactive: bool) -> Result<Arc<dyn Backend>> {
    if let Some(url) = &args.connect {
        let password = match &args.user {
            None => None,
            Some(user) => Some(match std::env::var("LAKESHORE_PASSWORD") {
                Ok(password) => password,
                Err(_) if interactive => {
                    password::prompt_password(&format!("Password for {user}: "))?
                }
                Err(_) => anyhow::bail!(
                    "no password for {user}: set LAKESHORE_PASSWORD, or run at a terminal to be asked"
                ),
            }),
        };
        let target = RemoteTarget {
            url: url.clone(),
            user: args.user.clone(),
            password,
            tls_ca: args.tls_ca.clone(),
        };
        return Ok(Arc::new(RemoteBackend::connect(&target).await?));
    }
    let storage = storage_options(args)?;
    let lake = match args.demo() {
        Some(location) => Some(demo::open_or_create(location, &storage).await?),
        None => args.lake().map(str::to_string),
    };
    let mut config = engine_config(args, lake.clone(), storage);
    if !args.cluster.is_empty() {
        config.distribution = Some(Arc::new(ClusterDistribution::new(&args.cluster)?));
    }
    let engine = Engine::open(config).await?;
    Ok(Arc::new(EmbeddedBackend::new(engine, lake)))
}

/// The object-store options of `--storage-option` and `--config`.
fn storage_options(args: &Args) -> Result<StorageOptions> {
    Ok(StorageOptions::from_command_line(
        &args.storage_options,
        args.config.as_deref(),
    )?)
}

fn engine_config(args: &Args, lake: Option<String>, storage: StorageOptions) -> EngineConfig {
    let defaults = EngineConfig::default();
    EngineConfig {
        lake,
        storage,
        memory_limit: args.memory_limit,
        data_cache_bytes: args
            .data_cache
            .map_or(defaults.data_cache_bytes, |bytes| bytes as u64),
        target_partitions: args
            .target_partitions
            .map_or(defaults.target_partitions, |n| n.get()),
        ..defaults
    }
}

/// The shell's first words: what it is connected to, and, with no lake, how to open one.
fn greeting(args: &Args, backend: &dyn Backend) -> String {
    let mut greeting = format!(
        "lakeshore {} on {}. \\? for help, \\q to quit.",
        env!("CARGO_PKG_VERSION"),
        backend.description()
    );
    if !args.cluster.is_empty() {
        greeting.push_str(&format!(
            "\nQueries run on the cluster of {}.",
            args.cluster.join(", ")
        ));
    }
    if args.connect.is_none() && args.lake().is_none() && args.demo().is_none() {
        greeting.push_str(
            "\nNo lake is open, so the catalog is empty; delta_scan('path') still reads a table by path.\
             \nOpen a lake with `lakeshore --lake DIR` (or set LAKESHORE_LAKE), or the demo lake with \
             `lakeshore --demo`.",
        );
    }
    greeting
}

/// Logs go to standard error, filtered by RUST_LOG. When it is unset, only Lakeshore's own
/// warnings show: a failing query's cause is already in its `Error:` line, and the libraries
/// below would log the same failure again in their own words.
fn init_tracing() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("lakeshore=warn,lakeshore_engine=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| lakeshore_engine::RedactedStderr)
        .init();
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
