//! TPC-H over Delta tables. `tpch-gen` writes the tables ([`generate`]); `tpch` runs the 22
//! queries through the engine as a user's query runs (the lake opened as a catalog, the tables
//! found by name in the schema `tpch`), checks every answer, and times them beside the peers
//! (DuckDB with its delta extension, Polars), the engines alternating query by query.

mod answers;
mod cluster;
mod generate;
mod layout;
mod peer;
mod queries;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use futures::TryStreamExt;
use lakeshore_engine::{Engine, EngineConfig};

use self::answers::{Answer, check, reference_dir};
use self::cluster::{BenchCluster, task_count};
use self::generate::lake_uri;
pub use self::generate::{TpchGenArgs, run as generate};
use self::layout::{SCHEMA, read_scale_factor};
use self::peer::{Peer, PeerRun};
use crate::peers;
use crate::stats::millis;

#[derive(Debug, Args)]
pub struct TpchArgs {
    /// The lake `tpch-gen` wrote.
    #[arg(long, value_name = "DIR")]
    data: PathBuf,

    /// A query to run (1 to 22); may be repeated. All 22 without it.
    #[arg(long = "query", value_name = "N")]
    queries: Vec<u32>,

    /// Timed runs of each query per engine; the best is reported (warm: the first run reads
    /// the files into the page cache and each engine's caches).
    #[arg(long, value_name = "N", default_value_t = 3)]
    iterations: usize,

    /// The peers to run beside Lakeshore, comma-separated, or `none`.
    #[arg(
        long,
        value_name = "NAME,...",
        value_delimiter = ',',
        default_value = "duckdb,polars"
    )]
    peers: Vec<String>,

    /// The Python with `duckdb`, its delta extension wheel and `polars`.
    #[arg(long, value_name = "PATH", env = "LAKESHORE_PYTHON", default_value_os_t = peers::default_python())]
    python: PathBuf,

    /// A setting of Lakeshore's session (`SET KEY = 'VALUE'` before the queries), such as
    /// `datafusion.execution.target_partitions=4`; may be repeated.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    settings: Vec<String>,

    /// Memory a query may hold, in MiB, as `lakeshore-server --memory-limit-mb` sets it:
    /// operators that can spill go to disk past it. The peers run unbounded.
    #[arg(long, value_name = "MB")]
    memory_limit_mb: Option<usize>,

    /// Data files' bytes Lakeshore keeps in memory across queries, in MiB, as
    /// `lakeshore-server --data-cache-mb` sets it; 0 keeps none. The engine's default without it.
    #[arg(long, value_name = "MB")]
    data_cache_mb: Option<u64>,

    /// Also runs the queries in a second Lakeshore session with these settings on top of
    /// `--set`'s, alternating with the first, answers checked alike: one lever measured
    /// against the same build under the same load. May be repeated.
    #[arg(long = "versus", value_name = "KEY=VALUE")]
    versus: Vec<String>,

    /// Also runs the queries on a cluster of N `lakeshore-worker` processes on loopback (built
    /// beside this program), as the second session, and counts the bytes sent to the workers.
    #[arg(long, value_name = "N", conflicts_with = "versus")]
    cluster: Option<usize>,
}

/// One query's outcome, per engine.
struct QueryReport {
    query: u32,
    lakeshore: Duration,
    /// Whether the answer matched the reference; `None` without a reference for this scale.
    checked: Option<Result<(), String>>,
    rows: u64,
    /// The second session's (`--versus` or `--cluster`) best time and check.
    versus: Option<(Duration, Option<Result<(), String>>)>,
    /// With `--cluster`: the bytes sent to the workers per run, and the tasks they ran.
    sent: Option<(u64, usize)>,
    peers: Vec<PeerOutcome>,
}

enum PeerOutcome {
    Best { time: Duration, rows: u64 },
    Failed(String),
}

