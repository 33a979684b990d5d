use deltalake::DeltaTableError;
use lakeshore_engine::EngineError;

/// Why the demo lake could not be created, naming what failed.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The location is not a path or a URI the demo can write to.
    #[error("invalid location '{location}': {reason}")]
    InvalidLocation { location: String, reason: String },

    /// The target folder exists and holds something already (in an object store: a table or
    /// a view).
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

    /// The engine could not open the lake, or answer what it holds; its errors name the lake.
    #[error(transparent)]
    Lake(EngineError),

    /// Creating the lake in an object store failed after it began to write there. (Not a
    /// `source` field: the message holds the cause already, and error reporters that walk the
    /// chain would print it again.)
    #[error(
        "{error}\na partial demo lake may remain at {location}: remove it before creating the demo there again"
    )]
    PartlyWritten {
        location: String,
        error: Box<DemoError>,
    },

    /// A statement of the gold SQL scripts failed.
    #[error("running {file}: {source}\nstatement: {statement}")]
    Sql {
        file: String,
        statement: String,
        source: EngineError,
    },
}
