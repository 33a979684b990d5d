//! A demo lake in an object store (`s3://`, `az://`, `abfss://`, `gs://` ...). What is there is
//! judged through the engine, as every reader of the lake will see it: a location whose lake
//! has a table or a view is not empty, and one with tables in `gold` holds a demo lake.
//!
//! A creation that fails part-way is not undone: the error says a partial lake may remain.
//! The engine sees only Delta tables and views, so objects of others (files that are no
//! table) may share the prefix, and deleting everything below it could remove them; deleting
//! only what the demo wrote would mean tracking every object that delta-rs and the gold SQL
//! write. We leave someone's bucket alone instead, and name what to remove.

use futures::TryStreamExt;
use lakeshore_engine::{Engine, EngineError};

use crate::error::DemoError;
use crate::location::{Lake, display_location};

/// Any table or view of the lake (each catalog also lists its own `information_schema`).
const ANY_TABLE: &str = "SELECT table_name FROM information_schema.tables \
                         WHERE table_schema <> 'information_schema' LIMIT 1";

/// Any table or view in the gold layer.
const ANY_GOLD_TABLE: &str =
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'gold' LIMIT 1";

pub(crate) async fn exists(lake: &Lake<'_>) -> Result<bool, DemoError> {
    let engine = lake.engine().await?;
    any_row(&engine, ANY_GOLD_TABLE)
        .await
        .map_err(DemoError::Lake)
}

pub(crate) async fn create(lake: &Lake<'_>, scale: u32) -> Result<(), DemoError> {
    let location = display_location(lake.root().as_str());
    let engine = lake.engine().await?;
    if any_row(&engine, ANY_TABLE).await.map_err(DemoError::Lake)? {
        return Err(DemoError::NotEmpty(location));
    }
    crate::build(lake, scale)
        .await
        .map_err(|error| DemoError::PartlyWritten {
            location,
            error: Box::new(error),
        })
}

/// Whether `sql` returns a row.
async fn any_row(engine: &Engine, sql: &str) -> Result<bool, EngineError> {
    let mut batches = engine.execute(sql).await?;
    while let Some(batch) = batches.try_next().await? {
        if batch.num_rows() > 0 {
            return Ok(true);
        }
    }
    Ok(false)
}