pub fn run(args: &TpchArgs) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let sf = read_scale_factor(&args.data)?;
    let reference = sf.and_then(reference_dir);
    let lake = lake_uri(&args.data)?;
    let config = || {
        let mut config = EngineConfig::for_lake(lake.clone());
        config.read_only = true;
        config.memory_limit = args.memory_limit_mb.map(|mb| mb << 20);
        if let Some(mb) = args.data_cache_mb {
            config.data_cache_bytes = mb << 20;
        }
        config
    };
    let engine = runtime.block_on(Engine::open(config()))?;
    let (catalog, _) = engine.default_schema();
    // Unqualified names (`lineitem`), as the standard text has them, resolve in the lake's
    // `tpch` schema: what a Flight SQL client's current schema does.
    let engine = engine.with_default_schema(&catalog, SCHEMA);
    runtime.block_on(apply_settings(&engine, &args.settings))?;
    let cluster = match args.cluster {
        Some(workers) => Some(runtime.block_on(BenchCluster::start(workers))?),
        None => None,
    };
    let versus = match (&cluster, args.versus.is_empty()) {
        (Some(cluster), _) => {
            let coordinator = runtime
                .block_on(cluster.coordinator(config()))?
                .with_default_schema(&catalog, SCHEMA);
            runtime.block_on(apply_settings(&coordinator, &args.settings))?;
            Some(coordinator)
        }
        (None, true) => None,
        (None, false) => {
            // A session of its own over the same lake and tables, `--set` included.
            let versus = engine.with_default_schema(&catalog, SCHEMA);
            runtime.block_on(apply_settings(&versus, &args.versus))?;
            Some(versus)
        }
    };
    let mut peers = args
        .peers
        .iter()
        .filter(|name| name.as_str() != "none")
        .map(|name| Peer::start(&args.python, name, &args.data, &queries::sql_dir()))
        .collect::<Result<Vec<_>>>()?;
    let iterations = args.iterations.max(1);
    let mut reports = Vec::new();
    for query in queries::selected(&args.queries) {
        let sql = queries::query_text(query)?;
        let mut ours = Runs::default();
        let mut theirs = Runs::default();
        let mut peer_runs: Vec<Vec<PeerRun>> = peers.iter().map(|_| Vec::new()).collect();
        let mut sent = 0;
        for _ in 0..iterations {
            ours.run(&runtime, &engine, query, &sql)?;
            if let Some(versus) = &versus {
                let before = cluster.as_ref().map_or(0, BenchCluster::bytes_sent);
                theirs.run(&runtime, versus, query, &sql)?;
                sent += cluster.as_ref().map_or(0, BenchCluster::bytes_sent) - before;
            }
            for (peer, runs) in peers.iter_mut().zip(peer_runs.iter_mut()) {
                runs.push(peer.run(query)?);
            }
        }
        let check_answer = |answer: &Answer| {
            reference.as_ref().map(|dir| {
                Answer::read_csv(&dir.join(format!("q{query:02}.csv")))
                    .and_then(|expected| check(answer, &expected))
                    .map_err(|error| format!("{error:#}"))
            })
        };
        let answer = ours.answer.context("no run")?;
        let report = QueryReport {
            query,
            lakeshore: ours.best,
            checked: check_answer(&answer),
            rows: answer.rows.len() as u64,
            versus: theirs
                .answer
                .map(|answer| (theirs.best, check_answer(&answer))),
            peers: peer_runs.into_iter().map(best_of).collect(),
            sent: match (&cluster, &versus) {
                (Some(_), Some(coordinator)) => Some((
                    sent / iterations as u64,
                    runtime.block_on(task_count(coordinator, &sql))?,
                )),
                _ => None,
            },
        };
        eprintln!("q{query:02}: {}", millis(report.lakeshore));
        reports.push(report);
    }
    print_report(sf, &peers, &reports, args);
    let failures: Vec<String> = reports
        .iter()
        .flat_map(|report| {
            let versus = report
                .versus
                .as_ref()
                .and_then(|(_, checked)| checked.as_ref());
            [("", report.checked.as_ref()), (" (--versus)", versus)]
                .into_iter()
                .filter_map(move |(session, checked)| match checked {
                    Some(Err(error)) => Some(format!("q{:02}{session}: {error}", report.query)),
                    _ => None,
                })
        })
        .collect();
    if !failures.is_empty() {
        bail!("wrong answers:\n{}", failures.join("\n"));
    }
    Ok(())
}

