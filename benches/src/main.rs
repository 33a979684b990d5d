//! `lakeshore-bench`: Lakeshore's benchmarks. Every number is measured in the same run as a
//! peer engine's (DuckDB with its delta extension, by default) and reported as a ratio, so a
//! result says how we compare on this machine rather than how fast this machine is.

mod cold;
mod first_row;
mod flight;
mod freshness;
mod peers;
mod report;
mod scan;
mod stats;
mod stores;
mod table_copy;
mod tpch;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Benchmarks of Lakeshore against peer engines.
#[derive(Debug, Parser)]
#[command(name = "lakeshore-bench", version)]
struct Cli {
    #[command(subcommand)]
    benchmark: Benchmark,
}

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
    /// Flight SQL round trips from a Rust client: p50 / p99 of small queries from 1 and 16
    /// clients beside a bare gRPC call, against a running server or one started on a lake.
    Flight(flight::FlightArgs),
    /// Writes the eight TPC-H tables as Delta tables into a lake (schema `tpch`).
    TpchGen(tpch::TpchGenArgs),
    /// Runs the 22 TPC-H queries on a lake `tpch-gen` wrote, checks the answers, and times them
    /// beside DuckDB and Polars over the same Delta tables.
    Tpch(tpch::TpchArgs),
}

fn main() -> ExitCode {
    lakeshore_engine::allocator::reuse_freed_memory();
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
        Benchmark::Flight(args) => in_runtime(flight::run(&args)),
        Benchmark::TpchGen(args) => in_runtime(tpch::generate(&args)),
        // Builds its own runtime: it waits on the peers' pipes between queries.
        Benchmark::Tpch(args) => tpch::run(&args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("Error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `work` to its end on a multi-threaded runtime.
fn in_runtime(work: impl std::future::Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| runtime.block_on(work))
}
