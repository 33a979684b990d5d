//! Who may query: users with argon2 password hashes in a file, and the bearer tokens they get by
//! logging in (Basic auth in the Flight handshake).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use base64::alphabet::STANDARD as STANDARD_ALPHABET;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use lakeshore_engine::{Layers, Principal, Role};
use prometheus_client::metrics::counter::Counter;
use rand::RngCore;
use tokio::sync::Semaphore;

use crate::error::{Result, ServerError};
use crate::ids::random_id;

/// The role of a users-file line that names none: what every user could do before roles
/// existed (query, create and ingest), so existing files keep working; admin is never implied.
pub const DEFAULT_ROLE: Role = Role::Writer;

/// Logins that may wait for a password check at once; more are refused as busy, so a flood
/// of attempts holds a bounded amount of memory.
const MAX_WAITING_LOGINS: usize = 256;

/// Failed logins of a user before each further attempt must wait.
const FREE_FAILURES: u32 = 3;

/// The longest a user's logins are held back after failures.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// How many user names' failures are remembered; past it, those no longer held back are
/// forgotten.
const MAX_REMEMBERED_FAILURES: usize = 10_000;

/// Base64 with or without `=` padding: the ADBC Flight SQL driver (Go) sends Basic
/// credentials unpadded, so a `user:password` whose length is not a multiple of 3 would
/// otherwise be refused as "not base64".
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD_ALPHABET,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The user a request runs as; `anonymous` when the server runs without a users file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User(pub String);

/// One line of the users file.
#[derive(Debug, Clone)]
struct Account {
    hash: String,
    role: Role,
    layers: Layers,
}

/// Checks credentials and tokens. Without users, every request is let through as `anonymous`.
pub struct Authenticator {
    users: Option<HashMap<String, Account>>,
    tokens: Mutex<HashMap<String, Login>>,
    token_lifetime: Duration,
    /// Argon2 is slow on purpose: at most this many checks run at once (on the blocking
    /// pool), so a flood of wrong passwords leaves cores for queries.
    verifications: Semaphore,
    waiting: AtomicUsize,
    failures: Mutex<HashMap<String, Failures>>,
    /// Every refused password login, for the metrics.
    refused_logins: Counter,
}

struct Login {
    user: User,
    expires: Instant,
}

/// A user name's failed logins since its last success.
struct Failures {
    count: u32,
    /// No attempt is checked before this.
    held_until: Instant,
}

