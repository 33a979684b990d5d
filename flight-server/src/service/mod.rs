//! The Flight SQL service: each RPC of the [`FlightSqlService`] trait, answered by the modules
//! below (statements, catalog browsing, actions, ingest). Authentication happens before, in
//! [`crate::gateway`], which hands each request its [`crate::auth::User`].

mod actions;
mod catalog;
mod ingest;
mod put;
mod queries;

use std::pin::Pin;
use std::sync::Arc;

use arrow::datatypes::Schema;
use arrow_flight::sql::metadata::{SqlInfoData, XdbcTypeInfoData};
use arrow_flight::sql::server::FlightSqlService;
use arrow_flight::sql::*;
use arrow_flight::{
    Action, ActionType, FlightData, FlightDescriptor, FlightEndpoint, FlightInfo, HandshakeRequest,
    HandshakeResponse, Ticket,
};
use futures::Stream;
use lakeshore_engine::Engine;
use prost::Message;
use tonic::metadata::MetadataValue;
use tonic::{Request, Response, Status, Streaming};

use crate::auth::{Authenticator, user_of};
use crate::error::{Result, ServerError};
use crate::limits::QueryLimits;
use crate::metrics::{Activity, ServerMetrics};
use crate::pending::PendingQueries;
use crate::prepared::PreparedStatements;
use crate::sessions::Sessions;

type FlightDataStream = Pin<Box<dyn Stream<Item = Result<FlightData, Status>> + Send + 'static>>;
type ActionStream =
    Pin<Box<dyn Stream<Item = Result<arrow_flight::Result, Status>> + Send + 'static>>;

pub struct SqlService {
    engine: Arc<Engine>,
    auth: Arc<Authenticator>,
    limits: Arc<QueryLimits>,
    sessions: Sessions,
    pending: PendingQueries,
    prepared: PreparedStatements,
    sql_info: SqlInfoData,
    type_info: XdbcTypeInfoData,
    metrics: Arc<ServerMetrics>,
}

impl SqlService {
    /// `read_only` is only reported to clients (SqlInfo): the engine itself refuses writes.
    pub fn new(
        engine: Arc<Engine>,
        auth: Arc<Authenticator>,
        limits: Arc<QueryLimits>,
        read_only: bool,
    ) -> Result<Self> {
        Ok(Self {
            metrics: Arc::new(ServerMetrics::new(auth.refused_logins())),
            sessions: Sessions::new(engine.clone(), auth.clone()),
            engine,
            auth,
            limits,
            pending: PendingQueries::default(),
            prepared: PreparedStatements::default(),
            sql_info: crate::sql_info::sql_info(read_only)?,
            type_info: crate::type_info::xdbc_type_info()?,
        })
    }

    pub fn authenticator(&self) -> &Authenticator {
        &self.auth
    }

    pub fn limits(&self) -> &Arc<QueryLimits> {
        &self.limits
    }

    pub fn metrics(&self) -> &Arc<ServerMetrics> {
        &self.metrics
    }

    /// How busy the server is now, for the metrics' gauges.
    pub fn activity(&self) -> Activity {
        Activity {
            sessions: self.sessions.count(),
            running_queries: self.limits.admitted_count(),
            queued_queries: self.limits.queued_count(),
            memory_reserved_bytes: self.engine.memory_reserved(),
            data_cache_bytes: self.engine.data_cache_held(),
        }
    }
}

/// A FlightInfo for one result, fetched with `ticket` from this server (no location: clients
/// reuse their connection).
fn flight_info(
    schema: &Schema,
    ticket: Ticket,
    descriptor: FlightDescriptor,
) -> Result<Response<FlightInfo>> {
    let info = FlightInfo::new()
        .try_with_schema(schema)?
        .with_endpoint(FlightEndpoint::new().with_ticket(ticket))
        .with_descriptor(descriptor)
        .with_total_records(-1)
        .with_total_bytes(-1);
    Ok(Response::new(info))
}

