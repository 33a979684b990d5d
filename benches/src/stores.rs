//! `lakeshore-bench stores`: a query over a lake in an object store, where every request is a
//! round trip. On a table of 100 one-row commits, a checkpoint and two commits after it, in moto
//! (S3) and in Azurite (Azure Blob), it times the first `SELECT count(*)` and the same query
//! repeated, with the requests each made; then the repeated query again after
//! `SET lakeshore.max_staleness = '5s'`. DuckDB with its delta extension reads the same table
//! from the same emulator (`peers/stores_duckdb.py`).
//!
//! Requests are counted the same way for both engines: the lines of the emulator's own access
//! log between two moments. Lakeshore also counts its own ([`Engine::watch_requests`]); both are
//! shown, and they should agree.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use futures::TryStreamExt;
use lakeshore_engine::{Engine, EngineConfig, RequestCounts, StorageOptions};
use lakeshore_tests::{Emulator, StoreKind, delta_writer_at};

use crate::freshness::{QUERY, TABLE_FOLDER, timed_count};
use crate::peers;
use crate::report::{self, Measure, Row};
use crate::stats::{CountSummary, Summary};

/// The table: this many one-row commits, a checkpoint of the last, then a few more commits, so
/// a first query reads the checkpoint and the commits after it (never the ones before).
const COMMITS: usize = 100;
const COMMITS_AFTER_CHECKPOINT: usize = 2;

/// The staleness the last case allows: long enough for all its rounds, so none lists the log.
const MAX_STALENESS: Duration = Duration::from_secs(5);

/// The cases, as both engines name them (the peer script prints the first three).
const OPEN: &str = "open";
const FIRST_QUERY: &str = "first query";
const REPEATED: &str = "repeated";
const WITHIN_STALENESS: &str = "repeated, max_staleness";

#[derive(Debug, clap::Args)]
pub struct StoresArgs {
    /// The emulator to read from; `both` runs moto, then Azurite, each with its own table.
    #[arg(long, value_enum, default_value_t = StoreChoice::Both)]
    store: StoreChoice,

    /// How many repeated queries to time, with and without `max_staleness`.
    #[arg(long, value_name = "N", default_value_t = 20)]
    rounds: usize,

    /// The Python with the emulators' packages (moto, the Azure SDK), `deltalake`, `duckdb` and
    /// its extension wheels: the repository's venv, with Azurite beside it in `.emulators`.
    #[arg(long, value_name = "PATH", env = "LAKESHORE_PYTHON", default_value_os_t = peers::default_python())]
    python: PathBuf,

    /// Measure Lakeshore only.
    #[arg(long)]
    no_peers: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum StoreChoice {
    Moto,
    Azurite,
    Both,
}

impl StoreChoice {
    fn kinds(self) -> &'static [StoreKind] {
        match self {
            StoreChoice::Moto => &[StoreKind::Moto],
            StoreChoice::Azurite => &[StoreKind::Azurite],
            StoreChoice::Both => &[StoreKind::Moto, StoreKind::Azurite],
        }
    }
}

fn store_name(kind: StoreKind) -> &'static str {
    match kind {
        StoreKind::Moto => "moto (S3)",
        _ => "Azurite (Azure Blob)",
    }
}

pub fn run(args: &StoresArgs) -> Result<()> {
    ensure!(args.rounds > 0, "--rounds must be at least 1");
    // The tests' harness (the emulators' setup, the Delta writer) runs the Python named here.
    // SAFETY: nothing else runs yet to read the environment: the runtime is built below.
    unsafe { std::env::set_var("LAKESHORE_PYTHON", &args.python) };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    for &kind in args.store.kinds() {
        let name = store_name(kind);
        eprintln!(
            "{name}: starting the emulator; writing {COMMITS} commits, a checkpoint and \
             {COMMITS_AFTER_CHECKPOINT} commits more (about a minute)"
        );
        // Panics, with the server's log, if the emulator cannot start or be set up.
        let emulator = Emulator::start_with_access_log(kind);
        let options = emulator.storage_options();
        let table = emulator.uri(&format!("lake/{TABLE_FOLDER}"));
        delta_writer_at("commits", &table, &options, Some(COMMITS));
        for _ in 0..COMMITS_AFTER_CHECKPOINT {
            delta_writer_at("append", &table, &options, Some(1));
        }
        let mut log = AccessLog::from_end_of(emulator.log_path())?;

        eprintln!("{name}: lakeshore, {} rounds", args.rounds);
        let lake = emulator.uri("lake");
        let lakeshore = runtime.block_on(measure_lakeshore(
            &lake,
            options.clone(),
            args.rounds,
            &mut log,
        ))?;
        let duckdb = if args.no_peers {
            None
        } else {
            eprintln!("{name}: stores_duckdb.py, {} rounds", args.rounds);
            Some(measure_duckdb(
                args,
                &table,
                &options,
                lakeshore.rows,
                &mut log,
            )?)
        };
        print_report(kind, &table, args.rounds, &lakeshore, duckdb.as_ref());
    }
    Ok(())
}