/// SET statements for `settings`, each `KEY=VALUE`, run in `engine`'s session.
async fn apply_settings(engine: &Engine, settings: &[String]) -> Result<()> {
    for setting in settings {
        let (key, value) = setting
            .split_once('=')
            .with_context(|| format!("setting {setting}: expected KEY=VALUE"))?;
        let value = value.replace('\'', "''");
        engine
            .execute(&format!("SET {key} = '{value}'"))
            .await?
            .try_collect::<Vec<_>>()
            .await
            .with_context(|| format!("setting {setting}"))?;
    }
    Ok(())
}

/// One session's runs of a query: the best time, and the first run's answer.
struct Runs {
    best: Duration,
    answer: Option<Answer>,
}

impl Default for Runs {
    fn default() -> Self {
        Self {
            best: Duration::MAX,
            answer: None,
        }
    }
}

impl Runs {
    fn run(
        &mut self,
        runtime: &tokio::runtime::Runtime,
        engine: &Engine,
        query: u32,
        sql: &str,
    ) -> Result<()> {
        let started = Instant::now();
        let batches = runtime
            .block_on(async {
                let stream = engine.execute(sql).await?;
                stream.try_collect::<Vec<_>>().await
            })
            .with_context(|| format!("TPC-H query {query}"))?;
        self.best = self.best.min(started.elapsed());
        if self.answer.is_none() {
            self.answer = Some(Answer::of_batches(&batches)?);
        }
        Ok(())
    }
}

fn best_of(runs: Vec<PeerRun>) -> PeerOutcome {
    let mut best: Option<(Duration, u64)> = None;
    for run in runs {
        match run {
            PeerRun::Failed(error) => return PeerOutcome::Failed(error),
            PeerRun::Ran { time, rows } => {
                if best.is_none_or(|(fastest, _)| time < fastest) {
                    best = Some((time, rows));
                }
            }
        }
    }
    match best {
        Some((time, rows)) => PeerOutcome::Best { time, rows },
        None => PeerOutcome::Failed("not run".to_string()),
    }
}

