//! Who may query: users with argon2 password hashes in a file, and the bearer tokens they get by
//! logging in (Basic auth in the Flight handshake).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::RngCore;

use crate::error::{Result, ServerError};
use crate::ids::random_id;

/// The user a request runs as; `anonymous` when the server runs without a users file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User(pub String);

/// Checks credentials and tokens. Without users, every request is let through as `anonymous`.
pub struct Authenticator {
    users: Option<HashMap<String, String>>,
    tokens: Mutex<HashMap<String, Login>>,
    token_lifetime: Duration,
}

struct Login {
    user: User,
    expires: Instant,
}

impl Authenticator {
    pub fn new(users_file: Option<&Path>, token_lifetime: Duration) -> Result<Self> {
        let users = users_file.map(read_users).transpose()?;
        Ok(Self {
            users,
            tokens: Mutex::new(HashMap::new()),
            token_lifetime,
        })
    }

    /// Whether clients must log in.
    pub fn is_enabled(&self) -> bool {
        self.users.is_some()
    }

    /// Logs in with the value of an `authorization` header: `Basic base64(user:password)` gives
    /// a new token, `Bearer token` must be a valid one. Returns the token and its user.
    pub async fn log_in(&self, authorization: Option<&str>) -> Result<(String, User)> {
        let Some(users) = &self.users else {
            return Ok((String::new(), anonymous()));
        };
        let authorization = authorization.ok_or_else(|| {
            ServerError::Unauthenticated("log in with a user name and password".to_string())
        })?;
        if let Some(token) = authorization.strip_prefix("Bearer ") {
            let user = self.user_of_token(token)?;
            return Ok((token.to_string(), user));
        }
        let (name, password) = basic_credentials(authorization)?;
        let stored = users.get(&name).cloned();
        let accepted = tokio::task::spawn_blocking(move || verify(stored.as_deref(), &password))
            .await
            .map_err(|error| ServerError::Internal(format!("checking a password: {error}")))?;
        if !accepted {
            return Err(ServerError::Unauthenticated(
                "wrong user name or password".to_string(),
            ));
        }
        let token = random_id(32);
        let user = User(name);
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        tokens.retain(|_, login| login.expires > now);
        tokens.insert(
            token.clone(),
            Login {
                user: user.clone(),
                expires: now + self.token_lifetime,
            },
        );
        Ok((token, user))
    }

    /// The user of a request, from its `authorization: Bearer TOKEN` header.
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<User> {
        if !self.is_enabled() {
            return Ok(anonymous());
        }
        let token = authorization
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or_else(|| {
                ServerError::Unauthenticated(
                    "no bearer token: log in with the handshake first".to_string(),
                )
            })?;
        self.user_of_token(token)
    }

    fn user_of_token(&self, token: &str) -> Result<User> {
        let tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        match tokens.get(token) {
            Some(login) if login.expires > Instant::now() => Ok(login.user.clone()),
            Some(_) => Err(ServerError::Unauthenticated(
                "the token has expired: log in again".to_string(),
            )),
            None => Err(ServerError::Unauthenticated(
                "unknown token: log in again".to_string(),
            )),
        }
    }
}

fn anonymous() -> User {
    User("anonymous".to_string())
}

/// `user:password` from `Basic base64(user:password)`.
fn basic_credentials(authorization: &str) -> Result<(String, String)> {
    let refused = |why: &str| ServerError::Unauthenticated(format!("bad authorization: {why}"));
    let encoded = authorization
        .strip_prefix("Basic ")
        .ok_or_else(|| refused("expected Basic or Bearer"))?;
    let decoded = BASE64
        .decode(encoded.trim())
        .map_err(|_| refused("not base64"))?;
    let text = String::from_utf8(decoded).map_err(|_| refused("not UTF-8"))?;
    let (user, password) = text
        .split_once(':')
        .ok_or_else(|| refused("expected user:password"))?;
    Ok((user.to_string(), password.to_string()))
}

/// Whether `password` matches `stored`; an unknown user costs a hash too, so timing does not
/// tell which user names exist.
fn verify(stored: Option<&str>, password: &str) -> bool {
    let decoy;
    let hash = match stored {
        Some(hash) => hash,
        None => {
            decoy = hash_password("decoy").unwrap_or_default();
            &decoy
        }
    };
    let accepted = PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    accepted && stored.is_some()
}

/// The argon2id hash of `password`, with a random salt, in PHC string form.
pub fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)
        .map_err(|error| ServerError::Internal(format!("making a salt: {error}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| ServerError::Internal(format!("hashing a password: {error}")))
}

/// The users file: one `user:argon2-hash` a line; blank lines and `#` comments are skipped.
fn read_users(path: &Path) -> Result<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        ServerError::InvalidRequest(format!(
            "cannot read the users file {}: {error}",
            path.display()
        ))
    })?;
    let mut users = HashMap::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (user, hash) = line.split_once(':').ok_or_else(|| {
            ServerError::InvalidRequest(format!(
                "users file {} line {}: expected user:hash",
                path.display(),
                number + 1
            ))
        })?;
        users.insert(user.to_string(), hash.to_string());
    }
    Ok(users)
}

/// Adds `user` with `password` to the users file at `path` (created if missing), replacing
/// the user's line if there is one.
pub fn set_password(path: &Path, user: &str, password: &str) -> Result<()> {
    if user.is_empty() || user.contains(':') || user.contains(char::is_whitespace) {
        return Err(ServerError::InvalidRequest(format!(
            "bad user name {user:?}: it must be non-empty, without ':' or spaces"
        )));
    }
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => {
            return Err(ServerError::InvalidRequest(format!(
                "cannot read {}: {error}",
                path.display()
            )));
        }
    };
    let prefix = format!("{user}:");
    let mut lines: Vec<String> = existing
        .lines()
        .filter(|line| !line.starts_with(&prefix))
        .map(str::to_string)
        .collect();
    lines.push(format!("{user}:{}", hash_password(password)?));
    std::fs::write(path, lines.join("\n") + "\n").map_err(|error| {
        ServerError::InvalidRequest(format!("cannot write {}: {error}", path.display()))
    })
}
