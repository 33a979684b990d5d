//! What went wrong on the way to the server, or in it, in words for the shell's `Error:` line.

use arrow_flight::error::FlightError;

/// An error the server reported, in its own words.
#[derive(Debug)]
pub struct RemoteError(pub String);

impl std::fmt::Display for RemoteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RemoteError {}

/// A Flight error without the layers of wrapping: the server's message, or what went wrong
/// on the way.
pub fn describe(error: &FlightError) -> String {
    match error {
        FlightError::Tonic(status) => describe_status(status),
        FlightError::Arrow(arrow) => arrow.to_string(),
        other => other.to_string(),
    }
}

/// A failed login. The client folds the server's answer into one line of text,
/// `... message: "wrong user name or password"`: the quoted message is what the server said.
pub fn describe_login(error: &FlightError) -> String {
    let text = describe(error);
    text.split_once("message: \"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map_or(text.clone(), |(message, _)| message.to_string())
}

fn describe_status(status: &tonic::Status) -> String {
    let said = status_text(status);
    // A call that failed on the way ("transport error") carries the cause that says why.
    match std::error::Error::source(status).map(source_text) {
        Some(cause) if !said.contains(&cause) => format!("{said}: {cause}"),
        _ => said,
    }
}

/// The status in words, with a hint where the code says what to do.
fn status_text(status: &tonic::Status) -> String {
    match (status.code(), status.message()) {
        (tonic::Code::Unavailable, message) => format!("the server is unavailable: {message}"),
        (tonic::Code::Unauthenticated, message) => {
            format!("{message}; the server wants a login (--user NAME)")
        }
        (code, "") => format!("{code}"),
        (tonic::Code::Unknown | tonic::Code::Internal, message) => message.to_string(),
        (code, message) => format!("{message} ({code})"),
    }
}

/// The innermost cause of a connection failure ("Connection refused"), which says the most.
pub fn source_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