/// A FlightInfo whose ticket is the metadata command itself (answered by the do_get_* below).
fn metadata_info(
    schema: &Schema,
    command: impl ProstMessageExt,
    request: Request<FlightDescriptor>,
) -> Result<Response<FlightInfo>, Status> {
    let ticket = Ticket::new(command.as_any().encode_to_vec());
    Ok(flight_info(schema, ticket, request.into_inner())?)
}

#[tonic::async_trait]
impl FlightSqlService for SqlService {
    type FlightService = SqlService;

    async fn do_handshake(
        &self,
        request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<
        Response<Pin<Box<dyn Stream<Item = Result<HandshakeResponse, Status>> + Send>>>,
        Status,
    > {
        let authorization = request
            .metadata()
            .get("authorization")
            .and_then(|value| value.to_str().ok());
        let (token, user) = self.auth.log_in(authorization).await?;
        tracing::debug!(user = %user.0, "logged in");
        let reply = HandshakeResponse {
            protocol_version: 0,
            payload: token.clone().into(),
        };
        let mut response: Response<Pin<Box<dyn Stream<Item = _> + Send>>> =
            Response::new(Box::pin(futures::stream::iter([Ok(reply)])));
        if !token.is_empty() {
            let header = MetadataValue::try_from(format!("Bearer {token}"))
                .map_err(|_| ServerError::Internal("a token that is no header".to_string()))?;
            response.metadata_mut().insert("authorization", header);
        }
        Ok(response)
    }

    async fn get_flight_info_statement(
        &self,
        query: CommandStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        Ok(self.statement_info(query, request).await?)
    }

    async fn get_flight_info_prepared_statement(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        Ok(self.prepared_statement_info(query, request).await?)
    }

    async fn do_get_statement(
        &self,
        ticket: TicketStatementQuery,
        request: Request<Ticket>,
    ) -> Result<Response<FlightDataStream>, Status> {
        Ok(self.run_ticket(ticket, request).await?)
    }

    // DoPut is dispatched by the gateway (see `put`), never by arrow-flight.

    async fn do_action_create_prepared_statement(
        &self,
        query: ActionCreatePreparedStatementRequest,
        request: Request<Action>,
    ) -> Result<ActionCreatePreparedStatementResult, Status> {
        Ok(self.create_prepared_statement(query, request).await?)
    }

    async fn do_action_close_prepared_statement(
        &self,
        query: ActionClosePreparedStatementRequest,
        request: Request<Action>,
    ) -> Result<(), Status> {
        let user = user_of(&request);
        Ok(self
            .prepared
            .close(&query.prepared_statement_handle, &user)?)
    }

    async fn do_action_cancel_query(
        &self,
        query: ActionCancelQueryRequest,
        _request: Request<Action>,
    ) -> Result<ActionCancelQueryResult, Status> {
        let info = FlightInfo::decode(query.info.as_ref())
            .map_err(|_| ServerError::InvalidRequest("malformed FlightInfo".to_string()))?;
        Ok(ActionCancelQueryResult {
            result: self.cancel(&info) as i32,
        })
    }

    async fn do_action_fallback(
        &self,
        request: Request<Action>,
    ) -> Result<Response<ActionStream>, Status> {
        Ok(self.custom_action(request)?)
    }

    async fn list_custom_actions(&self) -> Option<Vec<Result<ActionType, Status>>> {
        Some(actions::custom_action_types())
    }

    // Catalog browsing.

    async fn get_flight_info_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        metadata_info(&crate::metadata::catalogs_schema(), query, request)
    }

