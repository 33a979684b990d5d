//! Counting what DoGet sends: each Flight data message's bytes, and the rows of those that
//! carry a record batch (read from the message header, which the encoder has just written).

use std::sync::Arc;

use arrow::ipc::root_as_message;
use arrow_flight::FlightData;
use futures::{Stream, StreamExt};
use tonic::Status;

use super::ServerMetrics;

/// `stream`, counted into `metrics` as each message goes out.
pub fn counted<S>(
    stream: S,
    metrics: Arc<ServerMetrics>,
) -> impl Stream<Item = Result<FlightData, Status>> + Send + 'static
where
    S: Stream<Item = Result<FlightData, Status>> + Send + 'static,
{
    stream.inspect(move |item| {
        if let Ok(data) = item {
            metrics.sent(rows_in(data), bytes_in(data));
        }
    })
}

/// The rows of a record batch message; 0 for any other (a schema, a dictionary).
fn rows_in(data: &FlightData) -> u64 {
    root_as_message(&data.data_header)
        .ok()
        .and_then(|message| message.header_as_record_batch())
        .map_or(0, |batch| u64::try_from(batch.length()).unwrap_or(0))
}

/// The bytes of Arrow IPC a message carries: its header and body.
fn bytes_in(data: &FlightData) -> u64 {
    u64::try_from(data.data_header.len() + data.data_body.len()).unwrap_or(u64::MAX)
}
