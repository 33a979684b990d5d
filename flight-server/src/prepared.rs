//! Prepared statements: created by one user, bound with parameters, run, closed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

use crate::auth::User;
use crate::error::{Result, ServerError};
use crate::ids::random_id;
use crate::sessions::Scope;
use crate::statements::Statement;

/// Statements unused this long are closed, for clients that never close theirs.
const IDLE_LIMIT: Duration = Duration::from_secs(3600);

/// How many statements one user keeps open: past it, making another closes that user's least
/// recently used one. Without a bound, a user who prepares without closing (a buggy client, or
/// an untrusted one) would fill the server's memory within the hour; with it, one user's
/// statements never cost another's.
const OPEN_PER_USER: usize = 1024;

#[derive(Clone)]
pub struct PreparedStatement {
    pub statement: Statement,
    pub scope: Scope,
    pub owner: User,
    /// The result's schema: empty for statements that return no rows.
    pub dataset_schema: SchemaRef,
    /// The parameter rows bound by the last DoPut, if any.
    pub parameters: Option<RecordBatch>,
}

#[derive(Default)]
pub struct PreparedStatements {
    statements: Mutex<HashMap<String, (PreparedStatement, Instant)>>,
}

impl PreparedStatements {
    /// Keeps `prepared` and returns its handle.
    pub fn insert(&self, prepared: PreparedStatement) -> String {
        let handle = random_id(16);
        let mut statements = self.lock();
        let now = Instant::now();
        statements.retain(|_, (_, used)| now.duration_since(*used) < IDLE_LIMIT);
        let mut owned: Vec<(Instant, String)> = statements
            .iter()
            .filter(|(_, (kept, _))| kept.owner == prepared.owner)
            .map(|(key, (_, used))| (*used, key.clone()))
            .collect();
        if owned.len() >= OPEN_PER_USER {
            owned.sort();
            for (_, key) in &owned[..=owned.len() - OPEN_PER_USER] {
                statements.remove(key);
            }
        }
        statements.insert(handle.clone(), (prepared, now));
        handle
    }

    /// The statement `handle` names, if `user` made it.
    pub fn get(&self, handle: &[u8], user: &User) -> Result<PreparedStatement> {
        let mut statements = self.lock();
        let (prepared, used) = statements
            .get_mut(&handle_text(handle))
            .filter(|(prepared, _)| &prepared.owner == user)
            .ok_or_else(unknown)?;
        *used = Instant::now();
        Ok(prepared.clone())
    }

    /// Binds parameter rows to the statement `handle` names.
    pub fn bind(&self, handle: &[u8], user: &User, parameters: RecordBatch) -> Result<()> {
        let mut statements = self.lock();
        let (prepared, used) = statements
            .get_mut(&handle_text(handle))
            .filter(|(prepared, _)| &prepared.owner == user)
            .ok_or_else(unknown)?;
        prepared.parameters = Some(parameters);
        *used = Instant::now();
        Ok(())
    }

    pub fn close(&self, handle: &[u8], user: &User) -> Result<()> {
        let mut statements = self.lock();
        let key = handle_text(handle);
        match statements.get(&key) {
            Some((prepared, _)) if &prepared.owner == user => {
                statements.remove(&key);
                Ok(())
            }
            _ => Err(unknown()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (PreparedStatement, Instant)>> {
        self.statements.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn handle_text(handle: &[u8]) -> String {
    String::from_utf8_lossy(handle).into_owned()
}

fn unknown() -> ServerError {
    ServerError::NotFound(format!(
        "no such prepared statement (closed, expired after an hour unused, or closed for a \
         newer one past the {OPEN_PER_USER} a user may keep open)"
    ))
}
