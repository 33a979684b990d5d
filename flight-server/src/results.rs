//! Results as clients can read them: the same schema in FlightInfo and DoGet, with string and
//! binary view types (and their large variants) sent as plain Utf8 / Binary, which older JDBC
//! drivers need, dictionaries sent as their values, and each column described for drivers
//! (see [`crate::column_metadata`]).

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::{DataType, FieldRef, Fields, Schema, SchemaRef};
use arrow_flight::FlightData;
use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use datafusion::dataframe::DataFrame;
use futures::{Stream, TryStreamExt};
use lakeshore_engine::Engine;
use tonic::Status;

use crate::column_metadata::{ColumnOrigins, described};
use crate::error::ServerError;

/// The schema a planned query's result is sent with, its columns described.
pub fn query_schema(frame: &DataFrame, engine: &Engine) -> SchemaRef {
    described(
        &flight_schema(frame.schema().as_arrow()),
        &ColumnOrigins::of_plan(frame.schema(), engine),
    )
}

/// The schema a result is sent with.
pub fn flight_schema(schema: &Schema) -> SchemaRef {
    let fields: Fields = schema.fields().iter().map(flight_field).collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

fn flight_field(field: &FieldRef) -> FieldRef {
    let data_type = flight_type(field.data_type());
    if &data_type == field.data_type() {
        field.clone()
    } else {
        Arc::new(field.as_ref().clone().with_data_type(data_type))
    }
}

fn flight_type(data_type: &DataType) -> DataType {
    match data_type {
        DataType::Utf8View | DataType::LargeUtf8 => DataType::Utf8,
        DataType::BinaryView | DataType::LargeBinary => DataType::Binary,
        DataType::Dictionary(_, values) => flight_type(values),
        DataType::List(item) | DataType::ListView(item) => DataType::List(flight_field(item)),
        DataType::LargeList(item) | DataType::LargeListView(item) => {
            DataType::LargeList(flight_field(item))
        }
        DataType::FixedSizeList(item, size) => DataType::FixedSizeList(flight_field(item), *size),
        DataType::Struct(fields) => DataType::Struct(fields.iter().map(flight_field).collect()),
        DataType::Map(entries, sorted) => DataType::Map(flight_field(entries), *sorted),
        other => other.clone(),
    }
}

/// `batch` cast to `schema` (from [`flight_schema`] of its own schema), and labelled with it.
pub fn to_flight_batch(
    batch: &RecordBatch,
    schema: &SchemaRef,
) -> Result<RecordBatch, ServerError> {
    let same_types = batch
        .schema()
        .fields()
        .iter()
        .zip(schema.fields())
        .all(|(sent, wanted)| sent.data_type() == wanted.data_type());
    if same_types && batch.num_columns() == schema.fields().len() {
        return Ok(batch.clone().with_schema(schema.clone())?);
    }
    let options = CastOptions {
        safe: false,
        ..CastOptions::default()
    };
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(column, field)| cast_with_options(column, field.data_type(), &options))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// Batches as Flight data: the schema first (also for an empty result), then each batch as it
/// comes, split to fit in a gRPC message.
pub fn encode<S>(
    schema: SchemaRef,
    batches: S,
) -> impl Stream<Item = Result<FlightData, Status>> + Send + 'static
where
    S: Stream<Item = Result<RecordBatch, ServerError>> + Send + 'static,
{
    let converted_schema = schema.clone();
    let batches = batches
        .and_then(move |batch| {
            let converted = to_flight_batch(&batch, &converted_schema);
            async move { converted }
        })
        .map_err(|error| FlightError::Tonic(Box::new(Status::from(error))));
    FlightDataEncoderBuilder::new()
        .with_schema(schema)
        .build(batches)
        .map_err(|error| match error {
            FlightError::Tonic(status) => *status,
            other => Status::internal(format!("encoding results: {other}")),
        })
}

/// An empty result with `schema`, sent as its schema alone.
pub fn empty(schema: SchemaRef) -> impl Stream<Item = Result<FlightData, Status>> + Send + 'static {
    encode(
        schema,
        futures::stream::empty::<Result<RecordBatch, ServerError>>(),
    )
}

/// The whole of `batches`, already in memory (metadata answers, row counts).
pub fn in_memory(
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
) -> impl Stream<Item = Result<FlightData, Status>> + Send + 'static {
    encode(schema, futures::stream::iter(batches.into_iter().map(Ok)))
}
