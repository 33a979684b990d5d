//! A real `lakeshore-server` process over a test lake, and clients for it.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;
use arrow_flight::FlightInfo;
use arrow_flight::sql::client::FlightSqlServiceClient;
use futures::TryStreamExt;
use tempfile::TempDir;
use tonic::transport::{Channel, Endpoint};

/// How long a server may take to start (a debug build opening a lake).
const START_LIMIT: Duration = Duration::from_secs(60);

/// A test lake: the writer's small lake (bronze, silver, gold, a root table) plus golden tables
/// written by Spark under `golden/`.
pub fn test_lake() -> TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder for the lake");
    lakeshore_tests::write_lake(dir.path());
    for (golden, name) in [
        ("data-reader-primitives", "primitives"),
        ("data-reader-nested-struct", "nested"),
        ("basic-decimal-table", "decimals"),
    ] {
        copy_dir(
            &lakeshore_tests::golden_table(golden),
            &dir.path().join("golden").join(name),
        );
    }
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create a folder of the test lake");
    for entry in std::fs::read_dir(from).expect("list a golden table") {
        let entry = entry.expect("a golden table's entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("an entry's type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a golden table's file");
        }
    }
}

/// A running `lakeshore-server`, killed when dropped; its log lines are kept.
pub struct TestServer {
    child: Child,
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl TestServer {
    /// Serves `lake` (a folder or a store URI) on a free loopback port with `args` added.
    pub fn start(lake: impl AsRef<OsStr>, args: &[&str]) -> Self {
        Self::start_with_env(lake, args, &[])
    }

    /// Starts the server, or returns what it wrote before it stopped.
    pub fn try_start(lake: impl AsRef<OsStr>, args: &[&str]) -> Result<Self, String> {
        Self::try_start_with_env(lake, args, &[])
    }

    /// Like [`TestServer::start`], with `env` set for the server.
    pub fn start_with_env(lake: impl AsRef<OsStr>, args: &[&str], env: &[(&str, &str)]) -> Self {
        match Self::try_start_with_env(lake, args, env) {
            Ok(server) => server,
            Err(log) => panic!("lakeshore-server did not start:\n{log}"),
        }
    }

    fn try_start_with_env(
        lake: impl AsRef<OsStr>,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Result<Self, String> {
        let address_given =
            args.contains(&"--listen") || env.iter().any(|(name, _)| *name == "LAKESHORE_LISTEN");
        let mut child = Command::new(env!("CARGO_BIN_EXE_lakeshore-server"))
            .arg("--lake")
            .arg(lake.as_ref())
            .args(if address_given {
                &[][..]
            } else {
                &["--listen", "127.0.0.1:0"][..]
            })
            .args(args)
            .envs(env.iter().copied())
            .env("LAKESHORE_LOG", "warn,lakeshore_flight=info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start lakeshore-server");
        let stderr = child.stderr.take().expect("the server's stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (address_tx, address_rx) = mpsc::channel();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some((_, address)) = line.split_once("listening on ") {
                    let _ = address_tx.send(address.trim().to_string());
                }
                lines.lock().unwrap().push(line);
            }
        });
        let deadline = Instant::now() + START_LIMIT;
        loop {
            if let Ok(address) = address_rx.recv_timeout(Duration::from_millis(50)) {
                let addr = address.parse().expect("the logged address");
                return Ok(Self { child, addr, log });
            }
            if child.try_wait().expect("the server's status").is_some() || Instant::now() > deadline
            {
                let _ = child.kill();
                std::thread::sleep(Duration::from_millis(100));
                return Err(log.lock().unwrap().join("\n"));
            }
        }
    }

    pub fn uri(&self) -> String {
        format!("grpc://{}", self.addr)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Waits until a log line holds every one of `needles`; returns it.
    pub fn wait_for_log(&self, needles: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let found = self
                .log()
                .into_iter()
                .find(|line| needles.iter().all(|needle| line.contains(needle)));
            if let Some(line) = found {
                return line;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "no log line holds {needles:?}; the log:\n{}",
            self.log().join("\n")
        );
    }

    /// Waits for the process to end; its exit status, if it ended in time.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("the server's status") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// A Flight SQL client over plain gRPC, not logged in.
    pub async fn client(&self) -> FlightSqlServiceClient<Channel> {
        let channel = Endpoint::from_shared(format!("http://{}", self.addr))
            .expect("the endpoint")
            .connect()
            .await
            .expect("connect to the server");
        FlightSqlServiceClient::new(channel)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every batch of the one endpoint of `info`.
pub async fn fetch(
    client: &mut FlightSqlServiceClient<Channel>,
    info: &FlightInfo,
) -> Result<Vec<RecordBatch>, tonic::Status> {
    let ticket = info.endpoint[0].ticket.clone().expect("a ticket");
    let stream = client.do_get(ticket).await.map_err(status)?;
    stream.try_collect().await.map_err(status)
}

/// Runs `sql` and gathers its result.
pub async fn query(
    client: &mut FlightSqlServiceClient<Channel>,
    sql: &str,
) -> Result<Vec<RecordBatch>, tonic::Status> {
    let info = client
        .execute(sql.to_string(), None)
        .await
        .map_err(status)?;
    fetch(client, &info).await
}

/// The gRPC status inside a client error.
pub fn status(error: arrow_flight::error::FlightError) -> tonic::Status {
    match error {
        arrow_flight::error::FlightError::Tonic(status) => *status,
        other => tonic::Status::unknown(other.to_string()),
    }
}

/// The test scripts run with `$LAKESHORE_PYTHON`.
pub fn python_scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python")
}