impl Authenticator {
    pub fn new(users_file: Option<&Path>, token_lifetime: Duration) -> Result<Self> {
        let users = users_file.map(read_users).transpose()?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Self {
            users,
            tokens: Mutex::new(HashMap::new()),
            token_lifetime,
            verifications: Semaphore::new((cores / 2).max(1)),
            waiting: AtomicUsize::new(0),
            failures: Mutex::new(HashMap::new()),
            refused_logins: Counter::default(),
        })
    }

    /// The count of refused password logins (a handle: it goes on counting).
    pub fn refused_logins(&self) -> Counter {
        self.refused_logins.clone()
    }

    /// Whether clients must log in.
    pub fn is_enabled(&self) -> bool {
        self.users.is_some()
    }

    /// What `user` may do: their role and layers from the users file. Without a users file
    /// the one user, `anonymous`, is an admin of every layer (the server then listens on
    /// loopback only, unless told otherwise); the places the server reaches still bound it.
    pub fn principal(&self, user: &User) -> Principal {
        match &self.users {
            None => Principal::admin(&user.0),
            Some(users) => match users.get(&user.0) {
                Some(account) => Principal {
                    name: user.0.clone(),
                    role: account.role,
                    layers: account.layers.clone(),
                },
                None => Principal {
                    name: user.0.clone(),
                    role: Role::Reader,
                    layers: Layers::Only(Default::default()),
                },
            },
        }
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
        self.log_in_with_password(users, authorization)
            .await
            .inspect_err(|_| {
                self.refused_logins.inc();
            })
    }

    /// Logs in with `Basic base64(user:password)`: a new token and its user.
    async fn log_in_with_password(
        &self,
        users: &HashMap<String, Account>,
        authorization: &str,
    ) -> Result<(String, User)> {
        let (name, password) = basic_credentials(authorization)?;
        let stored = users.get(&name).map(|account| account.hash.clone());
        let accepted = self.check_password(&name, stored, password).await?;
        if !accepted {
            self.failed(&name);
            tracing::warn!(user = %name, "login refused: wrong user name or password");
            return Err(ServerError::Unauthenticated(
                "wrong user name or password".to_string(),
            ));
        }
        self.lock_failures().remove(&name);
        let token = random_id(32);
        let user = User(name);
        let role = self.principal(&user).role;
        tracing::info!(user = %user.0, %role, "logged in");
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

    /// Checks `password` against `stored` on the blocking pool, once a verification slot is
    /// free and the user is not held back by earlier failures (checked again after the wait:
    /// attempts that queued together are held back as soon as the first ones fail).
    async fn check_password(
        &self,
        name: &str,
        stored: Option<String>,
        password: String,
    ) -> Result<bool> {
        self.refuse_if_held_back(name)?;
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING_LOGINS {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            tracing::warn!(user = %name, "login refused: too many logins waiting");
            return Err(ServerError::Unauthenticated(
                "too many logins at once: retry later".to_string(),
            ));
        }
        let permit = self.verifications.acquire().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let _permit = permit
            .map_err(|error| ServerError::Internal(format!("checking a password: {error}")))?;
        self.refuse_if_held_back(name)?;
        tokio::task::spawn_blocking(move || verify(stored.as_deref(), &password))
            .await
            .map_err(|error| ServerError::Internal(format!("checking a password: {error}")))
    }

    /// Refuses a login, without checking its password, while the user's failures hold it back.
    fn refuse_if_held_back(&self, name: &str) -> Result<()> {
        let failures = self.lock_failures();
        let Some(held) = failures.get(name) else {
            return Ok(());
        };
        let now = Instant::now();
        if held.held_until <= now {
            return Ok(());
        }
        let wait = held.held_until.duration_since(now).as_secs() + 1;
        tracing::warn!(user = %name, failures = held.count, "login refused: held back after failed logins");
        Err(ServerError::Unauthenticated(format!(
            "too many failed logins for {name}: retry in {wait} s"
        )))
    }

    /// Counts a failed login of `name`; past a few, its next attempts wait twice as long each
    /// time, up to [`MAX_BACKOFF`].
    fn failed(&self, name: &str) {
        let mut failures = self.lock_failures();
        let now = Instant::now();
        if failures.len() >= MAX_REMEMBERED_FAILURES {
            failures.retain(|_, held| held.held_until > now);
        }
        let entry = failures.entry(name.to_string()).or_insert(Failures {
            count: 0,
            held_until: now,
        });
        entry.count = entry.count.saturating_add(1);
        if entry.count >= FREE_FAILURES {
            let doublings = (entry.count - FREE_FAILURES).min(6);
            let backoff = Duration::from_secs(1 << doublings).min(MAX_BACKOFF);
            entry.held_until = now + backoff;
        }
    }

    fn lock_failures(&self) -> std::sync::MutexGuard<'_, HashMap<String, Failures>> {
        self.failures.lock().unwrap_or_else(|e| e.into_inner())
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

/// The user [`crate::gateway`] authenticated for this request.
pub(crate) fn user_of<T>(request: &tonic::Request<T>) -> User {
    request
        .extensions()
        .get::<User>()
        .cloned()
        .unwrap_or_else(anonymous)
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

/// The users file: one `user:argon2-hash[:role[:layers]]` a line (role `reader`, `writer` or
/// `admin`, [`DEFAULT_ROLE`] when absent; layers a comma-separated list of the lake's
/// top-level schemas, or `*`, every layer, when absent); blank lines and `#` comments are
/// skipped. Argon2's PHC strings hold no `:`, so the fields split cleanly.
fn read_users(path: &Path) -> Result<HashMap<String, Account>> {
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
        let bad = |why: &str| {
            ServerError::InvalidRequest(format!(
                "users file {} line {}: {why}",
                path.display(),
                number + 1
            ))
        };
        let mut fields = line.split(':');
        let (Some(user), Some(hash)) = (fields.next(), fields.next()) else {
            return Err(bad("expected user:hash[:role[:layers]]"));
        };
        let role = match fields.next().map(str::trim) {
            None | Some("") => DEFAULT_ROLE,
            Some(role) => Role::parse(role).ok_or_else(|| {
                bad(&format!(
                    "unknown role {role:?}; expected reader, writer or admin"
                ))
            })?,
        };
        let layers = Layers::parse(fields.next().unwrap_or("*"));
        if fields.next().is_some() {
            return Err(bad("expected user:hash[:role[:layers]]"));
        }
        let account = Account {
            hash: hash.to_string(),
            role,
            layers,
        };
        users.insert(user.to_string(), account);
    }
    Ok(users)
}

/// Adds `user` with `password` to the users file at `path` (created if missing), replacing
/// the user's line if there is one; the user's role and layers stay as they were (or the
/// defaults, for a new user).
pub fn set_password(path: &Path, user: &str, password: &str) -> Result<()> {
    set_account(path, user, password, None, None)
}

/// Like [`set_password`], and sets the user's `role` and `layers` when given.
pub fn set_account(
    path: &Path,
    user: &str,
    password: &str,
    role: Option<Role>,
    layers: Option<Layers>,
) -> Result<()> {
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
    let before = existing.lines().find(|line| line.starts_with(&prefix));
    let field = |index: usize| before.and_then(|line| line.split(':').nth(index));
    let role = role.map_or_else(
        || field(2).unwrap_or(DEFAULT_ROLE.as_str()).to_string(),
        |role| role.as_str().to_string(),
    );
    let layers = layers.map_or_else(|| field(3).unwrap_or("*").to_string(), |l| l.to_string());
    let mut lines: Vec<String> = existing
        .lines()
        .filter(|line| !line.starts_with(&prefix))
        .map(str::to_string)
        .collect();
    lines.push(format!(
        "{user}:{}:{role}:{layers}",
        hash_password(password)?
    ));
    std::fs::write(path, lines.join("\n") + "\n").map_err(|error| {
        ServerError::InvalidRequest(format!("cannot write {}: {error}", path.display()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_files_with_and_without_roles_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users");
        std::fs::write(
            &path,
            "# an old line, and new ones\nold:$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA\n\
             ann:$argon2id$x:reader:gold,silver\nbob:$argon2id$x:admin\n",
        )
        .unwrap();
        let users = read_users(&path).unwrap();
        assert_eq!(users["old"].role, DEFAULT_ROLE);
        assert_eq!(users["old"].layers, Layers::All);
        assert_eq!(users["ann"].role, Role::Reader);
        assert!(users["ann"].layers.allows("gold") && !users["ann"].layers.allows("bronze"));
        assert_eq!(users["bob"].role, Role::Admin);
        std::fs::write(&path, "eve:hash:root\n").unwrap();
        let error = read_users(&path).unwrap_err().to_string();
        assert!(
            error.contains("unknown role \"root\"") && error.contains("line 1"),
            "{error}"
        );
    }

    #[test]
    fn a_new_password_keeps_the_role_and_layers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users");
        set_account(
            &path,
            "ann",
            "one",
            Some(Role::Reader),
            Some(Layers::parse("gold")),
        )
        .unwrap();
        set_password(&path, "ann", "two").unwrap();
        let users = read_users(&path).unwrap();
        assert_eq!(users["ann"].role, Role::Reader);
        assert_eq!(users["ann"].layers, Layers::parse("gold"));
        assert!(verify(Some(&users["ann"].hash), "two"));
    }
}
