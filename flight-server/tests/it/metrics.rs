//! Prometheus metrics on `--metrics-listen`, scraped over HTTP while a real client logs in,
//! queries, fails, waits in the queue and cancels: each counter moves by what the client did.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use arrow_flight::sql::client::FlightSqlServiceClient;
use arrow_flight::utils::flight_data_to_batches;
use arrow_flight::{CancelStatus, FlightData, FlightInfo};
use futures::{StreamExt, TryStreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tonic::Code;
use tonic::transport::Channel;

use crate::harness::{TestServer, status, test_lake};
use crate::limits::cancel;

/// Far more rows than any test reads: the query runs until it is cancelled.
const ENDLESS: &str = "SELECT * FROM range(2000000000)";

/// One scrape: each sample (`name{labels}`) and its value.
#[derive(Debug)]
struct Scrape(HashMap<String, f64>);

impl Scrape {
    /// A sample's value; a labelled counter not yet counted is absent, so 0.
    fn get(&self, sample: &str) -> f64 {
        self.0.get(sample).copied().unwrap_or(0.0)
    }

    /// How much `sample` grew since `before`.
    fn since(&self, before: &Scrape, sample: &str) -> f64 {
        self.get(sample) - before.get(sample)
    }

    /// Asserts that each sample grew by exactly its amount since `before`.
    fn assert_grew(&self, before: &Scrape, expected: &[(&str, f64)]) {
        let grown: Vec<(&str, f64)> = expected
            .iter()
            .map(|(sample, _)| (*sample, self.since(before, sample)))
            .collect();
        assert_eq!(grown, expected, "{self:?}");
    }
}

/// HOST:PORT of the server's metrics endpoint, from its log.
fn metrics_address(server: &TestServer) -> String {
    let line = server.wait_for_log(&["serving metrics at http://"]);
    line.split("http://")
        .nth(1)
        .and_then(|rest| rest.strip_suffix("/metrics"))
        .expect("the metrics address in the log")
        .to_string()
}

/// `GET /metrics` over a plain HTTP/1.1 connection, as Prometheus scrapes.
async fn scrape(address: &str) -> Scrape {
    let (status_line, headers, body) = http_get(address, "/metrics").await;
    assert_eq!(status_line, "HTTP/1.1 200 OK", "{headers}\n{body}");
    assert!(
        headers
            .to_ascii_lowercase()
            .contains("content-type: text/plain; version=0.0.4"),
        "{headers}"
    );
    let samples = body
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (sample, value) = line.rsplit_once(' ').expect("a sample and its value");
            let value = value.parse::<f64>().expect("a numeric sample value");
            (sample.to_string(), value)
        })
        .collect();
    Scrape(samples)
}

/// The status line, the headers and the body of `GET path`.
async fn http_get(address: &str, path: &str) -> (String, String, String) {
    let mut socket = TcpStream::connect(address)
        .await
        .expect("connect to metrics");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    socket.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("a response head");
    let (status_line, headers) = head.split_once("\r\n").unwrap_or((head, ""));
    (
        status_line.to_string(),
        headers.to_string(),
        body.to_string(),
    )
}