/// One run of a case: its time and its requests.
struct Sample {
    time: Duration,
    /// As the emulator logged them.
    logged: RequestCounts,
    /// As Lakeshore counted them itself; `None` for the peer, and for opening the engine (its
    /// counter exists only once it is open).
    counted: Option<RequestCounts>,
}

/// The runs of one case, in the order measured.
struct Case {
    name: String,
    samples: Vec<Sample>,
}

/// What one engine measured on one store.
struct EngineRun {
    /// The peer's name for its column; unused for Lakeshore.
    peer: String,
    cases: Vec<Case>,
    /// What `count(*)` answered (every query must agree).
    rows: i64,
}

impl EngineRun {
    fn case(&self, name: &str) -> Option<&Case> {
        self.cases.iter().find(|case| case.name == name)
    }

    fn push(&mut self, name: &str, sample: Sample) {
        match self.cases.iter_mut().find(|case| case.name == name) {
            Some(case) => case.samples.push(sample),
            None => self.cases.push(Case {
                name: name.to_string(),
                samples: vec![sample],
            }),
        }
    }
}

async fn measure_lakeshore(
    lake: &str,
    options: HashMap<String, String>,
    rounds: usize,
    log: &mut AccessLog,
) -> Result<EngineRun> {
    let mut run = EngineRun {
        peer: String::new(),
        cases: Vec::new(),
        rows: 0,
    };
    log.requests_since_last()?;
    let started = Instant::now();
    let engine = Engine::open(EngineConfig {
        lake: Some(lake.to_string()),
        storage: StorageOptions::global(options),
        ..EngineConfig::default()
    })
    .await?;
    let time = started.elapsed();
    let logged = log.requests_since_last()?;
    run.push(
        OPEN,
        Sample {
            time,
            logged,
            counted: None,
        },
    );

    let (first, rows) = timed_query(&engine, log).await?;
    run.rows = rows;
    run.push(FIRST_QUERY, first);
    for _ in 0..rounds {
        let (sample, count) = timed_query(&engine, log).await?;
        ensure!(
            count == rows,
            "nothing changed, yet the count went from {rows} to {count}"
        );
        run.push(REPEATED, sample);
    }

    let set = format!(
        "SET lakeshore.max_staleness = '{}s'",
        MAX_STALENESS.as_secs()
    );
    engine.execute(&set).await?.try_collect::<Vec<_>>().await?;
    log.requests_since_last()?;
    let started = Instant::now();
    let mut with_requests = 0;
    for _ in 0..rounds {
        let (sample, count) = timed_query(&engine, log).await?;
        ensure!(count == rows, "the count went from {rows} to {count}");
        if sample.logged.total() > 0 {
            with_requests += 1;
        }
        run.push(WITHIN_STALENESS, sample);
    }
    // A look at the log serves for MAX_STALENESS, then one query looks again: no query may
    // make requests but those that come after a window ran out.
    let windows_ended = started.elapsed().as_secs_f64() / MAX_STALENESS.as_secs_f64();
    ensure!(
        with_requests as f64 <= windows_ended.floor(),
        "after `{set}`, {with_requests} of {rounds} queries made requests within {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(run)
}

/// Runs the benchmark's query; returns its time and requests, and the count it answered.
async fn timed_query(engine: &Engine, log: &mut AccessLog) -> Result<(Sample, i64)> {
    let watch = engine.watch_requests();
    let (time, rows) = timed_count(engine).await?;
    let counted = watch.elapsed();
    let logged = log.requests_since_last()?;
    let sample = Sample {
        time,
        logged,
        counted: Some(counted),
    };
    Ok((sample, rows))
}

/// DuckDB on the same table and emulator; the script pauses after each case, so the log is
/// read between two of its queries as between two of Lakeshore's.
fn measure_duckdb(
    args: &StoresArgs,
    table: &str,
    options: &HashMap<String, String>,
    rows: i64,
    log: &mut AccessLog,
) -> Result<EngineRun> {
    let options = serde_json::to_string(options)?;
    let rounds = args.rounds.to_string();
    let rows_text = rows.to_string();
    let mut run = EngineRun {
        peer: String::new(),
        cases: Vec::new(),
        rows,
    };
    log.requests_since_last()?;
    peers::run_peer_script_stepwise(
        &args.python,
        "stores_duckdb.py",
        &[table, "--rounds", &rounds, "--expect-rows", &rows_text],
        &[("LAKESHORE_STORAGE_OPTIONS", &options)],
        |case| {
            let sample = Sample {
                // One sample per line: its median is the sample.
                time: case.summary.median,
                logged: log.requests_since_last()?,
                counted: None,
            };
            run.peer.clone_from(&case.peer);
            run.push(&case.case, sample);
            Ok(())
        },
    )?;
    Ok(run)
}

/// An emulator's log, read on from where the last look stopped: the requests the server
/// answered in between, as it saw them. moto logs a line per request on standard error as
/// werkzeug does, Azurite (without `--silent`) on standard output, both in the common log
/// format: `127.0.0.1 - - [date] "GET /path?query HTTP/1.1" 200 -`.
struct AccessLog {
    path: PathBuf,
    file: File,
    read_to: u64,
}

/// How the log is watched until it stops growing.
const LOG_POLL: Duration = Duration::from_millis(15);
const LOG_QUIET_POLLS: u32 = 3;
const LOG_SETTLE_LIMIT: Duration = Duration::from_secs(10);

impl AccessLog {
    /// The log at `path`, from its end now on.
    fn from_end_of(path: &Path) -> Result<Self> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut log = Self {
            path: path.to_path_buf(),
            file,
            read_to: 0,
        };
        log.read_to = log.settled_length()?;
        Ok(log)
    }

    /// The requests logged since the last look. It waits first until the log stops growing:
    /// a server may write a request's line just after the client had its answer.
    fn requests_since_last(&mut self) -> Result<RequestCounts> {
        let end = self.settled_length()?;
        let mut bytes = Vec::new();
        self.file.seek(SeekFrom::Start(self.read_to))?;
        (&mut self.file)
            .take(end.saturating_sub(self.read_to))
            .read_to_end(&mut bytes)
            .with_context(|| format!("cannot read {}", self.path.display()))?;
        // Whole lines only; a line still being written is counted at the next look.
        let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        self.read_to += whole as u64;
        let mut counts = RequestCounts::default();
        for line in String::from_utf8_lossy(&bytes[..whole]).lines() {
            if let Some((method, target)) = request_of(line) {
                count_request(&mut counts, method, target)
                    .with_context(|| format!("in the emulator's log: {line}"))?;
            }
        }
        Ok(counts)
    }

    /// The log's length once it has not grown for a few polls in a row.
    fn settled_length(&self) -> Result<u64> {
        let started = Instant::now();
        let length = || -> Result<u64> {
            Ok(std::fs::metadata(&self.path)
                .with_context(|| format!("cannot read {}", self.path.display()))?
                .len())
        };
        let mut last = length()?;
        let mut quiet = 0;
        while quiet < LOG_QUIET_POLLS {
            if started.elapsed() > LOG_SETTLE_LIMIT {
                bail!(
                    "the emulator's log {} kept growing for {LOG_SETTLE_LIMIT:?}",
                    self.path.display()
                );
            }
            std::thread::sleep(LOG_POLL);
            let now = length()?;
            if now == last {
                quiet += 1;
            } else {
                (last, quiet) = (now, 0);
            }
        }
        Ok(last)
    }
}

