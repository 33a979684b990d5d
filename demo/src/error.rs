use deltalake::DeltaTableError;
use lakeshore_engine::EngineError;

/// Why the demo lake could not be created, naming what failed.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The target folder exists and holds something already.
    #[error(
        "{0} already exists and is not empty: choose another folder, or remove it to create the demo again"
    )]
    NotEmpty(String),

    /// The scale multiplies row counts, so it must be at least 1.
    #[error("the demo scale must be at least 1")]
    InvalidScale,

    /// A folder of the lake could not be created or read.
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },

    /// Writing a Delta table failed.
    #[error("writing the demo table {table}: {source}")]
    Delta {
        table: String,
        source: DeltaTableError,
    },

    /// Building the rows of a table failed.
    #[error("building the rows of the demo table {table}: {source}")]
    Rows {
        table: String,
        source: arrow::error::ArrowError,
    },

    /// A statement of the gold SQL scripts failed.
    #[error("running {file}: {source}\nstatement: {statement}")]
    Sql {
        file: String,
        statement: String,
        source: EngineError,
    },
}
