//! Result values as text, as arrow's pretty printer shows them: the shell's tables and the
//! benchmarks' answer checks read results this way.

use arrow::array::RecordBatch;
use arrow::error::ArrowError;
use arrow::util::display::{ArrayFormatter, FormatOptions};

/// The rows of `batches`, one string per value, formatted with `options`.
pub fn rows_as_text(
    batches: &[RecordBatch],
    options: &FormatOptions,
) -> Result<Vec<Vec<String>>, ArrowError> {
    let mut rows = Vec::new();
    for batch in batches {
        let columns = batch
            .columns()
            .iter()
            .map(|column| ArrayFormatter::try_new(column.as_ref(), options))
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
