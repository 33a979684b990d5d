//! `lakeshore-bench`: Lakeshore's benchmarks. Every number is measured in the same run as a
//! peer engine's (DuckDB with its delta extension, by default) and reported as a ratio, so a
//! result says how we compare on this machine rather than how fast this machine is.

mod cold;
mod first_row;
mod freshness;
mod peers;
mod report;
mod scan;
mod stats;
mod stores;
mod table_copy;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Benchmarks of Lakeshore against peer engines.
#[derive(Debug, Parser)]
#[command(name = "lakeshore-bench", version)]
struct Cli {
    #[command(subcommand)]
    benchmark: Benchmark,
}

// TPC-H (`tpch-gen --sf N --out DIR`, `tpch --data DIR`) joins these as two more subcommands.
#[derive(Debug, Subcommand)]
enum Benchmark {
    /// The cost of keeping a table fresh: queries when nothing changed and right after a commit.
    Freshness(freshness::FreshnessArgs),
    /// Whole processes, from spawn to the first row of a query on a large table.
    Cold(cold::ColdArgs),
    /// The engine draining a query's result in-process (the ceiling for Flight SQL's DoGet).
    Scan(scan::ScanArgs),
    /// First and repeated queries on a table in an object-store emulator (moto, Azurite):
    /// time and requests, and what `lakeshore.max_staleness` saves.
    Stores(stores::StoresArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.benchmark {
        Benchmark::Freshness(args) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|runtime| runtime.block_on(freshness::run(&args))),
        Benchmark::Cold(args) => cold::run(&args),
        Benchmark::Scan(args) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|runtime| runtime.block_on(scan::run(&args))),
        // Builds its own runtime: it sets the environment first, while no other thread runs.
        Benchmark::Stores(args) => stores::run(&args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("Error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
