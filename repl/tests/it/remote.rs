//! `lakeshore --connect`: the same shell and scripts against a real `lakeshore-server`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::support::{DECIMALS, Lake, PRIMITIVES, UPDATES, lakeshore, run, version_and_files};
use crate::terminal::Terminal;

/// A `lakeshore-server` on a free local port, stopped when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(lake: &Lake, extra: &[&str]) -> Server {
        let mut child = Command::new(server_binary())
            .args(["--lake", lake.root(), "--listen", "127.0.0.1:0"])
            .args(extra)
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start lakeshore-server");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (address_tx, address_rx) = mpsc::channel();
        std::thread::spawn(move || {
            // Reads the log to its end, so the server never blocks on a full pipe.
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some((_, address)) = line.split_once("listening on ") {
                    let _ = address_tx.send(address.trim().to_string());
                }
            }
        });
        let address = address_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("lakeshore-server logs `listening on HOST:PORT`");
        Server {
            child,
            url: format!("grpc://{address}"),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `lakeshore-server`, built beside `lakeshore` by `cargo test --workspace`.
fn server_binary() -> PathBuf {
    let path = Path::new(env!("CARGO_BIN_EXE_lakeshore")).with_file_name("lakeshore-server");
    assert!(
        path.exists(),
        "{} is missing: build the workspace (cargo build --workspace)",
        path.display()
    );
    path
}

fn lake() -> Lake {
    Lake::with_tables(&[
        ("silver/updates", UPDATES),
        ("silver/decimals", DECIMALS),
        ("silver/primitives", PRIMITIVES),
    ])
}

#[test]
fn scripts_run_on_the_server_as_they_do_embedded() {
    let lake = lake();
    let server = Server::start(&lake, &["--insecure-no-auth"]);
    let sql = "SELECT id, str FROM silver.updates WHERE id IN (1, 60) ORDER BY id; \
               SELECT count(*) AS n FROM silver.decimals";
    let remote = run(&mut lakeshore(&[
        "--connect",
        &server.url,
        "--format",
        "csv",
        "-c",
        sql,
    ]))
    .ok();
    let embedded = run(&mut lakeshore(&[
        "--lake",
        lake.root(),
        "--format",
        "csv",
        "-c",
        sql,
    ]))
    .ok();
    assert_eq!(remote, "id,str\n1,N/A\n60,val=60\nn\n4\n");
    assert_eq!(remote, embedded);

    let failed = run(&mut lakeshore(&[
        "--connect",
        &server.url,
        "-c",
        "SELECT * FROM silver.nowhere",
    ]))
    .failed();
    assert!(failed.stderr.contains("nowhere"), "{failed:#?}");
}

#[test]
fn a_server_that_is_not_there_is_named_in_the_error() {
    // A port that was just free: nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let url = format!("grpc://127.0.0.1:{port}");
    let failed = run(&mut lakeshore(&["--connect", &url, "-c", "SELECT 1"])).failed();
    assert!(failed.stderr.contains(&url), "{failed:#?}");
}

#[test]
fn users_log_in_with_the_password_from_the_environment() {
    let lake = lake();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let users = dir.path().join("users");
    let mut passwd = Command::new(server_binary())
        .arg("passwd")
        .arg(&users)
        .arg("alice")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run lakeshore-server passwd");
    passwd
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(b"wonderland\n")
        .expect("write the password");
    assert!(passwd.wait().expect("passwd ends").success());
    let server = Server::start(&lake, &["--users", users.to_str().expect("UTF-8 path")]);

    let as_alice = |password: &str| {
        run(lakeshore(&[
            "--connect",
            &server.url,
            "--user",
            "alice",
            "--format",
            "csv",
            "-c",
            "SELECT count(*) AS n FROM silver.updates",
        ])
        .env("LAKESHORE_PASSWORD", password))
    };
    assert_eq!(as_alice("wonderland").ok(), "n\n100\n");
    let refused = as_alice("looking-glass").failed();
    assert!(
        refused.stderr.contains("cannot log in") && refused.stderr.contains("alice"),
        "{refused:#?}"
    );
}

#[test]
fn the_shell_works_against_a_server() {
    let lake = lake();
    let server = Server::start(&lake, &["--insecure-no-auth"]);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let shell = Terminal::start(&["--connect", &server.url], &dir.path().join("history"));
    let screen = shell.wait_for_prompt(1);
    assert!(screen.contains(&server.url), "{screen}");

    // Completion from the server's catalog.
    shell.type_text("SELECT as_string FROM silver.prim");
    shell.press(&["Tab"]);
    shell.wait_for("FROM silver.primitives");
    shell.type_text(" WHERE as_bo");
    shell.press(&["Tab"]);
    shell.wait_for("WHERE as_boolean");
    shell.enter(" ORDER BY as_int LIMIT 2;");
    let screen = shell.wait_for("2 rows");
    assert!(screen.contains("| 0         |\n| 2         |"), "{screen}");

    shell.enter("\\dt");
    let screen = shell.wait_for("3 rows");
    let (version, files) = version_and_files(UPDATES);
    let row = format!("| silver | updates    | {version:<7} | {files:<5} | ");
    assert!(screen.contains(&row), "no row {row:?} in:\n{screen}");

    // Ctrl-C ends the remote query; the next one runs.
    shell.enter("SELECT count(*) FROM generate_series(1, 1000000000000) AS a(v) WHERE v % 7 = 3;");
    shell.wait_for("(Ctrl-C cancels)");
    shell.press(&["C-c"]);
    shell.wait_for("Cancelled.");
    shell.enter("SELECT 6 * 7 AS answer;");
    let screen = shell.wait_for("| 42     |");
    assert!(screen.contains("1 row"), "{screen}");
}
