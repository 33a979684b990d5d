//! DoGet of the catalog-browsing commands.

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow_flight::sql::{CommandGetDbSchemas, CommandGetTables};
use tonic::Response;

use super::{FlightDataStream, SqlService};
use crate::error::Result;
use crate::metadata;
use crate::results;

impl SqlService {
    pub(super) async fn catalogs(&self) -> Result<Response<FlightDataStream>> {
        Ok(answer(metadata::catalogs(&self.engine).await?))
    }

    pub(super) async fn db_schemas(
        &self,
        query: CommandGetDbSchemas,
    ) -> Result<Response<FlightDataStream>> {
        Ok(answer(metadata::db_schemas(&self.engine, query).await?))
    }

    pub(super) async fn tables(
        &self,
        query: CommandGetTables,
    ) -> Result<Response<FlightDataStream>> {
        Ok(answer(metadata::tables(&self.engine, query).await?))
    }
}

/// One batch, sent with its own schema.
pub(super) fn answer(batch: RecordBatch) -> Response<FlightDataStream> {
    Response::new(Box::pin(results::in_memory(batch.schema(), vec![batch])))
}

/// No rows, with `schema`.
pub(super) fn nothing(schema: SchemaRef) -> Response<FlightDataStream> {
    Response::new(Box::pin(results::empty(schema)))
}
