//! `lakeshore-bench freshness`: what it costs that every query sees the latest commit.
//!
//! On a table of 1,000 one-row commits and a checkpoint (`bench/commits` in the lake), one
//! engine times: opening, the first query (it loads the snapshot), queries when nothing changed
//! (one listing of `_delta_log`), and queries right after a new commit landed (reading it).
//! Commits are written by another process, outside the timings. The peers
//! (`peers/freshness_duckdb.py`) do the same on their own copy of the table.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use arrow::array::{Array, AsArray};
use arrow::datatypes::Int64Type;
use futures::TryStreamExt;
use lakeshore_engine::{Engine, EngineConfig};

use crate::peers::{self, PeerCase};
use crate::report::{self, Measure, Row};
use crate::stats::Summary;
use crate::table_copy::copy_folder;

/// The table, relative to the lake root, and the query the benchmark repeats (`stores` too).
pub(crate) const TABLE_FOLDER: &str = "bench/commits";
pub(crate) const QUERY: &str = "SELECT count(*) FROM bench.commits";

#[derive(Debug, clap::Args)]
pub struct FreshnessArgs {
    /// The lake holding `bench/commits`; make it with
    /// `python tests/fixtures/delta_writer.py commits LAKE/bench/commits 1000`.
    /// The table is copied before commits are added, so it stays as it is.
    #[arg(long, value_name = "DIR")]
    lake: PathBuf,

    /// How many queries to time with nothing changed, and how many after a new commit.
    #[arg(long, value_name = "N", default_value_t = 20)]
    rounds: usize,

    /// The Python with `deltalake`, `duckdb` and its delta extension wheel.
    #[arg(long, value_name = "PATH", env = "LAKESHORE_PYTHON", default_value_os_t = peers::default_python())]
    python: PathBuf,

    /// Measure Lakeshore only.
    #[arg(long)]
    no_peers: bool,
}

pub async fn run(args: &FreshnessArgs) -> Result<()> {
    ensure!(args.rounds > 0, "--rounds must be at least 1");
    let source = args.lake.join(TABLE_FOLDER);
    ensure!(
        source.join("_delta_log").is_dir(),
        "{} is not a Delta table (no _delta_log)",
        source.display()
    );

    eprintln!("lakeshore: {} rounds on {}", args.rounds, source.display());
    let lakeshore = measure_lakeshore(args, &source).await?;
    let peer_cases = if args.no_peers {
        Vec::new()
    } else {
        eprintln!("peers: freshness_duckdb.py");
        let table = source.to_str().context("the table's path is not UTF-8")?;
        let rounds = args.rounds.to_string();
        peers::run_peer_script(
            &args.python,
            "freshness_duckdb.py",
            &[table, "--rounds", &rounds],
        )?
    };
    print_report(&source, &lakeshore, &peer_cases);
    Ok(())
}

/// Lakeshore's samples of each case, in the order measured. The peers name their cases alike:
/// "open", "first query", "unchanged", "after commit".
type Timings = Vec<(&'static str, Vec<Duration>)>;

async fn measure_lakeshore(args: &FreshnessArgs, source: &Path) -> Result<Timings> {
    let scratch = tempfile::Builder::new()
        .prefix("lakeshore-bench-freshness-")
        .tempdir()
        .context("cannot create a scratch folder")?;
    let table = scratch.path().join(TABLE_FOLDER);
    copy_folder(source, &table)?;
    let lake = scratch
        .path()
        .to_str()
        .context("the scratch folder's path is not UTF-8")?;

    let started = Instant::now();
    let engine = Engine::open(EngineConfig::for_lake(lake)).await?;
    let open = started.elapsed();

    let (first, mut rows) = timed_count(&engine).await?;

    let mut unchanged = Vec::with_capacity(args.rounds);
    for _ in 0..args.rounds {
        let (elapsed, count) = timed_count(&engine).await?;
        ensure!(
            count == rows,
            "nothing changed, yet the count went from {rows} to {count}"
        );
        unchanged.push(elapsed);
    }

    let mut after_commit = Vec::with_capacity(args.rounds);
    for _ in 0..args.rounds {
        peers::append_one_row(&args.python, &table)?;
        let (elapsed, count) = timed_count(&engine).await?;
        ensure!(
            count == rows + 1,
            "stale result: after a commit of one row the count is {count}, expected {}",
            rows + 1
        );
        rows = count;
        after_commit.push(elapsed);
    }
    Ok(vec![
        ("open", vec![open]),
        ("first query", vec![first]),
        ("unchanged", unchanged),
        ("after commit", after_commit),
    ])
}

/// Runs [`QUERY`] to its last batch; returns the time it took and the count.
pub(crate) async fn timed_count(engine: &Engine) -> Result<(Duration, i64)> {
    let started = Instant::now();
    let stream = engine.execute(QUERY).await?;
    let batches: Vec<_> = stream.try_collect().await?;
    let elapsed = started.elapsed();
    let column = batches
        .iter()
        .find(|batch| batch.num_rows() > 0)
        .map(|batch| batch.column(0))
        .context("count(*) returned no row")?;
    let Some(counts) = column.as_primitive_opt::<Int64Type>() else {
        bail!("count(*) returned a {} column", column.data_type());
    };
    Ok((elapsed, counts.value(0)))
}

fn print_report(table: &Path, lakeshore: &Timings, peer_cases: &[PeerCase]) {
    let mut peer_names: Vec<String> = Vec::new();
    for case in peer_cases {
        if !peer_names.contains(&case.peer) {
            peer_names.push(case.peer.clone());
        }
    }
    let rows: Vec<Row> = lakeshore
        .iter()
        .map(|(case, samples)| Row {
            case: case.to_string(),
            lakeshore: Summary::of(samples).map(Measure::from),
            peers: peer_names
                .iter()
                .map(|peer| {
                    peer_cases
                        .iter()
                        .find(|c| &c.peer == peer && c.case == *case)
                        .map(|c| Measure::from(c.summary))
                })
                .collect(),
        })
        .collect();
    println!();
    println!("freshness: `{QUERY}` on {}", table.display());
    println!();
    report::print_comparison(&peer_names, &rows);
}
