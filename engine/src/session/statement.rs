//! Getting a statement ready to plan. DataFusion plans synchronously, but what a statement reads
//! by path, at an old version, or from a table's history and change feed must first be read
//! from storage. Statements and the stored views they read go through the same step, so a view
//! may use everything a statement may; what they read is the running statement's alone.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::TableProvider;
use datafusion::common::TableReference;
use datafusion::execution::SessionState;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement;

use crate::catalog::LakeCatalog;
use crate::delta::{DeltaReads, DeltaScanFunction, StatementReferences, TableLookup};
use crate::error::{EngineError, Result};
use crate::sql::take_partition_columns;

/// A statement parsed, with what it reads loaded.
pub(crate) struct PreparedStatement {
    pub statement: Statement,
    /// `PARTITIONED BY` of a `CREATE TABLE ... AS`, which DataFusion's parser does not keep.
    pub partition_columns: Vec<String>,
}

/// The loaders of what planning cannot read itself.
#[derive(Debug)]
pub(crate) struct Preparation {
    delta_scan: Arc<DeltaScanFunction>,
    delta_reads: DeltaReads,
}

impl Preparation {
    pub(crate) fn new(delta_scan: Arc<DeltaScanFunction>) -> Self {
        Self {
            delta_reads: DeltaReads::new(delta_scan.clone()),
            delta_scan,
        }
    }

    /// Loads what the parsed `statement` reads, for the running statement (see
    /// `within_statement`). With a `catalog`, the lake's objects are brought up to date first;
    /// views pass none, as their statement already did.
    pub(crate) async fn prepare(
        &self,
        ctx: &SessionContext,
        state: &SessionState,
        catalog: Option<&LakeCatalog>,
        mut statement: Statement,
    ) -> Result<PreparedStatement> {
        crate::functions::quote_date_part_keywords(&mut statement);
        let partition_columns = take_partition_columns(&mut statement);
        let references = StatementReferences::of(&statement);
        if let Some(catalog) = catalog {
            // Views, external tables and lake tables other processes made or dropped since.
            if references.lists_tables {
                catalog.objects().refresh_if_stale().await?;
                catalog.refresh().await?;
            } else {
                catalog.refresh_objects_named_by(state, &statement).await?;
            }
            catalog.refresh_tables_of(state, &statement).await;
        }
        self.delta_scan.load(&references.delta_scans).await?;
        let tables = SessionTables { ctx, catalog };
        self.delta_reads.load(&tables, &references).await?;
        Ok(PreparedStatement {
            statement,
            partition_columns,
        })
    }
}

/// The tables a session's names resolve to, listing the lake again for one created since.
struct SessionTables<'a> {
    ctx: &'a SessionContext,
    catalog: Option<&'a LakeCatalog>,
}

#[async_trait]
impl TableLookup for SessionTables<'_> {
    fn full_name(&self, name: &TableReference) -> TableReference {
        // Read in place: a copy of the session state costs more than the lookup.
        let state = self.ctx.state_ref();
        let state = state.read();
        let names = &state.config().options().catalog;
        let full = name
            .clone()
            .resolve(&names.default_catalog, &names.default_schema);
        TableReference::full(full.catalog, full.schema, full.table)
    }

    async fn table(&self, name: &TableReference) -> Result<Arc<dyn TableProvider>> {
        let mut found = self.ctx.table_provider(name.clone()).await;
        // A table created since the lake was last listed: list it again, once.
        if let (Err(_), Some(catalog)) = (&found, self.catalog) {
            catalog.refresh().await?;
            found = self.ctx.table_provider(name.clone()).await;
        }
        found.map_err(|_| {
            EngineError::NotFound(format!("table '{}' not found", self.full_name(name)))
        })
    }
}
