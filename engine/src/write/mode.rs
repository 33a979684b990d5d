//! How a write treats the table it names.

/// What a write does when its table exists or not: ADBC's bulk-ingest modes, which also
/// describe `CREATE TABLE AS` (`Create`, or `Replace` with `OR REPLACE`) and `INSERT INTO`
/// (`Append`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestMode {
    /// Create the table; fail if it exists.
    Create,
    /// Append to the table; fail if it does not exist.
    Append,
    /// Replace the table (its rows, and its schema when the write defines one), or create it.
    Replace,
    /// Append to the table, creating it if it does not exist.
    CreateAppend,
}
