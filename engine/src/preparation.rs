//! Getting a statement ready to plan. DataFusion plans synchronously, but what a statement reads
//! by path, at an old version, or from a table's history and change feed must first be read
//! from storage. Statements and the stored views they read go through the same step, so a view
//! may use everything a statement may.

use std::sync::Arc;

use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement;

use crate::catalog::LakeCatalog;
use crate::changes::take_partition_columns;
use crate::delta::{DeltaReads, DeltaScanFunction, StatementReferences, parse_statement};
use crate::error::Result;

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
    delta_reads: Arc<DeltaReads>,
}

impl Preparation {
    pub(crate) fn new(delta_scan: Arc<DeltaScanFunction>, delta_reads: Arc<DeltaReads>) -> Self {
        Self {
            delta_scan,
            delta_reads,
        }
    }

    /// Parses `sql` (one statement) and loads what it reads. With a `catalog`, the lake's
    /// objects are brought up to date first; views pass none, as their statement already did.
    pub(crate) async fn prepare(
        &self,
        ctx: &SessionContext,
        catalog: Option<&LakeCatalog>,
        sql: &str,
    ) -> Result<PreparedStatement> {
        let mut statement = parse_statement(&ctx.state(), sql)?;
        crate::functions::quote_date_part_keywords(&mut statement);
        let partition_columns = take_partition_columns(&mut statement);
        let references = StatementReferences::of(&statement);
        if let Some(catalog) = catalog {
            // Views and external tables other processes defined or dropped since.
            if references.lists_tables || !catalog.names_only_lake_tables(&ctx.state(), &statement)
            {
                catalog.objects().refresh_if_stale().await?;
            }
            if references.lists_tables {
                catalog.refresh().await?;
            }
            catalog.refresh_tables_of(&ctx.state(), &statement).await;
        }
        self.delta_scan.load(&references.delta_scans).await?;
        self.delta_reads.load(ctx, catalog, &references).await?;
        Ok(PreparedStatement {
            statement,
            partition_columns,
        })
    }
}
