//! The command line: what `lakeshore` accepts, and the scripts it names in the order given.

use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::print_format::PrintFormat;
use crate::script::Script;

/// Rows a table shows when `--maxrows` is not given.
const DEFAULT_TABLE_MAXROWS: usize = 40;

/// SQL over a Delta lake.
///
/// Runs the statements of each -c and -f in the order given (each may hold several statements
/// separated by `;`), or, with neither, the statements piped on standard input. Results go to
/// standard output; the first error is printed to standard error and ends the run with exit
/// code 1. At a terminal, with neither -c nor -f, opens the interactive shell (`\?` lists its
/// commands).
#[derive(Debug, Parser)]
#[command(name = "lakeshore", version)]
pub struct Args {
    /// The lake root, a local folder or an object-store URI; its top-level folders become schemas
    /// of the catalog `lake`. Without it (and without LAKESHORE_LAKE) the catalog is empty, and
    /// tables are read by path with delta_scan('...').
    #[arg(long, value_name = "URI", env = "LAKESHORE_LAKE")]
    lake: Option<String>,

    /// An object-store option, KEY=VALUE, for every location: credentials, endpoints,
    /// timeouts (aws_region, azure_storage_account_key, google_service_account, allow_http,
    /// timeout ...); may be repeated. What is not given comes from each cloud's own chain
    /// (environment, profile, workload identity, metadata service).
    // Global, as is --config, so that `lakeshore demo create URI --storage-option K=V` works
    // as typed.
    #[arg(long = "storage-option", value_name = "KEY=VALUE", global = true)]
    pub storage_options: Vec<String>,

    /// A TOML file of object-store options by URI prefix, one section each:
    /// [storage."s3://bucket/lake"] with KEY = "VALUE" lines.
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,

    /// SQL to run; may be repeated.
    #[arg(short = 'c', long = "command", value_name = "SQL")]
    commands: Vec<String>,

    /// A file of SQL statements to run; may be repeated.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    files: Vec<PathBuf>,

    /// How results are written.
    #[arg(long, value_enum, default_value_t = PrintFormat::Table)]
    pub format: PrintFormat,

    /// Rows shown per result in table output (default 40); 0 shows all. Other formats write
    /// every row.
    #[arg(long, value_name = "N")]
    maxrows: Option<usize>,

    /// Write results only: no row count under tables. (A note that rows were left out of a
    /// table is still written.)
    #[arg(short, long)]
    pub quiet: bool,

    /// Memory a query may hold, e.g. 512M or 2G; operators that can spill go to disk past it.
    #[arg(long, value_name = "SIZE", value_parser = parse_memory_size)]
    pub memory_limit: Option<usize>,

    /// Bytes of data files kept in memory for the queries that read them again, e.g. 4G;
    /// 0 keeps none (default: a quarter of the machine's or container's memory). Under
    /// --memory-limit, held within it too, and given back to queries that need it.
    #[arg(long, value_name = "SIZE", value_parser = parse_memory_size)]
    pub data_cache: Option<usize>,

    /// Parallelism of a query (default: the number of cores).
    #[arg(long, value_name = "N")]
    pub target_partitions: Option<NonZeroUsize>,

    /// Open the Electroniz demo lake at LOCATION, a local folder (default ./lakeshore-demo) or
    /// an object-store URI, creating it first when it is missing.
    #[arg(long, value_name = "LOCATION", num_args = 0..=1, default_missing_value = lakeshore_demo::DEFAULT_DIR,
          conflicts_with = "connect")]
    demo: Option<String>,

    /// Run queries on a cluster of `lakeshore-worker`s: their URLs (`http://HOST:PORT`),
    /// comma-separated or repeated. The shell plans each query and the workers scan and
    /// compute (see docs/cluster.md).
    #[arg(
        long,
        value_name = "URL",
        env = "LAKESHORE_CLUSTER",
        value_delimiter = ',',
        conflicts_with = "connect"
    )]
    pub cluster: Vec<String>,

    /// Run against a lakeshore-server over Flight SQL: grpc://HOST:PORT, or grpc+tls://HOST:PORT
    /// with --tls-ca. The password comes from LAKESHORE_PASSWORD or is asked for.
    #[arg(long, value_name = "URL")]
    pub connect: Option<String>,

    /// The user to log in as on the server (with --connect).
    #[arg(long, value_name = "NAME", requires = "connect")]
    pub user: Option<String>,

    /// The certificate authority (PEM) that signed the server's certificate, for grpc+tls://.
    #[arg(long, value_name = "FILE", requires = "connect")]
    pub tls_ca: Option<PathBuf>,

    #[command(subcommand)]
    pub action: Option<Action>,

    /// The -c and -f scripts, in command-line order (filled in by `parse_command_line`).
    #[arg(skip)]
    scripts: Vec<Script>,
}

