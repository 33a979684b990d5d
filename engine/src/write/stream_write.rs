//! Streaming rows into a Delta table with delta-rs' write operation.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::array::RecordBatch;
use arrow::datatypes::{Schema, SchemaRef};
use datafusion::catalog::streaming::StreamingTable;
use datafusion::datasource::provider_as_source;
use datafusion::error::DataFusionError;
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use deltalake::DeltaTable;
use deltalake::delta_datafusion::planner::DeltaPlanner;
use deltalake::operations::write::SchemaMode;
use deltalake::protocol::SaveMode;
use futures::{StreamExt, TryStreamExt};
use parking_lot::Mutex;

use super::{Destination, IngestMode};
use crate::error::Result;

/// What a write that defines the table (`CREATE TABLE`, a replacing ingest) sets besides its rows.
#[derive(Debug, Clone, Default)]
pub(crate) struct TableDefinition {
    pub partition_columns: Vec<String>,
}

/// Writes `input` to the table at `destination` as `mode` says, in one commit, and returns the
/// number of rows written. With `definition`, the write also sets the table's partitioning (and,
/// replacing a table, its schema); without it an existing table keeps its own.
pub(crate) async fn write_stream(
    session: &SessionState,
    destination: &Destination,
    mode: IngestMode,
    definition: Option<&TableDefinition>,
    input: SendableRecordBatchStream,
) -> Result<u64> {
    let table = destination.open().await?;
    let exists = table.version().is_some();
    let log_store = table.log_store();
    if !exists && destination.holds_files(&log_store).await? {
        return Err(destination.fails(
            "its folder holds files but no Delta table; new tables are only written into empty \
             or missing folders",
        ));
    }
    let written = match (mode, exists) {
        (IngestMode::Create, true) => Err(destination.fails("the table already exists")),
        (IngestMode::Append, false) => {
            Err(destination.fails("there is no Delta table to append to"))
        }
        _ => write(session, destination, table, mode, definition, input).await,
    };
    if written.is_err() && !exists {
        destination.remove_unfinished(&log_store).await;
    }
    written
}

async fn write(
    session: &SessionState,
    destination: &Destination,
    table: DeltaTable,
    mode: IngestMode,
    definition: Option<&TableDefinition>,
    input: SendableRecordBatchStream,
) -> Result<u64> {
    let exists = table.version().is_some();
    let rows = Arc::new(AtomicU64::new(0));
    let source = one_shot_scan(counted(without_metadata(input), rows.clone()))?;
    let save_mode = match mode {
        IngestMode::Create => SaveMode::ErrorIfExists,
        IngestMode::Append | IngestMode::CreateAppend => SaveMode::Append,
        IngestMode::Replace => SaveMode::Overwrite,
    };
    // Our session (memory pool, settings), with delta-rs' planner for the nodes of its write.
    let session = SessionStateBuilder::new_from_existing(session.clone())
        .with_query_planner(DeltaPlanner::new())
        .build();
    let mut write = table
        .write(Vec::new())
        .with_input_plan(source)
        .with_session_state(Arc::new(session))
        .with_save_mode(save_mode);
    if let Some(definition) = definition {
        write = write.with_partition_columns(definition.partition_columns.clone());
        if mode == IngestMode::Replace && exists {
            write = write.with_schema_mode(SchemaMode::Overwrite);
        }
    }
    match write.await {
        Ok(_) => Ok(rows.load(Ordering::Relaxed)),
        Err(error) => Err(destination.fails(format!(
            "the write failed and nothing was committed: {}",
            crate::delta::describe_delta_error(&error)
        ))),
    }
}

/// `input` without Arrow metadata, of the schema or of its fields (pandas puts its index and
/// types there): a Delta table keeps none, and delta-rs refuses rows whose schema differs from
/// the table's by metadata alone, naming fields that look the same.
fn without_metadata(input: SendableRecordBatchStream) -> SendableRecordBatchStream {
    let schema = input.schema();
    if schema.metadata().is_empty() && schema.fields().iter().all(|f| f.metadata().is_empty()) {
        return input;
    }
    let plain: SchemaRef = Arc::new(Schema::new(
        schema
            .fields()
            .iter()
            .map(|field| field.as_ref().clone().with_metadata(HashMap::new()))
            .collect::<Vec<_>>(),
    ));
    let target = plain.clone();
    let batches = input.map(move |batch| {
        Ok(RecordBatch::try_new(
            target.clone(),
            batch?.columns().to_vec(),
        )?)
    });
    Box::pin(RecordBatchStreamAdapter::new(plain, batches))
}

/// `input`, counting the rows that pass.
fn counted(input: SendableRecordBatchStream, rows: Arc<AtomicU64>) -> SendableRecordBatchStream {
    let schema = input.schema();
    let counting = input.inspect_ok(move |batch| {
        rows.fetch_add(batch.num_rows() as u64, Ordering::Relaxed);
    });
    Box::pin(RecordBatchStreamAdapter::new(schema, counting))
}

/// A plan that reads `input` once: delta-rs writes the rows of a logical plan.
fn one_shot_scan(input: SendableRecordBatchStream) -> Result<LogicalPlan> {
    let schema = input.schema();
    let partition = Arc::new(OneShotStream {
        schema: schema.clone(),
        stream: Mutex::new(Some(input)),
    });
    let table = StreamingTable::try_new(schema, vec![partition])?;
    Ok(
        LogicalPlanBuilder::scan("rows_to_write", provider_as_source(Arc::new(table)), None)?
            .build()?,
    )
}

/// A stream that can be taken once.
struct OneShotStream {
    schema: SchemaRef,
    stream: Mutex<Option<SendableRecordBatchStream>>,
}

impl fmt::Debug for OneShotStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OneShotStream").finish_non_exhaustive()
    }
}

impl PartitionStream for OneShotStream {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _context: Arc<TaskContext>) -> SendableRecordBatchStream {
        match self.stream.lock().take() {
            Some(stream) => stream,
            None => {
                let error = DataFusionError::Internal("the rows to write were read twice".into());
                Box::pin(RecordBatchStreamAdapter::new(
                    self.schema.clone(),
                    futures::stream::once(async move { Err(error) }),
                ))
            }
        }
    }
}
