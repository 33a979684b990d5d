//! Running statements on the engine, with bound parameters.

use std::sync::Arc;

use arrow::array::{Array, RecordBatch, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::dataframe::DataFrame;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::scalar::ScalarValue;
use futures::TryStreamExt;
use lakeshore_engine::Engine;

use crate::error::{Result, ServerError};
use crate::statements::Statement;

/// Plans a query, with `parameters` bound to its placeholders when given.
pub async fn plan(
    engine: &Engine,
    statement: &Statement,
    parameters: Option<Vec<ScalarValue>>,
) -> Result<DataFrame> {
    let frame = engine.plan_parsed(statement.parsed()).await?;
    let Some(values) = parameters else {
        return Ok(frame);
    };
    // Clients send parameters in their own types (Utf8 for a Utf8View column, Int64 for an
    // Int32 one): cast each to the type the planner expects.
    let expected = frame.logical_plan().get_parameter_types()?;
    let values = values
        .into_iter()
        .enumerate()
        .map(
            |(index, value)| match expected.get(&format!("${}", index + 1)) {
                Some(Some(data_type)) if &value.data_type() != data_type => {
                    value.cast_to(data_type).map_err(|error| {
                        ServerError::InvalidRequest(format!(
                            "parameter ${} cannot be read as {data_type}: {error}",
                            index + 1
                        ))
                    })
                }
                _ => Ok(value),
            },
        )
        .collect::<Result<Vec<_>>>()?;
    Ok(frame.with_param_values(values)?)
}

/// Runs a query and streams its result.
pub async fn run_query(
    engine: &Engine,
    statement: &Statement,
    parameters: Option<Vec<ScalarValue>>,
) -> Result<SendableRecordBatchStream> {
    let frame = plan(engine, statement, parameters).await?;
    Ok(engine.execute_plan(frame).await?)
}

/// Runs a statement to its end, once per parameter row (once when there are none), and
/// returns its result batches.
pub async fn run_to_end(
    engine: &Engine,
    statement: &Statement,
    parameter_rows: Vec<Vec<ScalarValue>>,
) -> Result<Vec<RecordBatch>> {
    if parameter_rows.is_empty() {
        let stream = run_query(engine, statement, None).await?;
        return Ok(stream.try_collect().await?);
    }
    let mut batches = Vec::new();
    for row in parameter_rows {
        let stream = run_query(engine, statement, Some(row)).await?;
        batches.extend(stream.try_collect::<Vec<_>>().await?);
    }
    Ok(batches)
}

/// The rows a statement changed, from the `count` column DML returns; 0 for statements that
/// return no count (DDL).
pub fn affected_rows(batches: &[RecordBatch]) -> i64 {
    batches
        .iter()
        .filter_map(|batch| batch.column_by_name("count"))
        .filter_map(|column| column.as_any().downcast_ref::<UInt64Array>())
        .flat_map(|counts| counts.iter().flatten())
        .map(|count| i64::try_from(count).unwrap_or(i64::MAX))
        .sum()
}

/// The result of a finished command, as it is sent: DML's count row, or nothing.
pub fn command_result(affected: Option<u64>) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    match affected {
        Some(count) => {
            let schema = Arc::new(Schema::new(vec![Field::new(
                "count",
                DataType::UInt64,
                false,
            )]));
            let batch = RecordBatch::try_new(
                schema.clone(),
                vec![Arc::new(UInt64Array::from(vec![count])) as Arc<dyn Array>],
            )?;
            Ok((schema, vec![batch]))
        }
        None => Ok((Arc::new(Schema::empty()), Vec::new())),
    }
}

/// The count of a command's result, when it has one.
pub fn count_of(batches: &[RecordBatch]) -> Option<u64> {
    let has_count = batches
        .iter()
        .any(|batch| batch.column_by_name("count").is_some());
    has_count.then(|| affected_rows(batches).max(0) as u64)
}

/// The placeholders of a planned statement, as a schema: `$1, $2, ...` in order, each with the
/// type the planner inferred (Null when it could not).
pub fn parameter_schema(frame: &DataFrame) -> Result<SchemaRef> {
    let fields = frame
        .logical_plan()
        .get_parameter_fields()
        .map_err(ServerError::from)?;
    let mut numbered: Vec<(usize, Field)> = fields
        .into_iter()
        .map(|(name, field)| {
            let position = name
                .trim_start_matches('$')
                .parse::<usize>()
                .unwrap_or(usize::MAX);
            let data_type = field.map_or(DataType::Null, |field| field.data_type().clone());
            (position, Field::new(name, data_type, true))
        })
        .collect();
    numbered.sort_by_key(|(position, _)| *position);
    Ok(Arc::new(Schema::new(
        numbered
            .into_iter()
            .map(|(_, field)| field)
            .collect::<Vec<_>>(),
    )))
}
