//! Options from a `--config` file and from `LAKESHORE_<OPTION>` variables, as a container
//! deployment gives them: the command line wins over the environment, which wins over the file.

use std::process::Command;

use tonic::Code;

use crate::harness::{TestServer, status, test_lake};

const WRITE: &str = "CREATE VIEW gold.answer AS SELECT 42 AS x";

/// Whether the server takes a write: Ok, or the code it refused it with.
async fn write(server: &TestServer) -> Result<(), Code> {
    let mut client = server.client().await;
    client
        .execute_update(WRITE.into(), None)
        .await
        .map(|_| ())
        .map_err(|error| status(error).code())
}

#[tokio::test(flavor = "multi_thread")]
async fn options_come_from_the_command_line_then_the_environment_then_the_config_file() {
    let lake = test_lake();
    let config = lake.path().join("_lakeshore.toml");
    std::fs::write(
        &config,
        "read-only = true\nmetrics-listen = \"127.0.0.1:0\"\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();

    let from_file = TestServer::start(lake.path(), &["--config", config]);
    from_file.wait_for_log(&["serving metrics at http://127.0.0.1:"]);
    assert_eq!(write(&from_file).await, Err(Code::PermissionDenied));
    drop(from_file);

    let command_line_first = TestServer::start_with_env(
        lake.path(),
        &["--config", config, "--read-only"],
        &[("LAKESHORE_READ_ONLY", "false")],
    );
    assert_eq!(
        write(&command_line_first).await,
        Err(Code::PermissionDenied)
    );
    drop(command_line_first);

    // No --listen on the command line: the address comes from the environment.
    let environment_over_file = TestServer::start_with_env(
        lake.path(),
        &["--config", config],
        &[
            ("LAKESHORE_READ_ONLY", "false"),
            ("LAKESHORE_LISTEN", "127.0.0.1:0"),
        ],
    );
    assert_ne!(environment_over_file.addr.port(), 50051);
    assert_eq!(write(&environment_over_file).await, Ok(()));
}

#[test]
fn a_config_file_with_an_unknown_key_stops_the_server_with_an_error_naming_key_and_file() {
    let lake = test_lake();
    let config = lake.path().join("_lakeshore.toml");
    std::fs::write(&config, "lisen = \"127.0.0.1:0\"\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_lakeshore-server"))
        .arg("--lake")
        .arg(lake.path())
        .arg("--config")
        .arg(&config)
        .output()
        .expect("run lakeshore-server");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("unknown key `lisen`") && stderr.contains(config.to_str().unwrap()),
        "{stderr}"
    );
}
