//! Bulk ingest (ADBC's `adbc_ingest`): rows sent with DoPut become, or are added to, a Delta
//! table in the lake, in one commit.

use arrow::datatypes::Schema;
use arrow_flight::decode::FlightRecordBatchStream;
use arrow_flight::error::FlightError;
use arrow_flight::sql::{
    CommandStatementIngest, TableDefinitionOptions, TableExistsOption, TableNotExistOption,
};
use datafusion::common::TableReference;
use datafusion::error::DataFusionError;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::TryStreamExt;
use lakeshore_engine::IngestMode;
use std::sync::Arc;
use tonic::Request;

use super::put::PutStream;
use super::{SqlService, user_of};
use crate::error::{Result, ServerError};
use crate::ids::random_id;
use crate::running::QueryLog;

impl SqlService {
    pub(super) async fn ingest(
        &self,
        command: CommandStatementIngest,
        request: Request<PutStream>,
    ) -> Result<i64> {
        let user = user_of(&request);
        let engine = self.sessions.view(&request).engine;
        if command.temporary {
            return Err(ServerError::Unsupported(
                "ingest into a temporary table".to_string(),
            ));
        }
        let mode = ingest_mode(command.table_definition_options)?;
        let table = match (&command.catalog, &command.schema) {
            (Some(catalog), Some(schema)) => {
                TableReference::full(catalog.as_str(), schema.as_str(), command.table.as_str())
            }
            (None, Some(schema)) => {
                TableReference::partial(schema.as_str(), command.table.as_str())
            }
            _ => TableReference::bare(command.table.as_str()),
        }
        .to_quoted_string();

        let mut stream = request.into_inner();
        let no_schema = || ServerError::InvalidRequest("ingest sent no schema".to_string());
        let first = match std::pin::Pin::new(&mut stream).peek().await {
            Some(Ok(first)) => first.clone(),
            _ => return Err(no_schema()),
        };
        let schema = Arc::new(Schema::try_from(&first).map_err(|error| {
            ServerError::InvalidRequest(format!("ingest sent no schema: {error}"))
        })?);
        let batches = FlightRecordBatchStream::new_from_flight_data(
            stream.map_err(|status| FlightError::Tonic(Box::new(status))),
        )
        .map_err(|error| DataFusionError::External(Box::new(error)));
        let input = Box::pin(RecordBatchStreamAdapter::new(schema, batches));

        let mut log = QueryLog::new(
            &self.metrics,
            &random_id(16),
            &user,
            &format!("ingest into {table} ({mode:?})"),
        );
        log.watch(engine.watch_requests());
        let outcome = match self.limits.admit().await {
            Ok(_admission) => engine
                .ingest(&table, input, mode)
                .await
                .map_err(ServerError::from),
            Err(busy) => Err(busy),
        };
        if let Ok(rows) = &outcome {
            log.add_rows(*rows);
        }
        log.end(outcome.as_ref().map(|_| ()));
        Ok(i64::try_from(outcome?).unwrap_or(i64::MAX))
    }
}

/// ADBC's ingest modes, as the two options of the command spell them.
fn ingest_mode(options: Option<TableDefinitionOptions>) -> Result<IngestMode> {
    let options = options.unwrap_or_default();
    let missing = TableNotExistOption::try_from(options.if_not_exist).unwrap_or_default();
    let existing = TableExistsOption::try_from(options.if_exists).unwrap_or_default();
    match (missing, existing) {
        (TableNotExistOption::Create, TableExistsOption::Fail | TableExistsOption::Unspecified) => {
            Ok(IngestMode::Create)
        }
        (
            TableNotExistOption::Fail | TableNotExistOption::Unspecified,
            TableExistsOption::Append,
        ) => Ok(IngestMode::Append),
        (TableNotExistOption::Create, TableExistsOption::Replace) => Ok(IngestMode::Replace),
        (TableNotExistOption::Create, TableExistsOption::Append) => Ok(IngestMode::CreateAppend),
        (missing, existing) => Err(ServerError::InvalidRequest(format!(
            "unsupported ingest options: if the table is missing {missing:?}, if it exists {existing:?}"
        ))),
    }
}
