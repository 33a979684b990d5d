//! The Flight SQL command a request carries, decoded before arrow-flight's dispatch sees it.
//!
//! arrow-flight's dispatch (its `FlightService` for every `FlightSqlService`) answers a command
//! that names a Flight SQL message but does not decode as one with INTERNAL and a Rust debug
//! form, as if the server were at fault. A garbled request is the client's: the gateway decodes
//! each command first and refuses such a request as invalid, with a sentence naming the RPC.

use arrow_flight::sql::{Any, Command};
use prost::Message;

use crate::error::{Result, ServerError};

/// Flight SQL's actions whose body is a command wrapped in `Any` (arrow-flight keeps its own
/// names of them private).
const FLIGHT_SQL_ACTIONS: &[&str] = &[
    "CreatePreparedStatement",
    "ClosePreparedStatement",
    "CreatePreparedSubstraitPlan",
    "BeginTransaction",
    "EndTransaction",
    "BeginSavepoint",
    "EndSavepoint",
    "CancelQuery",
];

/// Longest message type named back to the client: the name is the client's text.
const MAX_TYPE_CHARS: usize = 120;

/// The Flight SQL command `bytes` hold, sent with the RPC `rpc` (as in "GetFlightInfo"). A
/// message of a type Flight SQL does not define is [`Command::Unknown`], left to the service.
pub fn command_of(bytes: &[u8], rpc: &str) -> Result<Command> {
    let any = Any::decode(bytes).map_err(|error| {
        not_understood(rpc, format!("it is not a protobuf Any message ({error})"))
    })?;
    let type_url = bounded(&any.type_url);
    Command::try_from(any).map_err(|_| {
        not_understood(
            rpc,
            format!("it names the message {type_url} but its content does not decode as one"),
        )
    })
}

/// Fails when the body of the action `action_type` is a garbled Flight SQL command; bodies of
/// other actions (Flight's own, ours) are not commands and are left to their handlers.
pub fn check_action_body(action_type: &str, body: &[u8]) -> Result<()> {
    if FLIGHT_SQL_ACTIONS.contains(&action_type) {
        command_of(body, &format!("DoAction {action_type}"))?;
    }
    Ok(())
}

fn not_understood(rpc: &str, why: String) -> ServerError {
    ServerError::InvalidRequest(format!(
        "the {rpc} command is not a Flight SQL command this server understands: {why}"
    ))
}

/// At most [`MAX_TYPE_CHARS`] characters of `text`.
fn bounded(text: &str) -> String {
    match text.char_indices().nth(MAX_TYPE_CHARS) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_flight::sql::{CommandStatementQuery, ProstMessageExt};

    #[test]
    fn a_garbled_command_is_refused_naming_the_rpc() {
        let garbled = Any {
            type_url: CommandStatementQuery::type_url().to_string(),
            value: bytes::Bytes::from_static(b"\x0a\xff\xff"),
        }
        .encode_to_vec();
        let refused = command_of(&garbled, "GetFlightInfo").unwrap_err();
        assert_eq!(refused.code(), tonic::Code::InvalidArgument);
        let message = refused.to_string();
        assert!(
            message.starts_with("the GetFlightInfo command"),
            "{message}"
        );
        assert!(message.contains("CommandStatementQuery"), "{message}");

        let proper = CommandStatementQuery {
            query: "SELECT 1".to_string(),
            transaction_id: None,
        }
        .as_any()
        .encode_to_vec();
        assert!(matches!(
            command_of(&proper, "DoGet"),
            Ok(Command::CommandStatementQuery(_))
        ));
        assert!(command_of(b"\xff\xff", "DoGet").is_err());
        check_action_body("SetSessionOptions", b"\xff").unwrap();
        assert!(check_action_body("CreatePreparedStatement", &garbled).is_err());
    }
}
