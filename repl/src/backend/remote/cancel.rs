//! Cancelling a remote query: a result stream dropped before its end (Ctrl-C) asks the server,
//! with CancelFlightInfo, to stop the query.
//!
//! Dropping the call alone would stop the query too, but only once the server notices the
//! stream is gone; the request stops it at once, and the server logs it as cancelled rather
//! than as a client that went away. The stream stays open until the server has answered, so
//! the query is still running when the request arrives.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow_flight::sql::client::FlightSqlServiceClient;
use arrow_flight::{Action, CancelFlightInfoRequest, CancelFlightInfoResult, FlightInfo};
use datafusion::error::Result as DataFusionResult;
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream};
use futures::{Stream, TryStreamExt};
use prost::Message;
use tonic::transport::Channel;

use super::errors::describe;

/// How long a cancel request may take before the stream is dropped anyway.
const CANCEL_PATIENCE: Duration = Duration::from_secs(10);

/// The rows of a remote query; dropped before its end, it cancels the query on the server.
pub struct CancelOnDrop {
    rows: Option<SendableRecordBatchStream>,
    schema: SchemaRef,
    /// What the cancel request needs; `None` once the rows have ended.
    query: Option<RunningQuery>,
}

/// A query the server runs: its FlightInfo names it in a cancel request.
struct RunningQuery {
    client: FlightSqlServiceClient<Channel>,
    info: FlightInfo,
}

impl CancelOnDrop {
    /// `rows` of the query that `info` describes, cancelled through `client` if dropped early.
    pub fn new(
        rows: SendableRecordBatchStream,
        client: FlightSqlServiceClient<Channel>,
        info: FlightInfo,
    ) -> Self {
        Self {
            schema: rows.schema(),
            rows: Some(rows),
            query: Some(RunningQuery { client, info }),
        }
    }
}

impl Stream for CancelOnDrop {
    type Item = DataFusionResult<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Some(rows) = self.rows.as_mut() else {
            return Poll::Ready(None);
        };
        let next = rows.as_mut().poll_next(cx);
        if matches!(next, Poll::Ready(None | Some(Err(_)))) {
            // The query has ended (or failed): nothing left to cancel.
            self.query = None;
        }
        next
    }
}

impl RecordBatchStream for CancelOnDrop {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let (Some(query), Some(rows)) = (self.query.take(), self.rows.take()) else {
            return;
        };
        // The request goes out in the background: the prompt comes back at once.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = tokio::time::timeout(CANCEL_PATIENCE, query.cancel()).await;
                drop(rows);
            });
        }
    }
}

impl RunningQuery {
    /// Sends CancelFlightInfo. A server that cannot cancel (the query just ended) or does not
    /// offer cancelling is no news: dropping the stream stops the query there too.
    async fn cancel(mut self) {
        let request = CancelFlightInfoRequest::new(self.info);
        let action = Action::new("CancelFlightInfo", request.encode_to_vec());
        let reply = match self.client.do_action(action).await {
            Ok(mut replies) => replies.try_next().await.map_err(Into::into),
            Err(error) => Err(error),
        };
        match reply {
            Ok(Some(reply)) => match CancelFlightInfoResult::decode(reply.body) {
                Ok(result) => tracing::debug!(status = ?result.status(), "CancelFlightInfo"),
                Err(error) => tracing::debug!("unreadable CancelFlightInfo reply: {error}"),
            },
            Ok(None) => tracing::debug!("no reply to CancelFlightInfo"),
            Err(arrow_flight::error::FlightError::Tonic(status))
                if status.code() == tonic::Code::Unimplemented => {}
            Err(error) => tracing::debug!("CancelFlightInfo failed: {}", describe(&error)),
        }
    }
}