/// Scrapes until `ready` holds of a scrape (what a client started reaches the server a moment
/// later); panics with the last scrape if it never does.
async fn scrape_until(address: &str, ready: impl Fn(&Scrape) -> bool) -> Scrape {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let scraped = scrape(address).await;
        if ready(&scraped) {
            return scraped;
        }
        assert!(Instant::now() < deadline, "never reached: {scraped:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// DoGet of `info`'s ticket as raw Flight data, with the client's bearer token.
async fn fetch_raw(
    client: &mut FlightSqlServiceClient<Channel>,
    info: &FlightInfo,
) -> Result<tonic::Streaming<FlightData>, tonic::Status> {
    let ticket = info.endpoint[0].ticket.clone().expect("a ticket");
    let mut request = tonic::Request::new(ticket);
    let bearer = format!("Bearer {}", client.token().expect("logged in"));
    request
        .metadata_mut()
        .insert("authorization", bearer.parse().unwrap());
    Ok(client.inner_mut().do_get(request).await?.into_inner())
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_logins_queries_outcomes_and_what_was_sent_while_queries_run() {
    let lake = test_lake();
    let users = lake.path().join("_users");
    lakeshore_flight::auth::set_password(&users, "analyst", "secret").unwrap();
    let server = TestServer::start(
        lake.path(),
        &[
            "--users",
            users.to_str().unwrap(),
            "--metrics-listen",
            "127.0.0.1:0",
            "--max-concurrent-queries",
            "1",
        ],
    );
    let address = metrics_address(&server);
    let start = scrape(&address).await;
    assert_eq!(start.get("lakeshore_sessions"), 0.0);
    assert_eq!(start.get("lakeshore_running_queries"), 0.0);
    assert!(start.0.contains_key("lakeshore_memory_pool_reserved_bytes"));
    assert_eq!(start.get("lakeshore_data_cache_bytes"), 0.0);

    // A wrong password, then the right one.
    let mut client = server.client().await;
    let refused = client.handshake("analyst", "wrong").await.unwrap_err();
    assert!(refused.to_string().contains("wrong user name or password"));
    client.handshake("analyst", "secret").await.unwrap();

    // One query, read as the raw Flight data the server sent, and one that fails.
    let info = client
        .execute("SELECT * FROM silver.customers".into(), None)
        .await
        .unwrap();
    let sent: Vec<FlightData> = fetch_raw(&mut client, &info)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let rows: usize = flight_data_to_batches(&sent)
        .unwrap()
        .iter()
        .map(|batch| batch.num_rows())
        .sum();
    assert!(rows > 0);
    let bytes: usize = sent
        .iter()
        .map(|data| data.data_header.len() + data.data_body.len())
        .sum();
    let missing = status(
        client
            .execute("SELECT * FROM silver.no_such_table".into(), None)
            .await
            .unwrap_err(),
    );
    assert_eq!(missing.code(), Code::NotFound, "{missing:?}");

    let done = scrape_until(&address, |scrape| {
        scrape.since(&start, "lakeshore_query_duration_seconds_count") >= 2.0
    })
    .await;
    done.assert_grew(
        &start,
        &[
            ("lakeshore_login_failures_total", 1.0),
            ("lakeshore_queries_total{outcome=\"ok\"}", 1.0),
            ("lakeshore_queries_total{outcome=\"not_found\"}", 1.0),
            ("lakeshore_query_duration_seconds_count", 2.0),
            ("lakeshore_sent_rows_total", rows as f64),
            ("lakeshore_sent_bytes_total", bytes as f64),
        ],
    );
    assert_eq!(done.get("lakeshore_sessions"), 1.0);
    // The table's data files, read once, are kept for the next query.
    assert!(done.get("lakeshore_data_cache_bytes") > 0.0);

    // While one query runs and holds the only slot, a second waits in the queue.
    let endless = client.execute(ENDLESS.into(), None).await.unwrap();
    let mut running = fetch_raw(&mut client, &endless).await.unwrap();
    running.next().await.expect("the schema").unwrap();
    running.next().await.expect("a first batch").unwrap();
    let waiting_info = client
        .execute("SELECT count(*) FROM silver.customers".into(), None)
        .await
        .unwrap();
    let mut waiting_client = client.clone();
    let waiting = tokio::spawn(async move {
        let stream = fetch_raw(&mut waiting_client, &waiting_info).await?;
        stream.try_collect::<Vec<_>>().await
    });
    let busy = scrape_until(&address, |scrape| {
        scrape.get("lakeshore_queued_queries") == 1.0
    })
    .await;
    assert_eq!(busy.get("lakeshore_running_queries"), 1.0);

    // Cancelled, the running query frees its slot and the waiting one runs.
    assert_eq!(cancel(&mut client, &endless).await, CancelStatus::Cancelled);
    let ended = loop {
        match running.next().await {
            Some(Ok(_)) => continue,
            Some(Err(status)) => break status,
            None => panic!("the cancelled query ended without an error"),
        }
    };
    assert_eq!(ended.code(), Code::Cancelled, "{ended:?}");
    let counted = waiting.await.unwrap().expect("the waiting query runs");
    assert_eq!(flight_data_to_batches(&counted).unwrap()[0].num_rows(), 1);
    let end = scrape_until(&address, |scrape| {
        scrape.since(&start, "lakeshore_query_duration_seconds_count") >= 4.0
    })
    .await;
    end.assert_grew(
        &start,
        &[
            ("lakeshore_queries_total{outcome=\"ok\"}", 2.0),
            ("lakeshore_queries_total{outcome=\"cancelled\"}", 1.0),
        ],
    );
    assert_eq!(end.get("lakeshore_running_queries"), 0.0);
    assert_eq!(end.get("lakeshore_queued_queries"), 0.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_metrics_endpoint_answers_only_metrics() {
    let lake = test_lake();
    let server = TestServer::start(lake.path(), &["--metrics-listen", "127.0.0.1:0"]);
    let (status_line, _, body) = http_get(&metrics_address(&server), "/").await;
    assert_eq!(status_line, "HTTP/1.1 404 Not Found");
    assert!(body.contains("/metrics"), "{body}");
}
