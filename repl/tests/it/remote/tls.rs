//! `grpc+tls://` with `--tls-ca`, against a server whose certificate the `openssl` command
//! makes for the test.

use std::path::Path;
use std::process::Command;

use super::lake;
use super::server::Server;
use crate::support::{lakeshore, run};

/// Runs `openssl` in `dir` with the words of `command` (none has a space) as its arguments.
fn openssl(dir: &Path, command: &str) {
    let output = Command::new("openssl")
        .args(command.split_whitespace())
        .current_dir(dir)
        .output()
        .expect("the openssl command makes the test certificates");
    assert!(
        output.status.success(),
        "openssl {command}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A certificate authority `NAME.pem` (key `NAME.key`) in `dir`.
fn certificate_authority(dir: &Path, name: &str) {
    openssl(
        dir,
        &format!(
            "req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN={name} \
             -keyout {name}.key -out {name}.pem -addext basicConstraints=critical,CA:TRUE \
             -addext keyUsage=critical,keyCertSign,cRLSign"
        ),
    );
}

/// `server.pem` and `server.key` for 127.0.0.1, signed by the authority `ca`.
fn server_certificate(dir: &Path, ca: &str) {
    let extensions = "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n";
    std::fs::write(dir.join("server.ext"), extensions).expect("write server.ext");
    openssl(
        dir,
        "req -newkey rsa:2048 -nodes -subj /CN=server -keyout server.key -out server.csr",
    );
    openssl(
        dir,
        &format!(
            "x509 -req -in server.csr -CA {ca}.pem -CAkey {ca}.key -CAcreateserial -days 2 \
             -extfile server.ext -out server.pem"
        ),
    );
}

#[test]
fn tls_servers_are_reached_with_the_authority_that_signed_them() {
    let certs = tempfile::tempdir().expect("a folder for certificates");
    let dir = certs.path();
    certificate_authority(dir, "ca");
    certificate_authority(dir, "stranger");
    server_certificate(dir, "ca");
    let path = |name: &str| dir.join(name).to_str().expect("UTF-8 path").to_string();
    let lake = lake();
    let server = Server::start(
        &lake,
        &[
            "--insecure-no-auth",
            "--tls-cert",
            &path("server.pem"),
            "--tls-key",
            &path("server.key"),
        ],
    );
    let url = format!("grpc+tls://{}", server.address);
    let query = |extra: &[&str]| {
        let mut args = vec!["--connect", url.as_str(), "--format", "csv"];
        args.extend_from_slice(extra);
        args.extend(["-c", "SELECT count(*) AS n FROM silver.updates"]);
        run(&mut lakeshore(&args))
    };

    assert_eq!(query(&["--tls-ca", &path("ca.pem")]).ok(), "n\n100\n");

    let without_ca = query(&[]).failed();
    assert!(
        without_ca.stderr.contains("--tls-ca"),
        "the error does not say what is missing: {without_ca:#?}"
    );

    let wrong_ca = query(&["--tls-ca", &path("stranger.pem")]).failed();
    assert!(
        wrong_ca.stderr.contains(&url) && wrong_ca.stderr.contains("certificate"),
        "the error names neither the server nor its certificate: {wrong_ca:#?}"
    );
    assert_eq!(wrong_ca.stdout, "", "{wrong_ca:#?}");

    // Plain gRPC to the TLS port gets no rows either.
    let plain = run(&mut lakeshore(&[
        "--connect",
        &server.url,
        "-c",
        "SELECT 1",
    ]))
    .failed();
    assert_eq!(plain.stdout, "", "{plain:#?}");
}
