//! Values as text: the cells of a printed table, and small results (catalog listings, table
//! details) that the shell's commands read.

use anyhow::Result;
use arrow::array::RecordBatch;
use arrow::util::display::FormatOptions;
use datafusion::execution::SendableRecordBatchStream;
use futures::TryStreamExt;
use lakeshore_engine::EngineError;
use lakeshore_engine::text::rows_as_text;

/// The rows of `batches`, each value as arrow's pretty printer shows it (null as an empty
/// string).
pub fn text_rows(batches: &[RecordBatch]) -> Result<Vec<Vec<String>>> {
    let options = FormatOptions::default().with_display_error(true);
    Ok(rows_as_text(batches, &options)?)
}

/// Every row of `stream` as text. Only for results known to be small.
pub async fn collect_text_rows(stream: SendableRecordBatchStream) -> Result<Vec<Vec<String>>> {
    let batches: Vec<RecordBatch> = stream.try_collect().await.map_err(EngineError::from)?;
    text_rows(&batches)
}
