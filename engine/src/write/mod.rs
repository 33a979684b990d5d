//! Writing Delta tables: `CREATE TABLE ... AS SELECT`, `INSERT INTO` and bulk ingest all stream
//! their rows into delta-rs' write operation, which commits once, at the end. A query that fails
//! half-way leaves no commit, and a table it was creating leaves no folder.

mod destination;
mod mode;
mod sink;
mod stream_write;

pub(crate) use destination::Destination;
pub use mode::IngestMode;
pub(crate) use sink::WriteTarget;
pub(crate) use stream_write::{TableDefinition, write_stream};
