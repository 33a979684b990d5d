//! SQL text and syntax, pure: no I/O, no catalog. The bottom layer of the engine, shared with
//! the shell and the Flight SQL server.
//!
//! The rule of this module: SQL that is handed on is the user's text, sliced by token spans
//! (see [`text`]), never printed back from tokens, which loses escapes (`'O''Brien'`).
//!
//! - [`split_statements`]: a script as its statements;
//! - [`number_placeholders`]: `?` as DataFusion's `$1, $2, ...`;
//! - [`ParsedStatement`]: one statement parsed once, handed on to planning;
//! - [`parse_statement`]: one statement, with the Delta syntax DataFusion's parser lacks
//!   (`DESCRIBE HISTORY` / `DETAIL`, `VERSION AS OF` / `TIMESTAMP AS OF`);
//! - [`take_partition_columns`]: `PARTITIONED BY (...)` taken off a `CREATE TABLE`;
//! - [`StatementKind`]: whether a statement returns rows, whether it writes;
//! - [`pieces`]: the tokens with their bytes in the text, for the shell's colours.

mod describe;
mod kind;
mod parse;
mod parsed;
mod partitioned_by;
mod placeholders;
mod select_list;
mod split;
mod text;
mod time_travel;

pub(crate) use describe::{DELTA_DETAIL, DELTA_HISTORY};
pub use kind::{StatementKind, statement_kind};
pub(crate) use parse::parse_statement;
pub use parsed::ParsedStatement;
pub(crate) use partitioned_by::take_partition_columns;
pub use placeholders::number_placeholders;
pub use split::split_statements;
pub use text::{Piece, pieces};
