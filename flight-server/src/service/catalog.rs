//! DoGet of the catalog-browsing commands.

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow_flight::sql::{CommandGetDbSchemas, CommandGetTables};
use tonic::{Request, Response};

use super::{FlightDataStream, SqlService};
use crate::error::Result;
use crate::metadata;
use crate::results;

/// Each listing is made as the request's user sees the lake: their session's engine, whose
/// policy leaves out the layers they may not read.
impl SqlService {
    pub(super) async fn catalogs<T>(
        &self,
        request: &Request<T>,
    ) -> Result<Response<FlightDataStream>> {
        let engine = self.sessions.view(request).engine;
        Ok(answer(metadata::catalogs(&engine).await?))
    }

    pub(super) async fn db_schemas<T>(
        &self,
        query: CommandGetDbSchemas,
        request: &Request<T>,
    ) -> Result<Response<FlightDataStream>> {
        let engine = self.sessions.view(request).engine;
        Ok(answer(metadata::db_schemas(&engine, query).await?))
    }

    pub(super) async fn tables<T>(
        &self,
        query: CommandGetTables,
        request: &Request<T>,
    ) -> Result<Response<FlightDataStream>> {
        let engine = self.sessions.view(request).engine;
        Ok(answer(metadata::tables(&engine, query).await?))
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
