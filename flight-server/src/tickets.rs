//! What a DoGet ticket carries: everything needed to run the query it stands for, so a ticket
//! does not depend on server state (but for the parameters of a prepared statement).

use arrow_flight::Ticket;
use arrow_flight::sql::{Any, ProstMessageExt, TicketStatementQuery};
use prost::Message;

use crate::error::{Result, ServerError};
use crate::sessions::Scope;

#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryTicket {
    /// Names the query in logs and in CancelFlightInfo.
    #[prost(string, tag = "1")]
    pub query_id: String,
    #[prost(string, tag = "2")]
    pub sql: String,
    #[prost(string, optional, tag = "3")]
    pub catalog: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub schema: Option<String>,
    /// The prepared statement whose bound parameters the query uses.
    #[prost(bytes = "vec", optional, tag = "5")]
    pub prepared: Option<Vec<u8>>,
    /// Set for a command already run when its FlightInfo was asked for.
    #[prost(bool, tag = "6")]
    pub finished: bool,
    /// The rows that command changed, when it says.
    #[prost(uint64, optional, tag = "7")]
    pub affected: Option<u64>,
}

impl QueryTicket {
    pub fn new(query_id: String, sql: &str, scope: &Scope) -> Self {
        Self {
            query_id,
            sql: sql.to_string(),
            catalog: scope.catalog.clone(),
            schema: scope.schema.clone(),
            ..Self::default()
        }
    }

    pub fn scope(&self) -> Scope {
        Scope {
            catalog: self.catalog.clone(),
            schema: self.schema.clone(),
        }
    }

    /// As a Flight ticket: a Flight SQL `TicketStatementQuery` holding this message.
    pub fn to_ticket(&self) -> Ticket {
        let statement = TicketStatementQuery {
            statement_handle: self.encode_to_vec().into(),
        };
        Ticket::new(statement.as_any().encode_to_vec())
    }

    pub fn from_handle(handle: &[u8]) -> Result<Self> {
        Self::decode(handle)
            .map_err(|_| ServerError::InvalidRequest("malformed ticket".to_string()))
    }

    /// The query ticket inside a Flight ticket, if it is one of ours.
    pub fn from_ticket(ticket: &Ticket) -> Option<Self> {
        let any = Any::decode(ticket.ticket.as_ref()).ok()?;
        let statement: TicketStatementQuery = any.unpack().ok()??;
        Self::from_handle(&statement.statement_handle).ok()
    }
}