impl Args {
    /// Parses the process's arguments; on a usage error prints it and exits (code 2).
    pub fn parse_command_line() -> Self {
        let matches = Self::command().get_matches();
        let mut args = Self::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
        args.scripts = args.scripts_in_order(&matches);
        // A lake exported in LAKESHORE_LAKE gives way to --demo and --connect; one given on the
        // command line with them is a mistake.
        if args.demo.is_some() || args.connect.is_some() {
            if matches.value_source("lake") == Some(ValueSource::CommandLine) {
                Self::command()
                    .error(
                        ErrorKind::ArgumentConflict,
                        "--lake cannot be used with --demo or --connect",
                    )
                    .exit();
            }
            args.lake = None;
        }
        args
    }

    /// The -c and -f scripts in the order they appeared on the command line. (clap keeps each
    /// option's values apart; their argument indices restore the order between them.)
    fn scripts_in_order(&self, matches: &ArgMatches) -> Vec<Script> {
        let commands = self.commands.iter().cloned().map(Script::Inline);
        let files = self.files.iter().cloned().map(Script::File);
        let indices = |id: &str| matches.indices_of(id).into_iter().flatten();
        let mut scripts: Vec<(usize, Script)> = indices("commands")
            .zip(commands)
            .chain(indices("files").zip(files))
            .collect();
        scripts.sort_by_key(|(index, _)| *index);
        scripts.into_iter().map(|(_, script)| script).collect()
    }

    /// The -c and -f scripts, in command-line order.
    pub fn scripts(&self) -> &[Script] {
        &self.scripts
    }

    /// The lake to open, if any. An empty value counts as none, so `LAKESHORE_LAKE=` turns an
    /// exported lake off.
    pub fn lake(&self) -> Option<&str> {
        self.lake.as_deref().filter(|lake| !lake.is_empty())
    }

    /// The demo lake's location (a local folder or an object-store URI), with `--demo`.
    pub fn demo(&self) -> Option<&str> {
        self.demo.as_deref()
    }

    /// The most rows a table shows, `None` for all.
    pub fn table_maxrows(&self) -> Option<usize> {
        match self.maxrows.unwrap_or(DEFAULT_TABLE_MAXROWS) {
            0 => None,
            n => Some(n),
        }
    }
}

/// What `lakeshore` does instead of running SQL.
#[derive(Debug, Subcommand)]
pub enum Action {
    /// The Electroniz demo lake.
    #[command(subcommand)]
    Demo(DemoAction),
}

#[derive(Debug, Subcommand)]
pub enum DemoAction {
    /// Creates the demo lake at LOCATION (bronze, silver and gold Delta tables), then exits.
    Create {
        /// Where to create it: a local folder or an object-store URI (s3://, az://, abfss://,
        /// gs:// ...), missing or empty; credentials come from --storage-option and --config.
        #[arg(value_name = "LOCATION")]
        location: String,
        /// How much data: 1 is small; the row counts grow in proportion.
        #[arg(long, default_value_t = 1, value_name = "N")]
        scale: u32,
    },
}

/// Parses a byte count with an optional binary unit: `1073741824`, `512K`, `512M`, `2G`, `1T`
/// (a trailing `B` or `iB` is accepted too: `2GB`, `2GiB`).
fn parse_memory_size(text: &str) -> Result<usize, String> {
    let upper = text.trim().to_ascii_uppercase();
    let without_suffix = upper
        .strip_suffix("IB")
        .or_else(|| upper.strip_suffix('B'))
        .unwrap_or(&upper);
    let digits_end = without_suffix
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(without_suffix.len());
    let (digits, unit) = without_suffix.split_at(digits_end);
    let shift = match unit {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(format!("unknown unit '{unit}' (use K, M, G or T)")),
    };
    let count: usize = digits.parse().map_err(|_| {
        "expected a whole number with an optional unit, e.g. 512M or 2G".to_string()
    })?;
    count
        .checked_mul(1 << shift)
        .filter(|bytes| *bytes > 0)
        .ok_or_else(|| format!("'{text}' is not a usable memory size"))
}

#[cfg(test)]
mod tests {
    use super::parse_memory_size;

    #[test]
    fn memory_sizes_take_binary_units() {
        assert_eq!(parse_memory_size("1000"), Ok(1000));
        assert_eq!(parse_memory_size("512M"), Ok(512 << 20));
        assert_eq!(parse_memory_size("2g"), Ok(2 << 30));
        assert_eq!(parse_memory_size("2GB"), Ok(2 << 30));
        assert_eq!(parse_memory_size("4KiB"), Ok(4 << 10));
    }

    #[test]
    fn bad_memory_sizes_are_refused() {
        for bad in ["", "G", "2X", "-1G", "1.5G", "0", "99999999999T"] {
            assert!(parse_memory_size(bad).is_err(), "{bad} was accepted");
        }
    }
}
