//! The server reaches the lake and nothing else: every way out tried by real clients (the ADBC
//! driver, as each role), with what must be refused, what must still work, and what must not
//! have been written; and logins that a flood of wrong passwords cannot turn into a stall.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use lakeshore_engine::{Engine, EngineConfig};
use lakeshore_tests::canonical_rows;

use crate::harness::{TestServer, python_scripts, query};

/// `lakeshore-server passwd FILE USER ARGS...` with the password on stdin.
fn add_user(file: &Path, user: &str, password: &str, args: &[&str]) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lakeshore-server"))
        .args(["passwd", file.to_str().unwrap(), user])
        .args(args)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    assert!(child.wait().unwrap().success());
}

/// A lake with neighbours: `outside/` (a CSV, JSON and Parquet file and a Delta table, none
/// of which the server may read), `shared/` (allowed by --allow-read), `exports/` (allowed by
/// --allow-copy-to), `elsewhere/` (allowed nothing), and the users file.
struct Neighbourhood {
    _root: tempfile::TempDir,
    root: PathBuf,
}

impl Neighbourhood {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let lake = root.join("lake");
        lakeshore_tests::write_lake(&lake);
        let outside = root.join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("secret.csv"), "secret\nTOPSECRET\n").unwrap();
        std::fs::write(outside.join("secret.json"), "{\"secret\": \"TOPSECRET\"}\n").unwrap();
        copy_dir(&lake.join("gold/summary"), &outside.join("delta"));
        let parquet = std::fs::read_dir(outside.join("delta"))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .find(|path| path.extension().is_some_and(|ext| ext == "parquet"))
            .expect("a data file of gold/summary");
        std::fs::copy(parquet, outside.join("secret.parquet")).unwrap();
        std::os::unix::fs::symlink(outside.join("secret.csv"), lake.join("gold/link.csv")).unwrap();
        std::fs::create_dir_all(root.join("shared")).unwrap();
        std::fs::write(root.join("shared/shared.csv"), "n\n1\n2\n").unwrap();
        std::fs::create_dir_all(root.join("exports")).unwrap();
        std::fs::create_dir_all(root.join("elsewhere")).unwrap();
        let users = root.join("users");
        add_user(
            &users,
            "rita",
            "reader-pw",
            &["--role", "reader", "--layers", "gold,silver"],
        );
        add_user(&users, "walt", "writer-pw", &["--role", "writer"]);
        add_user(&users, "ada", "admin-pw", &["--role", "admin"]);
        Self { _root: dir, root }
    }

    fn path(&self, name: &str) -> String {
        self.root.join(name).to_str().unwrap().to_string()
    }

    fn start(&self) -> TestServer {
        TestServer::start(
            self.path("lake"),
            &[
                "--users",
                &self.path("users"),
                "--allow-read",
                &self.path("shared"),
                "--allow-copy-to",
                &self.path("exports"),
            ],
        )
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// The files below `dir`, as paths relative to it, sorted.
fn files_below(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap();
                found.push(relative.to_str().unwrap().to_string());
            }
        }
    }
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn server_users_reach_the_lake_and_the_allowed_prefixes_only() {
    let place = Neighbourhood::new();
    let outside = place.path("outside");
    // Views that someone with more freedom defined (here the embedded engine, which has no
    // policy): one over a bronze table, two over a table outside the lake.
    let engine = Engine::open(EngineConfig::for_lake(place.path("lake")))
        .await
        .unwrap();
    for sql in [
        "CREATE VIEW gold.bronze_orders AS SELECT * FROM bronze.raw_orders".to_string(),
        "CREATE VIEW bronze.recent_orders AS SELECT * FROM bronze.raw_orders".to_string(),
        format!("CREATE VIEW gold.outside_rows AS SELECT * FROM delta_scan('{outside}/delta')"),
        format!(
            "CREATE VIEW gold.outside_history AS SELECT * FROM delta_history('{outside}/delta')"
        ),
    ] {
        engine.execute(&sql).await.unwrap();
    }
    drop(engine);
    let outside_before = files_below(Path::new(&outside));

    let server = place.start();
    let config = serde_json::json!({
        "lake": place.path("lake"),
        "outside": outside,
        "shared": place.path("shared"),
        "exports": place.path("exports"),
        "elsewhere": place.path("elsewhere"),
        "users": {
            "reader": ["rita", "reader-pw"],
            "writer": ["walt", "writer-pw"],
            "admin": ["ada", "admin-pw"],
        },
    });
    let output = lakeshore_tests::python()
        .arg("-W")
        .arg("ignore")
        .arg(python_scripts().join("security_client.py"))
        .arg(server.uri())
        .arg(config.to_string())
        .output()
        .expect("run the Python client");
    assert!(
        output.status.success(),
        "security_client.py failed:\n{}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        server.log().join("\n")
    );

    // Nothing was written where it may not be, nor changed outside.
    assert_eq!(
        files_below(Path::new(&place.path("elsewhere"))),
        Vec::<String>::new()
    );
    assert_eq!(files_below(Path::new(&outside)), outside_before);
    assert_eq!(
        files_below(Path::new(&place.path("exports"))),
        vec!["summary.parquet".to_string()]
    );
    let lake_files = files_below(Path::new(&place.path("lake")));
    assert!(
        !lake_files.iter().any(|file| file.contains("stolen")
            || file.contains("mine")
            || file.ends_with("out.parquet")),
        "{lake_files:?}"
    );
    // Refusals are logged with the user.
    server.wait_for_log(&["rita", "may not"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_storm_of_wrong_passwords_does_not_stop_a_logged_in_users_queries() {
    let place = Neighbourhood::new();
    let server = place.start();
    let mut rita = server.client().await;
    rita.handshake("rita", "reader-pw").await.unwrap();

    let wrong = "not-walts-password-1234";
    let storm = futures::future::join_all((0..50).map(|_| async {
        let mut client = server.client().await;
        client
            .handshake("walt", wrong)
            .await
            .unwrap_err()
            .to_string()
    }));
    let queries = async {
        let mut answers = Vec::new();
        for _ in 0..10 {
            let batches = query(&mut rita, "SELECT count(*) AS n FROM gold.summary")
                .await
                .expect("a logged-in user's query answers during the storm");
            answers.push(canonical_rows(&batches));
        }
        answers
    };
    let (refusals, answers) = tokio::join!(storm, queries);
    assert_eq!(answers.len(), 10);
    assert!(answers.iter().all(|rows| rows.len() == 1), "{answers:?}");
    assert_eq!(refusals.len(), 50);
    assert!(
        refusals
            .iter()
            .all(|refusal| refusal.contains("wrong user name or password")
                || refusal.contains("too many failed logins for walt")),
        "{refusals:?}"
    );
    // Past a few failures, the rest wait their turn without costing a password check.
    assert!(
        refusals
            .iter()
            .any(|refusal| refusal.contains("too many failed logins for walt")),
        "{refusals:?}"
    );
    server.wait_for_log(&["login refused", "walt"]);
    server.wait_for_log(&["logged in", "rita", "reader"]);
    assert!(
        !server.log().iter().any(|line| line.contains(wrong)),
        "a password was logged"
    );
}
