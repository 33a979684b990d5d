//! Apache Superset's path to the lake: the SQLAlchemy calls of flightsql-dbapi's `datafusion://`
//! dialect (in the shared test venv), and Superset itself in a real browser (in its own venv,
//! `$LAKESHORE_SUPERSET_PYTHON`, which `scripts/test.sh` sets up), both against a server on the
//! Electroniz demo lake.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};

use lakeshore_engine::StorageOptions;
use tempfile::TempDir;

use crate::harness::{TestServer, python_scripts};
use crate::tls::certificates;

async fn demo_lake() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let location = dir.path().to_str().expect("a UTF-8 temporary path");
    lakeshore_demo::create(location, &StorageOptions::default(), 1)
        .await
        .expect("the demo lake");
    dir
}

fn assert_ran(what: &str, output: &Output, server: &TestServer) {
    assert!(
        output.status.success(),
        "{what} failed:\n{}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        server.log().join("\n")
    );
}

/// Runs sqlalchemy_dialect.py with `args`; with `ca`, gRPC trusts that CA (through
/// GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: the dialect has no option for it).
fn run_dialect_script(server: &TestServer, args: &[&OsStr], ca: Option<&Path>) {
    let mut command = lakeshore_tests::python();
    if let Some(ca) = ca {
        command.env("GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", ca);
    }
    let output = command
        .arg("-W")
        .arg("ignore")
        .arg(python_scripts().join("sqlalchemy_dialect.py"))
        .args(args)
        .output()
        .expect("run the SQLAlchemy dialect script");
    assert_ran("sqlalchemy_dialect.py", &output, server);
}

#[tokio::test(flavor = "multi_thread")]
async fn superset_s_sqlalchemy_dialect_inspects_and_queries_the_demo_lake() {
    let lake = demo_lake().await;
    let server = TestServer::start(lake.path(), &[]);
    let url = format!("datafusion://{}?insecure=true", server.addr);
    run_dialect_script(&server, &[url.as_ref(), server.uri().as_ref()], None);
}

#[tokio::test(flavor = "multi_thread")]
async fn superset_s_sqlalchemy_dialect_logs_in_over_tls() {
    lakeshore_flight::use_ring_for_tls();
    let lake = demo_lake().await;
    let certs = tempfile::tempdir().unwrap();
    certificates(certs.path());
    let users = certs.path().join("users");
    lakeshore_flight::auth::set_password(&users, "analyst", "pa:ss word").unwrap();
    let path = |name: &str| certs.path().join(name);
    let server = TestServer::start(
        lake.path(),
        &[
            "--users",
            users.to_str().unwrap(),
            "--tls-cert",
            path("server.pem").to_str().unwrap(),
            "--tls-key",
            path("server.key").to_str().unwrap(),
        ],
    );
    // Without `insecure=true` the dialect speaks TLS; the password is URL-encoded.
    let url = format!(
        "datafusion://analyst:pa%3Ass%20word@localhost:{}",
        server.addr.port()
    );
    let adbc_uri = format!("grpc+tls://localhost:{}", server.addr.port());
    let ca = path("ca.pem");
    run_dialect_script(
        &server,
        &[
            url.as_ref(),
            adbc_uri.as_ref(),
            "analyst".as_ref(),
            "pa:ss word".as_ref(),
            ca.as_os_str(),
        ],
        Some(&ca),
    );
}

/// The Python of Superset's own virtualenv.
fn superset_python() -> Command {
    match std::env::var_os("LAKESHORE_SUPERSET_PYTHON") {
        Some(python) => Command::new(python),
        None => panic!(
            "LAKESHORE_SUPERSET_PYTHON is not set: run the tests with `bash scripts/test.sh`, \
             which installs Superset and chromium"
        ),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn superset_in_a_browser_browses_queries_and_charts_the_demo_lake() {
    let lake = demo_lake().await;
    let server = TestServer::start(lake.path(), &[]);
    let mut command = superset_python();
    command
        .arg(python_scripts().join("superset_browser.py"))
        .arg(server.addr.to_string());
    // LAKESHORE_SUPERSET_SCREENSHOTS=docs/images renews the README's screenshots.
    if let Some(folder) = std::env::var_os("LAKESHORE_SUPERSET_SCREENSHOTS") {
        command.arg(Path::new(&folder));
    }
    let output = command.output().expect("run the Superset browser test");
    assert_ran("superset_browser.py", &output, &server);
    println!("{}", String::from_utf8_lossy(&output.stdout));
}