/// The method and target of an access-log line, `None` for other lines (start-up messages).
/// moto colours some lines (ANSI escapes around the request), so those are dropped first.
fn request_of(line: &str) -> Option<(&str, &str)> {
    let (_, rest) = line.split_once("] \"")?;
    let rest = rest.trim_start_matches(|c: char| {
        c == '\u{1b}' || c == '[' || c.is_ascii_digit() || c == ';' || c == 'm'
    });
    let mut words = rest.split_whitespace();
    let method = words.next()?;
    let target = words.next()?;
    (method.chars().all(|c| c.is_ascii_uppercase()) && target.starts_with('/'))
        .then_some((method, target))
}

/// Adds one request to `counts` in Lakeshore's kinds: a GET that lists (S3's `list-type=2`,
/// Azure's `comp=list`) is a listing, other GETs reads; POST (S3's multipart calls) is a write.
fn count_request(counts: &mut RequestCounts, method: &str, target: &str) -> Result<()> {
    let query = target.split_once('?').map_or("", |(_, query)| query);
    let lists = query
        .split('&')
        .any(|pair| pair.starts_with("list-type=") || pair == "comp=list");
    match method {
        "GET" if lists => counts.list += 1,
        "GET" => counts.get += 1,
        "HEAD" => counts.head += 1,
        "PUT" | "POST" => counts.put += 1,
        "DELETE" => counts.delete += 1,
        // Never silently left out: a count that misses requests would flatter someone.
        other => bail!("a {other} request, which no kind of RequestCounts holds"),
    }
    Ok(())
}

