//! `lakeshore`: runs SQL over a Delta lake from the command line.

mod args;
mod print_format;
mod script;

use std::io::{BufWriter, IsTerminal, Write};
use std::process::ExitCode;

use lakeshore_engine::{Engine, EngineConfig};
use tracing_subscriber::EnvFilter;

use crate::args::Args;
use crate::print_format::Printer;
use crate::script::{Script, run_scripts};

/// Exit code when there is nothing to run (no -c / -f, and standard input is a terminal).
const EXIT_NOTHING_TO_RUN: u8 = 2;

fn main() -> ExitCode {
    let args = Args::parse_command_line();
    init_tracing();

    let scripts = if !args.scripts().is_empty() {
        args.scripts().to_vec()
    } else if std::io::stdin().is_terminal() {
        eprintln!(
            "lakeshore: nothing to run; give statements with -c SQL or -f FILE, or pipe them \
             on standard input (the interactive shell is not available yet)"
        );
        return ExitCode::from(EXIT_NOTHING_TO_RUN);
    } else {
        vec![Script::Stdin]
    };

    let outcome = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| runtime.block_on(run(&args, &scripts)));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of our output went away (`lakeshore ... | head`): nothing left to tell it.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("Error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &Args, scripts: &[Script]) -> anyhow::Result<()> {
    let engine = Engine::open(engine_config(args)).await?;
    let printer = Printer {
        format: args.format,
        table_maxrows: args.table_maxrows(),
        quiet: args.quiet,
    };
    let mut out = BufWriter::new(std::io::stdout().lock());
    run_scripts(&engine, scripts, &printer, &mut out).await?;
    out.flush()?;
    Ok(())
}

fn engine_config(args: &Args) -> EngineConfig {
    let defaults = EngineConfig::default();
    EngineConfig {
        lake: args.lake().map(str::to_string),
        memory_limit: args.memory_limit,
        target_partitions: args
            .target_partitions
            .map_or(defaults.target_partitions, |n| n.get()),
        ..defaults
    }
}

/// Logs go to standard error, filtered by RUST_LOG. When it is unset, only Lakeshore's own
/// warnings show: a failing query's cause is already in its `Error:` line, and the libraries
/// below would log the same failure again in their own words.
fn init_tracing() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("lakeshore=warn,lakeshore_engine=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
