//! The HTTP endpoint Prometheus scrapes: `GET /metrics` on `--metrics-listen`, plain HTTP/1.1,
//! no login (like the health service, it tells nothing about the lake's data). Bind it apart
//! from the Flight port, on an address only the monitoring network reaches.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::{ALLOW, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use prometheus_client::encoding::prometheus_text::CONTENT_TYPE as PROMETHEUS_TEXT;
use tokio::net::TcpListener;

use super::{Activity, ServerMetrics};
use crate::error::{Result, ServerError};

/// Reads how busy the server is, at each scrape.
pub type ActivitySource = Arc<dyn Fn() -> Activity + Send + Sync>;

/// The metrics endpoint, bound to its address.
pub struct MetricsEndpoint {
    listener: TcpListener,
}

impl MetricsEndpoint {
    pub async fn bind(address: SocketAddr) -> Result<Self> {
        let listener = TcpListener::bind(address).await.map_err(|error| {
            ServerError::Config(format!("cannot listen for metrics on {address}: {error}"))
        })?;
        Ok(Self { listener })
    }

    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener
            .local_addr()
            .map_err(|error| ServerError::Internal(format!("the metrics address: {error}")))
    }

    /// Answers scrapes until the task running it is dropped.
    pub async fn serve(self, metrics: Arc<ServerMetrics>, activity: ActivitySource) {
        loop {
            let (socket, peer) = match self.listener.accept().await {
                Ok(accepted) => accepted,
                Err(error) => {
                    // A full file table and the like pass; the next accept may succeed.
                    tracing::warn!(%error, "metrics endpoint: accepting a connection");
                    continue;
                }
            };
            let metrics = metrics.clone();
            let activity = activity.clone();
            tokio::spawn(async move {
                let answer = service_fn(move |request| {
                    let response = respond(&request, &metrics, &activity);
                    async move { Ok::<_, Infallible>(response) }
                });
                if let Err(error) = http1::Builder::new()
                    .serve_connection(TokioIo::new(socket), answer)
                    .await
                {
                    tracing::debug!(%peer, %error, "metrics endpoint: a connection ended badly");
                }
            });
        }
    }
}

fn respond(
    request: &Request<Incoming>,
    metrics: &ServerMetrics,
    activity: &ActivitySource,
) -> Response<String> {
    if request.uri().path() != "/metrics" {
        return plain(
            StatusCode::NOT_FOUND,
            "not found: metrics are at /metrics\n",
        );
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "use GET\n");
        response
            .headers_mut()
            .insert(ALLOW, hyper::header::HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    match metrics.render(activity()) {
        Ok(text) => {
            let mut response = Response::new(text);
            response.headers_mut().insert(
                CONTENT_TYPE,
                hyper::header::HeaderValue::from_static(PROMETHEUS_TEXT),
            );
            response
        }
        Err(error) => plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("rendering the metrics: {error}\n"),
        ),
    }
}

fn plain(status: StatusCode, text: &str) -> Response<String> {
    let mut response = Response::new(text.to_string());
    *response.status_mut() = status;
    response
}