fn print_report(sf: Option<f64>, peers: &[Peer], reports: &[QueryReport], args: &TpchArgs) {
    let mut header = vec!["query".to_string(), "lakeshore".to_string()];
    let compared = reports.iter().any(|report| report.versus.is_some());
    if compared {
        header.push(match args.cluster {
            Some(workers) => format!("lakeshore on {workers} workers"),
            None => "lakeshore --versus".to_string(),
        });
        header.push("ratio".to_string());
    }
    if args.cluster.is_some() {
        header.push("bytes to workers".to_string());
        header.push("tasks".to_string());
    }
    for peer in peers {
        header.push(peer.name.clone());
        header.push("ratio".to_string());
    }
    header.push("answer".to_string());
    println!();
    println!("| {} |", header.join(" | "));
    println!("|{}", "---|".repeat(header.len()));
    for report in reports {
        let mut cells = vec![format!("q{:02}", report.query), millis(report.lakeshore)];
        if let Some((time, checked)) = &report.versus {
            cells.push(match checked {
                Some(Err(error)) => format!("{} WRONG: {}", millis(*time), shorten(error)),
                _ => millis(*time),
            });
            cells.push(format!("{:.2}", ratio(report.lakeshore, *time)));
        }
        if let Some((bytes, tasks)) = report.sent {
            cells.push(bytes.to_string());
            cells.push(tasks.to_string());
        }
        for outcome in &report.peers {
            match outcome {
                PeerOutcome::Best { time, rows } => {
                    cells.push(if *rows == report.rows {
                        millis(*time)
                    } else {
                        format!("{} ({rows} rows, ours {})", millis(*time), report.rows)
                    });
                    cells.push(format!("{:.2}", ratio(report.lakeshore, *time)));
                }
                PeerOutcome::Failed(error) => {
                    cells.push(format!("failed: {}", shorten(error)));
                    cells.push("-".to_string());
                }
            }
        }
        cells.push(match &report.checked {
            Some(Ok(())) => "ok".to_string(),
            Some(Err(error)) => format!("WRONG: {}", shorten(error)),
            None => "not checked".to_string(),
        });
        println!("| {} |", cells.join(" | "));
    }
    print_totals(peers, reports);
    println!();
    if !args.settings.is_empty() {
        println!("Lakeshore's settings: {}.", args.settings.join(", "));
    }
    match args.cluster {
        Some(workers) => println!(
            "`lakeshore on {workers} workers`: the same queries planned here and run on \
             {workers} lakeshore-worker processes on loopback; ratio = lakeshore / it. \
             Bytes to workers: what one run sends them (plans and shuffle requests); tasks: \
             the tasks its stages run."
        ),
        None if compared => println!(
            "`lakeshore --versus`: a second session with {} on top; ratio = lakeshore / it.",
            args.versus.join(", ")
        ),
        None => {}
    }
    match sf {
        Some(sf) => println!(
            "Scale factor {sf}. Best of the timed runs per query (warm); ratio = lakeshore / peer. \
             Answers checked against sql/tpch/answers/sf{sf}/ where kept (else \"not checked\")."
        ),
        None => println!("Best of the timed runs per query (warm); ratio = lakeshore / peer."),
    }
}

/// Per peer: its sum over the queries it ran, and the ratio of Lakeshore's sum over the same
/// queries to it.
fn print_totals(peers: &[Peer], reports: &[QueryReport]) {
    let all: Duration = reports.iter().map(|report| report.lakeshore).sum();
    let mut cells = vec!["total".to_string(), millis(all)];
    let versus_times: Vec<Duration> = reports
        .iter()
        .filter_map(|report| report.versus.as_ref().map(|(time, _)| *time))
        .collect();
    if !versus_times.is_empty() {
        let versus: Duration = versus_times.iter().sum();
        cells.push(millis(versus));
        cells.push(format!("{:.2}", ratio(all, versus)));
    }
    let sent: Vec<(u64, usize)> = reports.iter().filter_map(|report| report.sent).collect();
    if !sent.is_empty() {
        cells.push(sent.iter().map(|(bytes, _)| bytes).sum::<u64>().to_string());
        cells.push(
            sent.iter()
                .map(|(_, tasks)| tasks)
                .sum::<usize>()
                .to_string(),
        );
    }
    for index in 0..peers.len() {
        let (mut ours, mut theirs, mut count) = (Duration::ZERO, Duration::ZERO, 0);
        for report in reports {
            if let Some(PeerOutcome::Best { time, .. }) = report.peers.get(index) {
                ours += report.lakeshore;
                theirs += *time;
                count += 1;
            }
        }
        cells.push(if count == reports.len() {
            millis(theirs)
        } else {
            format!(
                "{} over the {count} queries it ran (lakeshore {})",
                millis(theirs),
                millis(ours)
            )
        });
        cells.push(format!("{:.2}", ratio(ours, theirs)));
    }
    cells.push(String::new());
    println!("| {} |", cells.join(" | "));
}

fn ratio(ours: Duration, theirs: Duration) -> f64 {
    ours.as_secs_f64() / theirs.as_secs_f64().max(f64::MIN_POSITIVE)
}

/// A message short enough for a table cell, on one line.
fn shorten(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().replace('|', "/");
    match line.char_indices().nth(100) {
        Some((cut, _)) => format!("{}...", &line[..cut]),
        None => line,
    }
}
