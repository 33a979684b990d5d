//! `lakeshore-bench cold`: a query as a user meets it from the shell, in a new process, timed
//! from spawn to the first row printed. The peer, DuckDB with its delta extension, runs the same
//! query in a new Python process (`peers/cold_duckdb.py`); as Python's start-up is in its number,
//! the script also reports the time it measured inside itself.
//!
//! "Cold" is the process (no snapshot, no plan, nothing cached in memory); the OS page cache is
//! warm (one untimed run of each engine first) unless `--drop-page-cache` empties it per run.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use serde_json::Value;

use crate::first_row::{ProcessRun, time_first_row};
use crate::peers;
use crate::report::{self, Measure, Row};
use crate::stats::Summary;

/// A query, with `{table}` where the table goes.
struct Query {
    name: &'static str,
    sql: &'static str,
}

/// The aggregate reads two columns of every row; it assumes TPC-H lineitem.
const QUERIES: [Query; 3] = [
    Query {
        name: "first row: SELECT * LIMIT 1",
        sql: "SELECT * FROM {table} LIMIT 1",
    },
    Query {
        name: "SELECT count(*)",
        sql: "SELECT count(*) FROM {table}",
    },
    Query {
        name: "sum(l_extendedprice) GROUP BY l_returnflag",
        sql: "SELECT l_returnflag, sum(l_extendedprice) FROM {table} GROUP BY 1 ORDER BY 1",
    },
];

#[derive(Debug, clap::Args)]
pub struct ColdArgs {
    /// The lake root.
    #[arg(long, value_name = "DIR")]
    lake: PathBuf,

    /// The table as SCHEMA.NAME, in the folder LAKE/SCHEMA/NAME (DuckDB reads it by path).
    #[arg(long, value_name = "SCHEMA.NAME")]
    table: String,

    /// The `lakeshore` binary to time (use a release build).
    #[arg(long, value_name = "PATH")]
    lakeshore: PathBuf,

    /// Timed runs per query and engine.
    #[arg(long, value_name = "N", default_value_t = 5)]
    runs: usize,

    /// The Python with `duckdb` and its delta extension wheel.
    #[arg(long, value_name = "PATH", env = "LAKESHORE_PYTHON", default_value_os_t = peers::default_python())]
    python: PathBuf,

    /// Empty the OS page cache before every run, so table files come from disk (Linux, root).
    #[arg(long)]
    drop_page_cache: bool,
}

/// The samples of one query, one list per column of the report.
#[derive(Default)]
struct Samples {
    lakeshore: Vec<Duration>,
    duckdb_process: Vec<Duration>,
    duckdb_in_process: Vec<f64>,
    duckdb_query: Vec<f64>,
}

const PEER_COLUMNS: [&str; 3] = [
    "duckdb, process",
    "duckdb, in-process (import + load + query)",
    "duckdb, query only",
];

pub fn run(args: &ColdArgs) -> Result<()> {
    ensure!(args.runs > 0, "--runs must be at least 1");
    let (schema, name) = args
        .table
        .split_once('.')
        .context("--table must be SCHEMA.NAME")?;
    let folder = args.lake.join(schema).join(name);
    ensure!(
        folder.join("_delta_log").is_dir(),
        "{} is not a Delta table: the peer needs the folder of {} at LAKE/SCHEMA/NAME",
        folder.display(),
        args.table
    );
    let lake = args.lake.to_str().context("the lake's path is not UTF-8")?;
    let folder = folder.to_str().context("the table's path is not UTF-8")?;

    let mut rows = Vec::new();
    for query in &QUERIES {
        eprintln!("{}: {} runs each", query.name, args.runs);
        let lakeshore_sql = query.sql.replace("{table}", &args.table);
        let duckdb_sql = query
            .sql
            .replace("{table}", &format!("delta_scan('{folder}')"));
        let lakeshore = || {
            time_first_row(
                Command::new(&args.lakeshore)
                    .args(["--lake", lake, "--format", "csv", "-c", &lakeshore_sql])
                    .env_remove("RUST_LOG"),
                "lakeshore",
            )
        };
        let script = peers::peer_script("cold_duckdb.py");
        let duckdb = || {
            time_first_row(
                Command::new(&args.python).arg(&script).arg(&duckdb_sql),
                "cold_duckdb.py",
            )
        };

        // One untimed run of each first: the page cache then holds the table for both alike.
        if !args.drop_page_cache {
            same_first_row(query, &lakeshore()?, &duckdb()?)?;
        }
        let mut samples = Samples::default();
        for _ in 0..args.runs {
            // Alternate the engines, so a slow moment of the machine hits both alike.
            drop_page_cache_if(args.drop_page_cache)?;
            let lakeshore_run = lakeshore()?;
            drop_page_cache_if(args.drop_page_cache)?;
            let duckdb_run = duckdb()?;
            same_first_row(query, &lakeshore_run, &duckdb_run)?;
            samples.lakeshore.push(lakeshore_run.first_row);
            samples.duckdb_process.push(duckdb_run.first_row);
            let inside = inside_timings(&duckdb_run.stderr)?;
            samples.duckdb_in_process.push(inside.0);
            samples.duckdb_query.push(inside.1);
        }
        rows.push(Row {
            case: query.name.to_string(),
            lakeshore: Summary::of(&samples.lakeshore).map(Measure::from),
            peers: vec![
                Summary::of(&samples.duckdb_process).map(Measure::from),
                Summary::of_millis(&samples.duckdb_in_process).map(Measure::from),
                Summary::of_millis(&samples.duckdb_query).map(Measure::from),
            ],
        });
    }

    println!();
    println!(
        "cold: {} ({folder}), spawn to first row, {} runs, page cache {}",
        args.table,
        args.runs,
        if args.drop_page_cache {
            "dropped before each run"
        } else {
            "warm"
        }
    );
    println!();
    report::print_comparison(&PEER_COLUMNS.map(str::to_string), &rows);
    Ok(())
}

/// Counts must agree, or the engines did not read the same table; other rows may differ in
/// formatting (floats) or order (LIMIT 1 without ORDER BY).
fn same_first_row(query: &Query, ours: &ProcessRun, theirs: &ProcessRun) -> Result<()> {
    if query.sql.contains("count(*)") {
        ensure!(
            ours.first_row_text == theirs.first_row_text,
            "lakeshore counted {} rows, DuckDB {}",
            ours.first_row_text,
            theirs.first_row_text
        );
    }
    Ok(())
}

/// The times `cold_duckdb.py` measured inside itself (its last line of standard error):
/// from the script's first line to the first row, and for the query alone, in milliseconds.
fn inside_timings(stderr: &str) -> Result<(f64, f64)> {
    let line = stderr
        .lines()
        .last()
        .context("cold_duckdb.py reported no timings")?;
    let value: Value =
        serde_json::from_str(line).with_context(|| format!("cold_duckdb.py reported {line:?}"))?;
    let field = |key: &str| {
        value[key]
            .as_f64()
            .with_context(|| format!("cold_duckdb.py reported no {key:?}: {line}"))
    };
    Ok((field("in_process_ms")?, field("query_ms")?))
}

/// Writes dirty pages, then asks Linux to drop the page cache (needs root).
fn drop_page_cache_if(wanted: bool) -> Result<()> {
    if !wanted {
        return Ok(());
    }
    peers::run_to_end(&mut Command::new("sync"), "sync")?;
    std::fs::write("/proc/sys/vm/drop_caches", "3")
        .context("cannot drop the page cache (writing /proc/sys/vm/drop_caches needs root)")
}
