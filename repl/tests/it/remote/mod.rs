//! `lakeshore --connect`: the same shell and scripts against a real `lakeshore-server`.

mod server;
mod tls;

use std::io::Write;
use std::process::{Command, Stdio};

use self::server::{Server, server_binary};
use crate::support::{
    DECIMALS, Lake, PRIMITIVES, UPDATES, csv_in, lakeshore, run, version_and_files,
};
use crate::terminal::Terminal;

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
    let embedded = csv_in(&lake, sql).ok();
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

    // Ctrl-C cancels the remote query on the server (not only drops its stream); the next
    // one runs.
    let endless = "SELECT count(*) FROM generate_series(1, 1000000000000) AS a(v) WHERE v % 7 = 3";
    shell.enter(&format!("{endless};"));
    shell.wait_for("(Ctrl-C cancels)");
    shell.press(&["C-c"]);
    shell.wait_for("Cancelled.");
    let logged = server.wait_for_log("the endless query's end", |line| {
        line.contains(endless) && line.contains("outcome=")
    });
    assert!(
        logged.to_lowercase().contains("cancelled"),
        "the server did not log the query as cancelled: {logged}"
    );
    shell.enter("SELECT 6 * 7 AS answer;");
    // The row count is printed after the table: waiting for the table alone raced it.
    let screen = shell.wait_for("1 row");
    assert!(screen.contains("| 42     |"), "{screen}");
}