    async fn get_flight_info_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = crate::metadata::db_schemas_schema(query.clone());
        metadata_info(&schema, query, request)
    }

    async fn get_flight_info_tables(
        &self,
        query: CommandGetTables,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = crate::metadata::tables_schema(query.clone());
        metadata_info(&schema, query, request)
    }

    async fn get_flight_info_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        metadata_info(&crate::metadata::table_types_schema(), query, request)
    }

    async fn get_flight_info_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        metadata_info(&self.sql_info.schema(), query, request)
    }

    async fn get_flight_info_primary_keys(
        &self,
        query: CommandGetPrimaryKeys,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        metadata_info(&crate::metadata::primary_keys_schema(), query, request)
    }

    async fn get_flight_info_exported_keys(
        &self,
        query: CommandGetExportedKeys,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        metadata_info(&crate::metadata::foreign_keys_schema(), query, request)
    }

    async fn get_flight_info_imported_keys(
        &self,
        query: CommandGetImportedKeys,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        metadata_info(&crate::metadata::foreign_keys_schema(), query, request)
    }

    async fn get_flight_info_cross_reference(
        &self,
        query: CommandGetCrossReference,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        metadata_info(&crate::metadata::foreign_keys_schema(), query, request)
    }

    async fn get_flight_info_xdbc_type_info(
        &self,
        query: CommandGetXdbcTypeInfo,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        metadata_info(&self.type_info.schema(), query, request)
    }

    async fn do_get_catalogs(
        &self,
        _query: CommandGetCatalogs,
        request: Request<Ticket>,
    ) -> Result<Response<FlightDataStream>, Status> {
        Ok(self.catalogs(&request).await?)
    }

    async fn do_get_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<Ticket>,
    ) -> Result<Response<FlightDataStream>, Status> {
        Ok(self.db_schemas(query, &request).await?)
    }

    async fn do_get_tables(
        &self,
        query: CommandGetTables,
        request: Request<Ticket>,
    ) -> Result<Response<FlightDataStream>, Status> {
        Ok(self.tables(query, &request).await?)
    }

    async fn do_get_table_types(
        &self,
        _query: CommandGetTableTypes,
        _request: Request<Ticket>,
    ) -> Result<Response<FlightDataStream>, Status> {
        Ok(catalog::answer(crate::metadata::table_types()?))
    }

    async fn do_get_sql_info(
        &self,
        query: CommandGetSqlInfo,
        _request: Request<Ticket>,
    ) -> Result<Response<FlightDataStream>, Status> {
        let batch = query
            .into_builder(&self.sql_info)
            .build()
            .map_err(ServerError::from)?;
        Ok(catalog::answer(batch))
    }

    async fn do_get_primary_keys(
        &self,
        _query: CommandGetPrimaryKeys,
        _request: Request<Ticket>,
    ) -> Result<Response<FlightDataStream>, Status> {
        Ok(catalog::nothing(crate::metadata::primary_keys_schema()))
    }

    async fn do_get_exported_keys(
        &self,
        _query: CommandGetExportedKeys,
        _request: Request<Ticket>,
    ) -> Result<Response<FlightDataStream>, Status> {
        Ok(catalog::nothing(crate::metadata::foreign_keys_schema()))
    }

    async fn do_get_imported_keys(
        &self,
        _query: CommandGetImportedKeys,
        _request: Request<Ticket>,
    ) -> Result<Response<FlightDataStream>, Status> {
        Ok(catalog::nothing(crate::metadata::foreign_keys_schema()))
    }

    async fn do_get_cross_reference(
        &self,
        _query: CommandGetCrossReference,
        _request: Request<Ticket>,
    ) -> Result<Response<FlightDataStream>, Status> {
        Ok(catalog::nothing(crate::metadata::foreign_keys_schema()))
    }

    async fn do_get_xdbc_type_info(
        &self,
        query: CommandGetXdbcTypeInfo,
        _request: Request<Ticket>,
    ) -> Result<Response<FlightDataStream>, Status> {
        let batch = query
            .into_builder(&self.type_info)
            .build()
            .map_err(ServerError::from)?;
        Ok(catalog::answer(batch))
    }

    async fn register_sql_info(&self, _id: i32, _result: &SqlInfo) {}
}
