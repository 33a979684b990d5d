//! Client sessions: the current catalog and schema each client sets (ADBC and JDBC send them as
//! session options), which unqualified names in its statements resolve against.
//!
//! A session is the client's login (its bearer token) or, without authentication, its
//! connection (the peer address). The spec suggests a cookie, but ADBC sends cookies back
//! only when told to, so a cookie would lose most clients' sessions.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tonic::Request;

use crate::session_messages::{
    INVALID_NAME, INVALID_VALUE, OptionValue, SessionOptionValue, SetSessionOptionsError,
};

/// Sessions unused this long are forgotten.
const IDLE_LIMIT: Duration = Duration::from_secs(24 * 3600);

/// Where unqualified names resolve; `None` keeps the engine's default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    pub catalog: Option<String>,
    pub schema: Option<String>,
}

#[derive(Default)]
pub struct Sessions {
    sessions: Mutex<HashMap<String, Session>>,
}

struct Session {
    scope: Scope,
    last_used: Instant,
}

impl Sessions {
    /// The scope of the request's session, or the default one.
    pub fn scope<T>(&self, request: &Request<T>) -> Scope {
        let Some(id) = session_id(request) else {
            return Scope::default();
        };
        let mut sessions = self.lock();
        match sessions.get_mut(&id) {
            Some(session) => {
                session.last_used = Instant::now();
                session.scope.clone()
            }
            None => Scope::default(),
        }
    }

    /// Sets options on the request's session (made if it has none). Returns the options that
    /// could not be set.
    pub fn set<T>(
        &self,
        request: &Request<T>,
        options: HashMap<String, SessionOptionValue>,
    ) -> HashMap<String, SetSessionOptionsError> {
        let Some(id) = session_id(request) else {
            return options
                .into_keys()
                .map(|name| {
                    (
                        name,
                        SetSessionOptionsError {
                            value: INVALID_VALUE,
                        },
                    )
                })
                .collect();
        };
        let mut sessions = self.lock();
        let now = Instant::now();
        sessions.retain(|_, session| now.duration_since(session.last_used) < IDLE_LIMIT);
        let session = sessions.entry(id.clone()).or_insert_with(|| Session {
            scope: Scope::default(),
            last_used: now,
        });
        session.last_used = now;
        let mut errors = HashMap::new();
        for (name, value) in options {
            let target = match name.as_str() {
                "catalog" => &mut session.scope.catalog,
                "schema" => &mut session.scope.schema,
                _ => {
                    errors.insert(
                        name,
                        SetSessionOptionsError {
                            value: INVALID_NAME,
                        },
                    );
                    continue;
                }
            };
            match value.option_value {
                Some(OptionValue::String(text)) if !text.is_empty() => *target = Some(text),
                // A valueless option clears it.
                None => *target = None,
                Some(_) => {
                    errors.insert(
                        name,
                        SetSessionOptionsError {
                            value: INVALID_VALUE,
                        },
                    );
                }
            }
        }
        errors
    }

    /// The options of the request's session.
    pub fn get<T>(&self, request: &Request<T>) -> HashMap<String, SessionOptionValue> {
        let scope = self.scope(request);
        [("catalog", scope.catalog), ("schema", scope.schema)]
            .into_iter()
            .filter_map(|(name, value)| {
                value.map(|value| {
                    let value = SessionOptionValue {
                        option_value: Some(OptionValue::String(value)),
                    };
                    (name.to_string(), value)
                })
            })
            .collect()
    }

    /// Forgets the request's session; false when it named none we know.
    pub fn close<T>(&self, request: &Request<T>) -> bool {
        session_id(request).is_some_and(|id| self.lock().remove(&id).is_some())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The session of a request: its bearer token, or else its connection.
fn session_id<T>(request: &Request<T>) -> Option<String> {
    let token = request
        .metadata()
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    match token {
        Some(token) => Some(format!("token {token}")),
        None => request.remote_addr().map(|peer| format!("peer {peer}")),
    }
}