/// The kinds of two counts, without the bytes (the log does not tell them alike).
fn same_requests(a: &RequestCounts, b: &RequestCounts) -> bool {
    (a.list, a.head, a.get, a.put, a.delete) == (b.list, b.head, b.get, b.put, b.delete)
}

fn print_report(
    kind: StoreKind,
    table: &str,
    rounds: usize,
    lakeshore: &EngineRun,
    duckdb: Option<&EngineRun>,
) {
    let peers: Vec<String> = duckdb.iter().map(|run| run.peer.clone()).collect();
    let times = |run: &EngineRun, case: &str| {
        run.case(case).and_then(|case| {
            let samples: Vec<Duration> = case.samples.iter().map(|s| s.time).collect();
            Summary::of(&samples).map(Measure::from)
        })
    };
    let requests = |run: &EngineRun, case: &str| {
        run.case(case).and_then(|case| {
            let samples: Vec<u64> = case.samples.iter().map(|s| s.logged.total()).collect();
            CountSummary::of(&samples).map(Measure::Requests)
        })
    };
    let mut rows = Vec::new();
    for (case, label) in [
        (OPEN, "open".to_string()),
        (FIRST_QUERY, "first query".to_string()),
        (REPEATED, format!("repeated ({rounds}x)")),
        (
            WITHIN_STALENESS,
            format!(
                "repeated, max_staleness '{}s' ({rounds}x)",
                MAX_STALENESS.as_secs()
            ),
        ),
    ] {
        rows.push(Row {
            case: format!("{label}: time"),
            lakeshore: times(lakeshore, case),
            peers: duckdb
                .iter()
                .map(|run| times(run, peer_case(case)))
                .collect(),
        });
        rows.push(Row {
            case: format!("{label}: requests"),
            lakeshore: requests(lakeshore, case),
            peers: duckdb
                .iter()
                .map(|run| requests(run, peer_case(case)))
                .collect(),
        });
    }

    println!();
    println!(
        "stores: `{QUERY}` on {}, {table}: {COMMITS} one-row commits, a checkpoint, \
         {COMMITS_AFTER_CHECKPOINT} commits after it ({} rows)",
        store_name(kind),
        lakeshore.rows
    );
    println!();
    report::print_comparison(&peers, &rows);
    println!("Requests are the lines of the emulator's access log during each query.");
    if duckdb.is_some() {
        println!(
            "max_staleness: after `SET lakeshore.max_staleness = '{}s'`. DuckDB has no such \
             setting: beside it stands DuckDB's plain repeated query.",
            MAX_STALENESS.as_secs()
        );
    }
    if kind != StoreKind::Moto && duckdb.is_some() {
        println!(
            "DuckDB on Azurite: its delta extension sends delta-kernel to 127.0.0.1:10000 \
             (object_store's emulator default), not to the secret's BlobEndpoint; \
             stores_duckdb.py sets AZURITE_BLOB_STORAGE_URL to the emulator for it."
        );
    }
    println!();
    print_request_kinds(lakeshore, duckdb);
}

