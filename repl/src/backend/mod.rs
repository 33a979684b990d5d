//! Where statements run: the engine in this process, or a `lakeshore-server` over Flight SQL.
//!
//! The shell, the scripts, the printing and the backslash commands only see [`Backend`], so
//! they behave the same embedded and remote.

mod embedded;
mod remote;

use std::fmt;

use anyhow::Result;
use async_trait::async_trait;
use datafusion::execution::SendableRecordBatchStream;
use lakeshore_engine::RequestWatch;

pub use embedded::EmbeddedBackend;
pub use remote::{RemoteBackend, RemoteTarget};

/// Runs SQL and answers questions about the catalog.
///
/// Cancelling a query is dropping its stream: the engine stops its tasks and frees their
/// memory; a server is asked to cancel the query (CancelFlightInfo) and does the same.
#[async_trait]
pub trait Backend: Send + Sync {
    /// Runs one statement and streams its result.
    async fn execute(&self, sql: &str) -> Result<SendableRecordBatchStream>;

    /// Every table and view, for completion.
    async fn tables(&self) -> Result<Vec<TableName>>;

    /// The column names of `table`, for completion.
    async fn columns(&self, table: &TableName) -> Result<Vec<String>>;

    /// Names of the SQL functions, for completion.
    async fn functions(&self) -> Result<Vec<String>>;

    /// What the shell is connected to, for its greeting: "lake /data/lake", "grpc://host:port".
    fn description(&self) -> String;

    /// A watch on the object-store requests made from now on, where this process can count
    /// them (a server counts its own, in its query log).
    fn watch_requests(&self) -> Option<RequestWatch> {
        None
    }
}

/// A table's full name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TableName {
    pub catalog: String,
    pub schema: String,
    pub table: String,
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.catalog, self.schema, self.table)
    }
}
