//! Client sessions: the current catalog and schema each client sets (ADBC and JDBC send them as
//! session options), which unqualified names in its statements resolve against, and the
//! session's own view of the engine, so a `SET` lasts for the session's later statements and
//! never reaches another session.
//!
//! A session is the client's login (its bearer token) or, without authentication, its
//! connection (the peer address). The spec suggests a cookie, but ADBC sends cookies back
//! only when told to, so a cookie would lose most clients' sessions.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lakeshore_engine::Engine;

use crate::auth::{Authenticator, user_of};
use tonic::Request;

use crate::session_messages::{
    INVALID_NAME, INVALID_VALUE, OptionValue, SessionOptionValue, SetSessionOptionsError,
};

/// Sessions unused this long are forgotten.
const IDLE_LIMIT: Duration = Duration::from_secs(24 * 3600);

/// At most this many sessions are kept (each holds a copy of the engine's settings); beyond it
/// the least recently used is forgotten.
const MAX_SESSIONS: usize = 1024;

/// Where unqualified names resolve; `None` keeps the engine's default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    pub catalog: Option<String>,
    pub schema: Option<String>,
}

/// What a request's statements run with: its session's scope and engine view.
pub struct SessionView {
    pub scope: Scope,
    pub engine: Arc<Engine>,
}

pub struct Sessions {
    /// The engine every session's view starts from; statements never run on it directly.
    engine: Arc<Engine>,
    /// Who each request's user is, for the access policy of their view.
    auth: Arc<Authenticator>,
    sessions: Mutex<HashMap<String, Session>>,
}

struct Session {
    scope: Scope,
    /// The engine as this session sees it: its default schema and its `SET`s.
    engine: Arc<Engine>,
    last_used: Instant,
}

impl Sessions {
    pub fn new(engine: Arc<Engine>, auth: Arc<Authenticator>) -> Self {
        Self {
            engine,
            auth,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// The request's session (made if it has none). A request that names no session gets a
    /// view of its own, which its `SET`s change and nobody else sees.
    pub fn view<T>(&self, request: &Request<T>) -> SessionView {
        let Some(id) = session_id(request) else {
            return SessionView {
                scope: Scope::default(),
                engine: self.view_in(&self.user_engine(request), &Scope::default()),
            };
        };
        let mut sessions = self.lock();
        let session = self.session(&mut sessions, id, request);
        SessionView {
            scope: session.scope.clone(),
            engine: session.engine.clone(),
        }
    }

    /// The request's session's engine, with `scope` for unqualified names: for statements
    /// whose scope was fixed earlier (a ticket, a prepared statement) and that keep the
    /// session's settings.
    pub fn engine_in<T>(&self, request: &Request<T>, scope: &Scope) -> Arc<Engine> {
        let view = self.view(request);
        if &view.scope == scope {
            view.engine
        } else {
            self.view_in(&view.engine, scope)
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
        let session = self.session(&mut sessions, id, request);
        let before = session.scope.clone();
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
        if session.scope != before {
            session.engine = self.view_in(&session.engine, &session.scope);
        }
        errors
    }

    /// The options of the request's session.
    pub fn get<T>(&self, request: &Request<T>) -> HashMap<String, SessionOptionValue> {
        let scope = self.view(request).scope;
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

    /// How many sessions the server keeps.
    pub fn count(&self) -> usize {
        self.lock().len()
    }

    /// Forgets the request's session; false when it named none we know.
    pub fn close<T>(&self, request: &Request<T>) -> bool {
        session_id(request).is_some_and(|id| self.lock().remove(&id).is_some())
    }

    /// The session `id` names, made (and the oldest forgotten, past the bound) if it is new.
    fn session<'a, T>(
        &self,
        sessions: &'a mut HashMap<String, Session>,
        id: String,
        request: &Request<T>,
    ) -> &'a mut Session {
        let now = Instant::now();
        if !sessions.contains_key(&id) {
            sessions.retain(|_, session| now.duration_since(session.last_used) < IDLE_LIMIT);
            if sessions.len() >= MAX_SESSIONS {
                let oldest = sessions
                    .iter()
                    .min_by_key(|(_, session)| session.last_used)
                    .map(|(id, _)| id.clone());
                if let Some(oldest) = oldest {
                    sessions.remove(&oldest);
                }
            }
        }
        let session = sessions.entry(id).or_insert_with(|| Session {
            scope: Scope::default(),
            engine: self.view_in(&self.user_engine(request), &Scope::default()),
            last_used: now,
        });
        session.last_used = now;
        session
    }

    /// The engine as the request's user may use it: their role and layers, checked on every
    /// statement. A session is one login, so one user, for its whole life.
    fn user_engine<T>(&self, request: &Request<T>) -> Engine {
        self.engine.as_user(self.auth.principal(&user_of(request)))
    }

    /// A copy of `engine` (with its settings) whose unqualified names resolve in `scope`; what
    /// `scope` leaves unset is the server's default.
    fn view_in(&self, engine: &Engine, scope: &Scope) -> Arc<Engine> {
        let (default_catalog, default_schema) = self.engine.default_schema();
        let catalog = scope.catalog.as_deref().unwrap_or(&default_catalog);
        let schema = scope.schema.as_deref().unwrap_or(&default_schema);
        Arc::new(engine.with_default_schema(catalog, schema))
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
