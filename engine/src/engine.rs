//! The engine: one DataFusion session with the lake registered as a catalog.

use std::sync::Arc;

use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::Statement;
use futures::TryStreamExt;

use crate::catalog::{DEFAULT_SCHEMA, LakeCatalog};
use crate::config::EngineConfig;
use crate::delta::{DeltaScanFunction, StatementReferences, tables_read_by};
use crate::error::{EngineError, Result};

/// A lake opened for SQL. Cheap to share behind an `Arc`; every method takes `&self`.
pub struct Engine {
    ctx: SessionContext,
    catalog: Option<Arc<LakeCatalog>>,
    delta_scan: Arc<DeltaScanFunction>,
}

impl Engine {
    /// Opens the lake named in `config` (or an empty catalog when it names none) and lists its
    /// tables. Tables themselves are read lazily, on the first query that needs them.
    pub async fn open(config: EngineConfig) -> Result<Self> {
        if config.target_partitions == 0 || config.batch_size == 0 {
            return Err(EngineError::Config(
                "target partitions and batch size must be at least 1".to_string(),
            ));
        }
        let mut runtime = RuntimeEnvBuilder::new();
        if let Some(limit) = config.memory_limit {
            runtime = runtime.with_memory_pool(Arc::new(FairSpillPool::new(limit)));
        }
        if let Some(dir) = &config.spill_dir {
            runtime = runtime.with_disk_manager_builder(
                DiskManagerBuilder::default()
                    .with_mode(DiskManagerMode::Directories(vec![dir.clone()])),
            );
        }
        let runtime = runtime.build_arc()?;

        let mut session = SessionConfig::new()
            .with_information_schema(true)
            .with_target_partitions(config.target_partitions)
            .with_batch_size(config.batch_size);
        if config.lake.is_some() {
            session = session.with_default_catalog_and_schema(&config.catalog_name, DEFAULT_SCHEMA);
        }
        if let Some(limit) = config.memory_limit {
            // Each sorting partition sets aside this much to merge its spills; DataFusion's 10 MB
            // default would leave a small limit no room to spill at all.
            let execution = &mut session.options_mut().execution;
            execution.sort_spill_reservation_bytes = execution
                .sort_spill_reservation_bytes
                .min(limit / (4 * config.target_partitions));
        }
        let ctx = SessionContext::new_with_config_rt(session, runtime);

        let catalog = match &config.lake {
            Some(lake) => {
                let catalog = Arc::new(
                    LakeCatalog::open(&config.catalog_name, lake, config.storage_options.clone())
                        .await?,
                );
                ctx.register_catalog(&config.catalog_name, catalog.clone());
                Some(catalog)
            }
            None => None,
        };
        let delta_scan = Arc::new(DeltaScanFunction::new(config.storage_options.clone()));
        ctx.register_udtf("delta_scan", delta_scan.clone());
        Ok(Self {
            ctx,
            catalog,
            delta_scan,
        })
    }

    /// The DataFusion session, for embedders that register their own tables or functions.
    pub fn session(&self) -> &SessionContext {
        &self.ctx
    }

    /// Runs one SQL statement and streams its result. Statements that change the catalog (DDL)
    /// take effect before this returns and stream no rows.
    pub async fn execute(&self, sql: &str) -> Result<SendableRecordBatchStream> {
        let frame = self.plan(sql).await?;
        let tables = tables_read_by(frame.logical_plan());
        let stream = frame.execute_stream().await?;
        if tables.is_empty() {
            return Ok(stream);
        }
        // Errors reading data files carry a file path at best: name the tables too.
        let schema = stream.schema();
        let named = stream.map_err(move |error| match error.find_root() {
            DataFusionError::ParquetError(_)
            | DataFusionError::ObjectStore(_)
            | DataFusionError::IoError(_) => {
                error.context(format!("reading table {}", tables.join(", table ")))
            }
            _ => error,
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, named)))
    }

    /// Plans one SQL statement: the tables it reads are brought up to date first.
    pub async fn plan(&self, sql: &str) -> Result<DataFrame> {
        let state = self.ctx.state();
        let dialect = state.config().options().sql_parser.dialect;
        let statement = state.sql_to_statement(sql, &dialect)?;
        let references = StatementReferences::of(&statement);
        self.delta_scan.load(&references.delta_scans).await?;
        if let Some(catalog) = &self.catalog
            && references.lists_tables
        {
            catalog.refresh().await?;
        }
        match self.plan_statement(statement.clone()).await {
            // A table or layer created since we last listed the lake: list again, once.
            Err(error) if self.catalog.is_some() && names_missing_relation(&error) => {
                if let Some(catalog) = &self.catalog {
                    catalog.refresh().await?;
                }
                Ok(self.plan_statement(statement).await?)
            }
            other => Ok(other?),
        }
    }

    async fn plan_statement(&self, statement: Statement) -> Result<DataFrame, DataFusionError> {
        let state = self.ctx.state();
        let plan = state.statement_to_plan(statement).await?;
        self.ctx.execute_logical_plan(plan).await
    }
}

/// Whether planning failed because a schema or table is unknown (and a fresh listing may help).
fn names_missing_relation(error: &DataFusionError) -> bool {
    let message = error.find_root().to_string();
    message.contains("not found") || message.contains("failed to resolve schema")
}
