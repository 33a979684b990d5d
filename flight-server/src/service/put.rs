//! DoPut, dispatched here rather than by arrow-flight. Its dispatch peeks at the first message
//! for the command and hands the stream on with that message still in it, through a stream type
//! only it can make; the gateway must decode the command first (see [`crate::commands`]), so the
//! peeking and the dispatch both live here.

use std::pin::Pin;

use arrow_flight::sql::{Command, DoPutUpdateResult};
use arrow_flight::{FlightData, PutResult};
use futures::stream::{Peekable, Stream, StreamExt};
use prost::Message;
use tonic::{Request, Response, Status, Streaming};

use super::SqlService;
use crate::commands::command_of;
use crate::error::ServerError;

/// The messages of a DoPut, the first (which names the command) among them.
pub type PutStream = Peekable<Streaming<FlightData>>;

pub type PutResultStream = Pin<Box<dyn Stream<Item = Result<PutResult, Status>> + Send + 'static>>;

impl SqlService {
    /// DoPut: an update, a bulk ingest, parameters bound to a prepared statement, or an update
    /// through one; answered with the count of rows changed (or the statement's handle).
    pub async fn put(
        &self,
        request: Request<Streaming<FlightData>>,
    ) -> Result<Response<PutResultStream>, Status> {
        let mut request = request.map(StreamExt::peekable);
        let descriptor = match Pin::new(request.get_mut()).peek().await {
            None => return Err(invalid("DoPut sent no message").into()),
            // The client's stream broke (a message over the size limit, say): its own status.
            Some(Err(status)) => return Err(status.clone()),
            Some(Ok(first)) => first.flight_descriptor.clone(),
        };
        let descriptor = descriptor.ok_or_else(|| {
            invalid("the first DoPut message carries no FlightDescriptor naming its command")
        })?;
        let answer = match command_of(&descriptor.cmd, "DoPut")? {
            Command::CommandStatementUpdate(command) => {
                updated(self.statement_update(command, request).await?)
            }
            Command::CommandStatementIngest(command) => {
                updated(self.ingest(command, request).await?)
            }
            Command::CommandPreparedStatementUpdate(command) => {
                updated(self.prepared_statement_update(command, request).await?)
            }
            Command::CommandPreparedStatementQuery(command) => self
                .bind_parameters(command, request)
                .await?
                .encode_to_vec(),
            other => {
                return Err(
                    ServerError::Unsupported(format!("DoPut of {}", other.type_url())).into(),
                );
            }
        };
        let result = PutResult {
            app_metadata: answer.into(),
        };
        Ok(Response::new(Box::pin(futures::stream::iter([Ok(result)]))))
    }
}

fn updated(record_count: i64) -> Vec<u8> {
    DoPutUpdateResult { record_count }.encode_to_vec()
}

fn invalid(message: &str) -> ServerError {
    ServerError::InvalidRequest(message.to_string())
}
