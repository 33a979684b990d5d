//! Gold: the serving layer, built by running the SQL of `sql/electroniz/` through the engine,
//! in file order: the silver views first, then the gold tables that read them.

use futures::TryStreamExt;
use lakeshore_engine::{Engine, EngineError, split_statements};

use crate::error::DemoError;
use crate::location::Lake;

/// The scripts of `sql/electroniz/`, by file name, in the order they run. They are built into
/// the program so the demo needs no checkout.
pub const GOLD_SCRIPTS: &[(&str, &str)] = &[
    (
        "01_silver_views.sql",
        include_str!("../../sql/electroniz/01_silver_views.sql"),
    ),
    (
        "02_aggregated_sales.sql",
        include_str!("../../sql/electroniz/02_aggregated_sales.sql"),
    ),
    (
        "03_website_hits.sql",
        include_str!("../../sql/electroniz/03_website_hits.sql"),
    ),
    (
        "04_products_by_quarter.sql",
        include_str!("../../sql/electroniz/04_products_by_quarter.sql"),
    ),
];

pub(crate) async fn build(lake: &Lake<'_>) -> Result<(), DemoError> {
    let engine = lake.engine().await?;
    for (file, script) in GOLD_SCRIPTS {
        let statements = split_statements(script).map_err(|source| DemoError::Sql {
            file: file.to_string(),
            statement: String::new(),
            source,
        })?;
        for statement in statements {
            run(&engine, &statement)
                .await
                .map_err(|source| DemoError::Sql {
                    file: file.to_string(),
                    statement,
                    source,
                })?;
        }
    }
    Ok(())
}

/// Runs one statement to completion (a write commits only once its stream is drained).
async fn run(engine: &Engine, statement: &str) -> Result<(), EngineError> {
    let mut results = engine.execute(statement).await?;
    while results.try_next().await?.is_some() {}
    Ok(())
}
