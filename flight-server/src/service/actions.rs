//! The actions Flight defines beside Flight SQL's: CancelFlightInfo, and the session options
//! (SetSessionOptions, GetSessionOptions, CloseSession).

use arrow_flight::{
    Action, ActionType, CancelFlightInfoRequest, CancelFlightInfoResult, CancelStatus, FlightInfo,
};
use prost::Message;
use tonic::{Request, Response, Status};

use super::{ActionStream, SqlService};
use crate::error::{Result, ServerError};
use crate::session_messages::{
    CLOSED, CloseSessionResult, GetSessionOptionsResult, SetSessionOptionsRequest,
    SetSessionOptionsResult,
};
use crate::tickets::QueryTicket;

const CANCEL_FLIGHT_INFO: &str = "CancelFlightInfo";
const SET_SESSION_OPTIONS: &str = "SetSessionOptions";
const GET_SESSION_OPTIONS: &str = "GetSessionOptions";
const CLOSE_SESSION: &str = "CloseSession";

pub(super) fn custom_action_types() -> Vec<Result<ActionType, Status>> {
    [
        (CANCEL_FLIGHT_INFO, "Cancels the query of a FlightInfo"),
        (SET_SESSION_OPTIONS, "Sets the session's catalog and schema"),
        (GET_SESSION_OPTIONS, "The session's catalog and schema"),
        (CLOSE_SESSION, "Forgets the session"),
    ]
    .into_iter()
    .map(|(name, description)| {
        Ok(ActionType {
            r#type: name.to_string(),
            description: description.to_string(),
        })
    })
    .collect()
}

impl SqlService {
    pub(super) fn custom_action(&self, request: Request<Action>) -> Result<Response<ActionStream>> {
        let action = request.get_ref().clone();
        let invalid = |what: &str| ServerError::InvalidRequest(format!("malformed {what}"));
        match action.r#type.as_str() {
            CANCEL_FLIGHT_INFO => {
                let cancel = CancelFlightInfoRequest::decode(action.body)
                    .map_err(|_| invalid("CancelFlightInfoRequest"))?;
                let info = cancel
                    .info
                    .ok_or_else(|| invalid("CancelFlightInfoRequest"))?;
                let status = self.cancel(&info);
                Ok(reply(CancelFlightInfoResult::new(status).encode_to_vec()))
            }
            SET_SESSION_OPTIONS => {
                let set = SetSessionOptionsRequest::decode(action.body)
                    .map_err(|_| invalid("SetSessionOptionsRequest"))?;
                let errors = self.sessions.set(&request, set.session_options);
                Ok(reply(SetSessionOptionsResult { errors }.encode_to_vec()))
            }
            GET_SESSION_OPTIONS => {
                let session_options = self.sessions.get(&request);
                Ok(reply(
                    GetSessionOptionsResult { session_options }.encode_to_vec(),
                ))
            }
            CLOSE_SESSION => {
                if !self.sessions.close(&request) {
                    return Err(ServerError::NotFound("no such session".to_string()));
                }
                Ok(reply(CloseSessionResult { status: CLOSED }.encode_to_vec()))
            }
            other => Err(ServerError::Unsupported(format!("the action {other:?}"))),
        }
    }

    /// Cancels the queries of the endpoints of `info` that run now or whose DoGet has not
    /// started yet (it will end CANCELLED).
    pub(super) fn cancel(&self, info: &FlightInfo) -> CancelStatus {
        let mut cancelled = false;
        for endpoint in &info.endpoint {
            let query = endpoint.ticket.as_ref().and_then(QueryTicket::from_ticket);
            if let Some(query) = query {
                cancelled |=
                    self.limits.cancel(&query.query_id) || self.pending.cancel(&query.query_id);
            }
        }
        if cancelled {
            CancelStatus::Cancelled
        } else {
            CancelStatus::NotCancellable
        }
    }
}

fn reply(body: Vec<u8>) -> Response<ActionStream> {
    let result = arrow_flight::Result { body: body.into() };
    Response::new(Box::pin(futures::stream::iter([Ok(result)])))
}
