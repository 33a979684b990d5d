//! TLS and mutual TLS, with certificates made for the test by the `openssl` command.

use std::path::Path;
use std::process::Command;

use arrow_flight::sql::client::FlightSqlServiceClient;
use lakeshore_tests::canonical_rows;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use crate::harness::{TestServer, query, test_lake};

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl command makes the test certificates");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A CA, a server certificate for localhost / 127.0.0.1 and a client certificate, signed by it.
pub(crate) fn certificates(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=test-ca",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
    for name in ["server", "client"] {
        openssl(
            dir,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                &format!("/CN={name}"),
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.csr"),
            ],
        );
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                &format!("{name}.ext"),
                "-out",
                &format!("{name}.pem"),
            ],
        );
    }
}

async fn tls_client(
    server: &TestServer,
    dir: &Path,
    with_identity: bool,
) -> Result<FlightSqlServiceClient<Channel>, tonic::transport::Error> {
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(read("ca.pem")))
        .domain_name("localhost");
    if with_identity {
        tls = tls.identity(Identity::from_pem(read("client.pem"), read("client.key")));
    }
    let channel = Endpoint::from_shared(format!("https://{}", server.addr))
        .unwrap()
        .tls_config(tls)?
        .connect()
        .await?;
    Ok(FlightSqlServiceClient::new(channel))
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_and_mutual_tls_serve_queries_and_refuse_clients_without_a_certificate() {
    lakeshore_flight::use_ring_for_tls();
    let lake = test_lake();
    let certs = tempfile::tempdir().unwrap();
    certificates(certs.path());
    let path = |name: &str| certs.path().join(name).to_str().unwrap().to_string();
    let (cert, key, ca) = (path("server.pem"), path("server.key"), path("ca.pem"));

    let server = TestServer::start(lake.path(), &["--tls-cert", &cert, "--tls-key", &key]);
    let mut client = tls_client(&server, certs.path(), false).await.unwrap();
    let rows = query(&mut client, "SELECT count(*) AS n FROM silver.customers")
        .await
        .unwrap();
    assert_eq!(canonical_rows(&rows).len(), 1);
    // Plain gRPC to a TLS port gets nowhere.
    let plain = Endpoint::from_shared(format!("http://{}", server.addr))
        .unwrap()
        .connect()
        .await;
    if let Ok(channel) = plain {
        assert!(
            query(&mut FlightSqlServiceClient::new(channel), "SELECT 1")
                .await
                .is_err()
        );
    }

    let mutual = TestServer::start(
        lake.path(),
        &[
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
            "--tls-client-ca",
            &ca,
        ],
    );
    let mut client = tls_client(&mutual, certs.path(), true).await.unwrap();
    let rows = query(&mut client, "SELECT 1 AS one").await.unwrap();
    assert_eq!(canonical_rows(&rows), vec!["one=1"]);
    let refused = match tls_client(&mutual, certs.path(), false).await {
        Err(_) => true,
        Ok(mut client) => query(&mut client, "SELECT 1").await.is_err(),
    };
    assert!(
        refused,
        "a client without a certificate must be refused under mutual TLS"
    );
}
