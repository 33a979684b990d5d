//! The real clients: the ADBC Flight SQL driver and a replay of the JDBC driver's calls with
//! pyarrow.flight, both run by `$LAKESHORE_PYTHON` against a spawned server.

use std::path::Path;

use crate::harness::{TestServer, python_scripts, test_lake};

fn run_script(script: &str, server: &TestServer, lake: &Path, credentials: &[&str]) {
    let output = lakeshore_tests::python()
        .arg("-W")
        .arg("ignore")
        .arg(python_scripts().join(script))
        .arg(server.uri())
        .arg(lake)
        .args(credentials)
        .output()
        .expect("run the Python client");
    assert!(
        output.status.success(),
        "{script} failed:\n{}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        server.log().join("\n")
    );
}

#[test]
fn adbc_and_the_jdbc_call_sequence_work_without_authentication() {
    let lake = test_lake();
    let server = TestServer::start(lake.path(), &[]);
    run_script("adbc_client.py", &server, lake.path(), &[]);
    run_script("jdbc_replay.py", &server, lake.path(), &[]);
}

#[test]
fn adbc_and_the_jdbc_call_sequence_work_with_a_login() {
    let lake = test_lake();
    let users = lake.path().join("_users");
    lakeshore_flight::auth::set_password(&users, "analyst", "pa:ss word").unwrap();
    let server = TestServer::start(lake.path(), &["--users", users.to_str().unwrap()]);
    run_script(
        "adbc_client.py",
        &server,
        lake.path(),
        &["analyst", "pa:ss word"],
    );
    run_script(
        "jdbc_replay.py",
        &server,
        lake.path(),
        &["analyst", "pa:ss word"],
    );
}

/// Result schemas describe their columns for BI drivers (Power BI's ADBC path fails without a
/// type name), for a table of every Delta type, read through the ADBC driver.
#[test]
fn result_columns_carry_flight_sql_metadata_for_every_delta_type() {
    let lake = test_lake();
    let server = TestServer::start(lake.path(), &[]);
    run_script("column_metadata.py", &server, lake.path(), &[]);
}
