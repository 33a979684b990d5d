//! `lakeshore-bench flight`: what a Flight SQL round trip costs a client, measured by a Rust
//! client (arrow-flight's `FlightSqlServiceClient`, no Python in the timed path) against a
//! running `lakeshore-server`, or one it starts on a lake written by `tpch-gen`.
//!
//! Each case runs alone: every client (each with its own connection) calls it `--rounds` times,
//! all at once; 1 and 16 clients by default. The floor is a bare gRPC call (`ListActions`) in the same
//! run: what a query costs above it is the server's work, not the transport's.

mod load;
mod server;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::Args;

use self::load::{Case, measure};
use self::server::SpawnedServer;
use crate::peers;
use crate::stats::millis;

#[derive(Debug, Args)]
pub struct FlightArgs {
    /// A running server, grpc://HOST:PORT (no login: started with no users file).
    #[arg(long, value_name = "URL", conflicts_with = "lake")]
    server: Option<String>,

    /// Start `lakeshore-server` on this lake (one `tpch-gen` wrote) on a free loopback port.
    #[arg(long, value_name = "DIR")]
    lake: Option<PathBuf>,

    /// The `lakeshore-server` binary to start (default: the one beside this binary).
    #[arg(long, value_name = "PATH")]
    lakeshore_server: Option<PathBuf>,

    /// Numbers of concurrent clients, each a run of its own.
    #[arg(
        long,
        value_name = "N,...",
        value_delimiter = ',',
        default_value = "1,16"
    )]
    clients: Vec<usize>,

    /// Only the cases whose names contain one of these (the floor always runs).
    #[arg(long = "case", value_name = "TEXT")]
    cases: Vec<String>,

    /// Timed calls of each case per client (after one untimed warm-up call).
    #[arg(long, value_name = "N", default_value_t = 50)]
    rounds: usize,

    /// After the Rust client, also run `peers/flight_round_trip.py` (pyarrow.flight and ADBC)
    /// against the same server, for comparison.
    #[arg(long)]
    python_client: bool,

    /// The Python with pyarrow and the ADBC Flight SQL driver.
    #[arg(long, value_name = "PATH", env = "LAKESHORE_PYTHON", default_value_os_t = peers::default_python())]
    python: PathBuf,
}

/// The cases, each one statement (two round trips: GetFlightInfo, then DoGet) except the floor
/// and the prepared statement (four: create, GetFlightInfo, DoGet, close). They assume the
/// `tpch` schema that `tpch-gen` writes.
fn cases() -> Vec<Case> {
    vec![
        Case::floor("floor: ListActions (bare gRPC)"),
        Case::sql("SELECT 1", "SELECT 1"),
        Case::sql(
            "point lookup",
            "SELECT * FROM tpch.orders WHERE o_orderkey = 32",
        ),
        Case::sql("LIMIT 10", "SELECT * FROM tpch.lineitem LIMIT 10"),
        Case::sql(
            "small group-by",
            "SELECT n_regionkey, count(*) AS nations FROM tpch.nation \
             GROUP BY n_regionkey ORDER BY n_regionkey",
        ),
        Case::prepared(
            "JDBC sequence: prepare, GetFlightInfo, DoGet, close (point lookup)",
            "SELECT * FROM tpch.orders WHERE o_orderkey = 32",
        ),
    ]
}

pub async fn run(args: &FlightArgs) -> Result<()> {
    let (url, server) = match (&args.server, &args.lake) {
        (Some(url), _) => (url.clone(), None),
        (None, Some(lake)) => {
            let server = SpawnedServer::start(args.lakeshore_server.as_deref(), lake)?;
            (server.url(), Some(server))
        }
        (None, None) => bail!("give --server URL or --lake DIR"),
    };
    println!(
        "server: {url}; {} timed calls per case and client",
        args.rounds
    );
    println!();
    println!("| case | clients | p50 | p99 | p50 / floor's p50 | server CPU per call |");
    println!("|---|---|---|---|---|---|");
    for &clients in &args.clients {
        let mut floor = None;
        let chosen = cases().into_iter().enumerate().filter(|(index, case)| {
            *index == 0
                || args.cases.is_empty()
                || args
                    .cases
                    .iter()
                    .any(|text| case.name().contains(text.as_str()))
        });
        for (_, case) in chosen {
            let cpu_before = server.as_ref().and_then(SpawnedServer::cpu_time);
            let result = measure(&url, &case, clients.max(1), args.rounds.max(1)).await?;
            let cpu_used = server
                .as_ref()
                .and_then(SpawnedServer::cpu_time)
                .zip(cpu_before)
                .map(|(after, before)| after.saturating_sub(before));
            // Every call counts, the warm-up ones too.
            let calls = clients.max(1) * (args.rounds.max(1) + 1);
            // The first case is the floor.
            let floor = *floor.get_or_insert(result.p50);
            println!(
                "| {} | {clients} | {} | {} | {} | {} |",
                case.name(),
                millis(result.p50),
                millis(result.p99),
                ratio(result.p50, floor),
                cpu_used.map_or("-".to_string(), |cpu| millis(cpu / calls as u32)),
            );
        }
    }
    println!();
    println!("p50 and p99 over all clients' calls, nearest rank; a statement is two round trips.");
    println!(
        "Server CPU per call: the spawned server's user and system time over the case's calls, \
         warm-ups included (10 ms ticks); - for a server given by --server."
    );
    if args.python_client {
        println!();
        println!("peers/flight_round_trip.py (one client, medians of 40):");
        let output = peers::run_to_end(
            std::process::Command::new(&args.python)
                .arg(peers::peer_script("flight_round_trip.py"))
                .arg(&url),
            "flight_round_trip.py",
        )?;
        print!("{}", String::from_utf8_lossy(&output.stdout));
    }
    Ok(())
}

fn ratio(value: Duration, floor: Duration) -> String {
    match floor.is_zero() {
        true => "-".to_string(),
        false => format!("{:.1}", value.as_secs_f64() / floor.as_secs_f64()),
    }
}
