//! The table a planned write (`CREATE TABLE ... AS`, `INSERT INTO`) goes to, as DataFusion sees
//! it: a provider whose `insert_into` ends the query in a sink that writes the Delta table. The
//! write happens when the statement's result is read, like DataFusion's own DML.

use std::fmt;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::sink::{DataSink, DataSinkExec};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::session_state::SessionState;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::dml::InsertOp;
use datafusion::logical_expr::{Expr, TableType};
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan};

use super::{Destination, IngestMode, TableDefinition, write_stream};

/// A Delta table being written by a statement.
#[derive(Debug)]
pub(crate) struct WriteTarget {
    destination: Destination,
    mode: IngestMode,
    definition: Option<TableDefinition>,
    schema: SchemaRef,
}

impl WriteTarget {
    /// A write of rows shaped as `schema` to `destination`.
    pub(crate) fn new(
        destination: Destination,
        mode: IngestMode,
        definition: Option<TableDefinition>,
        schema: SchemaRef,
    ) -> Self {
        Self {
            destination,
            mode,
            definition,
            schema,
        }
    }
}

#[async_trait]
impl TableProvider for WriteTarget {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        _projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Err(DataFusionError::Internal(
            "a table being written is not read in the same statement".to_string(),
        ))
    }

    async fn insert_into(
        &self,
        state: &dyn Session,
        input: Arc<dyn ExecutionPlan>,
        _insert_op: InsertOp,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let Some(session) = state.as_any().downcast_ref::<SessionState>() else {
            return Err(DataFusionError::Internal(
                "writes run in a DataFusion session".to_string(),
            ));
        };
        let sink = DeltaSink {
            destination: self.destination.clone(),
            mode: self.mode,
            definition: self.definition.clone(),
            schema: input.schema(),
            session: session.clone(),
        };
        Ok(Arc::new(DataSinkExec::new(input, Arc::new(sink), None)))
    }
}

/// Writes the rows of a query to a Delta table, committing once they are all written.
struct DeltaSink {
    destination: Destination,
    mode: IngestMode,
    definition: Option<TableDefinition>,
    schema: SchemaRef,
    session: SessionState,
}

impl fmt::Debug for DeltaSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeltaSink")
            .field("destination", &self.destination)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl DisplayAs for DeltaSink {
    fn fmt_as(&self, _format: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeltaSink: {:?} {:?}", self.mode, self.destination)
    }
}

#[async_trait]
impl DataSink for DeltaSink {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    async fn write_all(
        &self,
        data: SendableRecordBatchStream,
        _context: &Arc<TaskContext>,
    ) -> Result<u64> {
        Ok(write_stream(
            &self.session,
            &self.destination,
            self.mode,
            self.definition.as_ref(),
            data,
        )
        .await?)
    }
}
