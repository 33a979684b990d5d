//! Running the `lakeshore` binary and building lakes of golden Delta tables for it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

/// Delta's golden table `name`: its `delta/` table and `expected/` rows live below this folder.
pub fn golden(name: &str) -> PathBuf {
    // The shared reference data sits beside the repository: <workspace>/../shared.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/delta-golden")
        .join(name)
}

/// The golden table with 100 rows, `id` 0..=99 and `str`: 'N/A' for ids below 50 (after an
/// update), 'val=<id>' for the rest. Placed in lakes as `silver.updates`.
pub const UPDATES: &str = "basic-with-inserts-updates";
/// The golden table with 4 rows of decimals, partitioned by `part`. Placed as `silver.decimals`.
pub const DECIMALS: &str = "basic-decimal-table";

/// The golden table of 11 rows of primitive types, columns `as_int`, `as_long`, ...,
/// `as_boolean`, `as_string`. Placed as `silver.primitives`.
pub const PRIMITIVES: &str = "data-reader-primitives";

/// A lake in a temporary folder, holding copies of golden tables.
pub struct Lake {
    dir: TempDir,
}

impl Lake {
    /// A lake with the golden `tables` at the given paths below its root, e.g.
    /// `[("silver/updates", UPDATES)]`.
    pub fn with_tables(tables: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("create a temporary lake");
        for (path, golden_name) in tables {
            copy_dir(&golden(golden_name).join("delta"), &dir.path().join(path));
        }
        Lake { dir }
    }

    /// The usual lake of these tests: `silver.updates` and `silver.decimals`.
    pub fn silver() -> Self {
        Self::with_tables(&[("silver/updates", UPDATES), ("silver/decimals", DECIMALS)])
    }

    pub fn root(&self) -> &str {
        self.dir
            .path()
            .to_str()
            .expect("temporary folder names are UTF-8")
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create a table folder");
    for entry in std::fs::read_dir(from).expect("list a golden table") {
        let entry = entry.expect("read a golden table entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a golden table file");
        }
    }
}

/// What a run of `lakeshore` left behind.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    }
}

impl Run {
    /// Asserts the run succeeded and returns its standard output.
    #[track_caller]
    pub fn ok(self) -> String {
        assert_eq!(self.code, Some(0), "lakeshore failed: {self:#?}");
        assert_eq!(self.stderr, "", "a successful run wrote to stderr");
        self.stdout
    }

    /// Asserts the run failed with exit code 1 and an `Error: ...` line, and returns the error.
    #[track_caller]
    pub fn failed(self) -> Run {
        assert_eq!(
            self.code,
            Some(1),
            "lakeshore did not fail as expected: {self:#?}"
        );
        assert!(
            self.stderr.starts_with("Error: "),
            "no `Error:` message on stderr: {self:#?}"
        );
        self
    }
}

/// A `lakeshore` command with `args`, not influenced by the environment of the test run and
/// with nothing on standard input.
pub fn lakeshore(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lakeshore"));
    command
        .args(args)
        .env_remove("LAKESHORE_LAKE")
        .env_remove("LAKESHORE_CLUSTER")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    command
}

/// Runs `command` to its end.
pub fn run(command: &mut Command) -> Run {
    Run::from(command.output().expect("start lakeshore"))
}

/// Runs `sql` (given with `-c`) on `lake`, results as CSV.
pub fn csv_in(lake: &Lake, sql: &str) -> Run {
    run(&mut lakeshore(&[
        "--lake",
        lake.root(),
        "--format",
        "csv",
        "-c",
        sql,
    ]))
}

/// Runs `command` with `input` piped to its standard input.
pub fn run_with_stdin(command: &mut Command, input: &str) -> Run {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start lakeshore");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input.as_bytes())
        .expect("write the script to stdin");
    Run::from(child.wait_with_output().expect("wait for lakeshore"))
}

/// A SQL string literal of a path.
pub fn sql_path(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "''"))
}

/// The current version and number of live data files of a golden table, read from its
/// `_delta_log` commits: one commit per version, each `add` a file, each `remove` one gone.
pub fn version_and_files(table: &str) -> (usize, usize) {
    let log = golden(table).join("delta/_delta_log");
    let mut commits = 0;
    let mut files = 0;
    for entry in std::fs::read_dir(&log).expect("list the delta log") {
        let path = entry.expect("a log entry").path();
        if path.extension().is_some_and(|ext| ext == "json") {
            commits += 1;
            let text = std::fs::read_to_string(&path).expect("read a commit");
            files += text.matches("{\"add\"").count();
            files -= text.matches("{\"remove\"").count();
        }
    }
    (commits - 1, files)
}
