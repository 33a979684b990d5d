//! `EXPLAIN ANALYZE` with what running the statement cost in object-store requests: on a
//! remote store each request costs 10-100 ms, so next to DataFusion's metrics (rows, time,
//! bytes scanned) the request count tells why a query over S3 or ADLS is slow.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray};
use arrow::datatypes::SchemaRef;
use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::memory::MemoryStream;

use crate::error::Result;
use crate::store::RequestWatch;

/// The `plan_type` of the added row.
const REQUESTS_ROW: &str = "Object store requests";

/// Runs an `EXPLAIN ANALYZE` plan and adds a row with the requests made while it ran (reading
/// data files; the look at each table's log happens when the statement is planned, before).
pub(crate) async fn explain_analyze(
    frame: DataFrame,
    requests: RequestWatch,
) -> Result<SendableRecordBatchStream> {
    let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
    let mut batches = frame.collect().await?;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec![REQUESTS_ROW])),
        Arc::new(StringArray::from(vec![requests.elapsed().to_string()])),
    ];
    batches.push(RecordBatch::try_new(schema.clone(), columns).map_err(DataFusionError::from)?);
    Ok(Box::pin(MemoryStream::try_new(batches, schema, None)?))
}
