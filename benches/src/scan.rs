//! The engine scanning a query in-process, every batch drained and nothing sent anywhere: the
//! ceiling the Flight SQL server's DoGet throughput is compared with
//! (`benches/peers/flight_adbc.py` measures the client side).

use std::time::Instant;

use anyhow::Result;
use clap::Args;
use futures::TryStreamExt;
use lakeshore_engine::{Engine, EngineConfig};

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The lake the query reads.
    #[arg(long)]
    lake: String,
    /// The query to scan.
    #[arg(long)]
    sql: String,
    /// How many times to run it (the best run is reported, as for the Flight side).
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

pub async fn run(args: &ScanArgs) -> Result<()> {
    let engine = Engine::open(EngineConfig::for_lake(&args.lake)).await?;
    let mut best = f64::MAX;
    let (mut rows, mut bytes) = (0, 0);
    for _ in 0..args.runs.max(1) {
        let started = Instant::now();
        let mut stream = engine.execute(&args.sql).await?;
        (rows, bytes) = (0, 0);
        while let Some(batch) = stream.try_next().await? {
            rows += batch.num_rows();
            bytes += batch.get_array_memory_size();
        }
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!(
        "engine in-process: {rows} rows, {:.1} MB in {best:.3} s: {:.0} rows/s, {:.1} MB/s",
        bytes as f64 / 1e6,
        rows as f64 / best,
        bytes as f64 / 1e6 / best
    );
    Ok(())
}