/// The requests of one typical query of each case by kind, as the engine counted them and as the
/// emulator logged them, and whether Lakeshore's two counts agree on every query.
fn print_request_kinds(lakeshore: &EngineRun, duckdb: Option<&EngineRun>) {
    let mut header = vec![
        "case (the query of median requests)",
        "lakeshore, its own count",
        "lakeshore, emulator's log",
    ];
    if duckdb.is_some() {
        header.push("duckdb, emulator's log");
    }
    println!("| {} |", header.join(" | "));
    println!("|{}", "---|".repeat(header.len()));
    let shown = |counts: Option<RequestCounts>| counts.map_or("-".to_string(), |c| c.to_string());
    for case in &lakeshore.cases {
        let ours = typical(case);
        let mut cells = vec![
            case.name.clone(),
            shown(ours.and_then(|s| s.counted)),
            shown(ours.map(|s| s.logged)),
        ];
        if let Some(duckdb) = duckdb {
            let theirs = duckdb.case(peer_case(&case.name)).and_then(typical);
            cells.push(shown(theirs.map(|s| s.logged)));
        }
        println!("| {} |", cells.join(" | "));
    }
    let compared: Vec<bool> = lakeshore
        .cases
        .iter()
        .flat_map(|case| &case.samples)
        .filter_map(|sample| {
            sample
                .counted
                .map(|counted| same_requests(&counted, &sample.logged))
        })
        .collect();
    let agreeing = compared.iter().filter(|&&same| same).count();
    println!();
    println!(
        "Lakeshore's own request counts agree with the emulator's log on {agreeing} of {} \
         queries (LIST, HEAD, GET, PUT, DELETE; a GET that lists counts as LIST).",
        compared.len()
    );
}

/// The peer's case beside one of Lakeshore's: DuckDB has no staleness setting, so beside that
/// case stands its plain repeated query.
fn peer_case(case: &str) -> &str {
    if case == WITHIN_STALENESS {
        REPEATED
    } else {
        case
    }
}

/// The sample of the median request count among a case's runs: the case's typical query.
fn typical(case: &Case) -> Option<&Sample> {
    let mut samples: Vec<&Sample> = case.samples.iter().collect();
    samples.sort_by_key(|sample| sample.logged.total());
    samples.get(samples.len().saturating_sub(1) / 2).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(lines: &[&str]) -> RequestCounts {
        let mut counts = RequestCounts::default();
        for line in lines {
            if let Some((method, target)) = request_of(line) {
                count_request(&mut counts, method, target).unwrap();
            }
        }
        counts
    }

    #[test]
    fn moto_and_azurite_log_lines_are_counted_by_kind() {
        let counts = counted(&[
            " * Running on http://127.0.0.1:18555",
            "127.0.0.1 - - [04/Dec/2026 15:17:41] \"GET /lakeshore?list-type=2&prefix=lake%2F HTTP/1.1\" 200 -",
            "127.0.0.1 - - [04/Dec/2026 15:17:41] \"\u{1b}[35m\u{1b}[1mGET /lakeshore/lake/x.parquet HTTP/1.1\u{1b}[0m\" 206 -",
            "127.0.0.1 - - [04/Dec/2026:15:18:42 +0000] \"HEAD /devstoreaccount1/lakeshore/a HTTP/1.1\" 200 66",
            "127.0.0.1 - - [04/Dec/2026:15:18:42 +0000] \"GET /devstoreaccount1/lakeshore?restype=container&comp=list&prefix=a HTTP/1.1\" 200 -",
            "127.0.0.1 - - [04/Dec/2026:15:18:42 +0000] \"PUT /devstoreaccount1/lakeshore/b HTTP/1.1\" 201 -",
            "Azurite Blob service successfully listens on http://127.0.0.1:18556",
        ]);
        assert_eq!(
            counts,
            RequestCounts {
                list: 2,
                head: 1,
                get: 1,
                put: 1,
                ..RequestCounts::default()
            }
        );
    }
}
