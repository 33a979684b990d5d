//! Values as text: the cells of a printed table, and small results (catalog listings, table
//! details) that the shell's commands read.

use anyhow::Result;
use arrow::array::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::execution::SendableRecordBatchStream;
use futures::TryStreamExt;
use lakeshore_engine::EngineError;

/// The rows of `batches`, each value as arrow's pretty printer shows it (null as an empty
/// string).
pub fn text_rows(batches: &[RecordBatch]) -> Result<Vec<Vec<String>>> {
    let options = FormatOptions::default().with_display_error(true);
    let mut rows = Vec::new();
    for batch in batches {
        let columns = batch
            .columns()
            .iter()
            .map(|column| ArrayFormatter::try_new(column.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()?;
        for row in 0..batch.num_rows() {
            rows.push(
                columns
                    .iter()
                    .map(|column| column.value(row).to_string())
                    .collect(),
            );
        }
    }
    Ok(rows)
}

/// Every row of `stream` as text. Only for results known to be small.
pub async fn collect_text_rows(stream: SendableRecordBatchStream) -> Result<Vec<Vec<String>>> {
    let batches: Vec<RecordBatch> = stream.try_collect().await.map_err(EngineError::from)?;
    text_rows(&batches)
}
