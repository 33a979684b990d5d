//! Logging in: users from a file of argon2 hashes, bearer tokens, refusals.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use arrow_flight::HandshakeRequest;
use lakeshore_tests::canonical_rows;
use tonic::Code;

use crate::harness::{TestServer, query, status, test_lake};

/// `lakeshore-server passwd FILE USER` with the password on stdin.
fn add_user(file: &Path, user: &str, password: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lakeshore-server"))
        .args(["passwd", file.to_str().unwrap(), user])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    assert!(child.wait().unwrap().success());
}

#[tokio::test(flavor = "multi_thread")]
async fn only_users_with_the_right_password_or_a_valid_token_may_query() {
    let lake = test_lake();
    let users = lake.path().join("users.txt");
    add_user(&users, "alice", "wonderland");
    add_user(&users, "bob", "builder");
    let stored = std::fs::read_to_string(&users).unwrap();
    assert!(
        stored.contains("alice:$argon2id$") && !stored.contains("wonderland"),
        "{stored}"
    );
    let server = TestServer::start(lake.path(), &["--users", users.to_str().unwrap()]);

    let mut anonymous = server.client().await;
    let refused = status(
        anonymous
            .execute("SELECT 1".into(), None)
            .await
            .unwrap_err(),
    );
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");

    let mut wrong = server.client().await;
    // The client wraps the status of a failed handshake in its own error.
    let refused = wrong
        .handshake("alice", "not it")
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("wrong user name or password"), "{refused}");
    assert!(
        !refused.contains("not it"),
        "the password must not be echoed: {refused}"
    );

    let mut alice = server.client().await;
    alice.handshake("alice", "wonderland").await.unwrap();
    let token = alice
        .token()
        .cloned()
        .expect("the handshake returns a bearer token");
    let rows = query(&mut alice, "SELECT 1 AS one").await.unwrap();
    assert_eq!(canonical_rows(&rows), vec!["one=1"]);
    server.wait_for_log(&["user=alice", "SELECT 1 AS one", "outcome=\"ok\""]);

    // A bearer token in the handshake is accepted too (the JDBC driver sends one).
    let mut again = server.client().await;
    let mut handshake = tonic::Request::new(futures::stream::iter([HandshakeRequest::default()]));
    let bearer = format!("Bearer {token}").parse().unwrap();
    handshake.metadata_mut().insert("authorization", bearer);
    let reply = again.inner_mut().handshake(handshake).await.unwrap();
    assert!(reply.metadata().get("authorization").is_some());
    let mut with_token = server.client().await;
    with_token.set_token(token);
    assert!(query(&mut with_token, "SELECT 2").await.is_ok());

    let mut forged = server.client().await;
    forged.set_token("0123456789abcdef".into());
    let refused = status(forged.execute("SELECT 1".into(), None).await.unwrap_err());
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
}

#[test]
fn without_users_the_server_refuses_an_address_other_than_loopback() {
    let lake = test_lake();
    let log = TestServer::try_start(lake.path(), &["--listen", "0.0.0.0:0"])
        .err()
        .expect("the server must refuse to start");
    assert!(
        log.contains("without authentication") && log.contains("--insecure-no-auth"),
        "{log}"
    );
    let server = TestServer::start(
        lake.path(),
        &["--listen", "0.0.0.0:0", "--insecure-no-auth"],
    );
    assert!(server.addr.port() > 0);
}
