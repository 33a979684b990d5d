//! Statements: ad-hoc and prepared queries (GetFlightInfo then DoGet), updates (DoPut), and
//! parameters bound to prepared statements (DoPut).
//!
//! A query is planned for its FlightInfo; its DoGet runs that plan while the server keeps it
//! (see [`crate::pending`]) and otherwise plans the query again from the ticket, which names
//! everything needed. Statements run on the engine view of the client's session (see
//! [`crate::sessions`]), so its `SET`s apply to them. A command (DDL, DML) runs when its
//! FlightInfo is asked for, since clients such as ADBC send every statement that way; its
//! ticket then carries the result.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::concat_batches;
use arrow::datatypes::Schema;
use arrow::ipc::writer::IpcWriteOptions;
use arrow_flight::decode::FlightRecordBatchStream;
use arrow_flight::error::FlightError;
use arrow_flight::sql::{
    ActionCreatePreparedStatementRequest, ActionCreatePreparedStatementResult,
    CommandPreparedStatementQuery, CommandPreparedStatementUpdate, CommandStatementQuery,
    CommandStatementUpdate, DoPutPreparedStatementResult, TicketStatementQuery,
};
use arrow_flight::{Action, FlightDescriptor, FlightInfo, IpcMessage, SchemaAsIpc, Ticket};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::scalar::ScalarValue;
use futures::TryStreamExt;
use lakeshore_engine::{Engine, RequestWatch};
use tonic::{Request, Response};

use super::put::PutStream;
use super::{FlightDataStream, SqlService, flight_info, user_of};
use crate::auth::User;
use crate::column_metadata::{ColumnOrigins, described};
use crate::error::{Result, ServerError};
use crate::execution;
use crate::ids::random_id;
use crate::limits::Admission;
use crate::pending::Claim;
use crate::prepared::PreparedStatement;
use crate::results::{self, flight_schema, query_schema};
use crate::running::{self, QueryLog};
use crate::statements::{Statement, parameter_rows};
use crate::tickets::QueryTicket;

impl SqlService {
    pub(super) async fn statement_info(
        &self,
        query: CommandStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>> {
        let user = user_of(&request);
        let view = self.sessions.view(&request);
        let statement = Statement::parse(&view.engine, &query.query)
            .inspect_err(|error| self.failed_before_running(&user, &query.query, error))?;
        let ticket = QueryTicket::new(random_id(16), statement.sql(), &view.scope);
        self.info_for(
            statement,
            &view.engine,
            ticket,
            Vec::new(),
            &user,
            request.into_inner(),
        )
        .await
    }

    pub(super) async fn prepared_statement_info(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>> {
        let user = user_of(&request);
        let handle = query.prepared_statement_handle.to_vec();
        let prepared = self.prepared.get(&handle, &user)?;
        let engine = self.sessions.engine_in(&request, &prepared.scope);
        let mut ticket = QueryTicket::new(random_id(16), prepared.statement.sql(), &prepared.scope);
        let rows = match &prepared.parameters {
            Some(parameters) => {
                ticket.prepared = Some(handle);
                parameter_rows(parameters)?
            }
            None => Vec::new(),
        };
        self.info_for(
            prepared.statement,
            &engine,
            ticket,
            rows,
            &user,
            request.into_inner(),
        )
        .await
    }

    /// The FlightInfo of a query (planned, not run: its plan is kept for its DoGet) or of a
    /// command (run now).
    async fn info_for(
        &self,
        statement: Statement,
        engine: &Engine,
        mut ticket: QueryTicket,
        parameter_rows: Vec<Vec<ScalarValue>>,
        user: &User,
        descriptor: FlightDescriptor,
    ) -> Result<Response<FlightInfo>> {
        let schema = if statement.is_query() {
            let first_row = parameter_rows.into_iter().next();
            let requests = engine.watch_requests();
            let frame = execution::plan(engine, &statement, first_row)
                .await
                .inspect_err(|error| self.failed_before_running(user, statement.sql(), error))?;
            let schema = query_schema(&frame, engine);
            self.pending.insert(&ticket.query_id, frame, requests);
            schema
        } else {
            let batches = self
                .run_command(&statement, engine, parameter_rows, user, &ticket.query_id)
                .await?;
            ticket.finished = true;
            ticket.affected = execution::count_of(&batches);
            execution::command_result(ticket.affected)?.0
        };
        flight_info(&schema, ticket.to_ticket(), descriptor)
    }

    /// GetSchema of a statement: planned, never run (a command's schema is empty).
    pub async fn statement_schema(
        &self,
        query: CommandStatementQuery,
        request: &Request<FlightDescriptor>,
    ) -> Result<bytes::Bytes> {
        let engine = self.sessions.view(request).engine;
        let statement = Statement::parse(&engine, &query.query)?;
        if !statement.is_query() {
            return ipc_schema(&Schema::empty());
        }
        let frame = execution::plan(&engine, &statement, None).await?;
        ipc_schema(&query_schema(&frame, &engine))
    }

    /// GetSchema of a prepared statement: its dataset schema.
    pub fn prepared_statement_schema(
        &self,
        query: CommandPreparedStatementQuery,
        request: &Request<FlightDescriptor>,
    ) -> Result<bytes::Bytes> {
        let prepared = self
            .prepared
            .get(&query.prepared_statement_handle, &user_of(request))?;
        ipc_schema(&prepared.dataset_schema)
    }

    /// DoGet: runs the query a ticket stands for and streams its result.
    pub(super) async fn run_ticket(
        &self,
        ticket: TicketStatementQuery,
        request: Request<Ticket>,
    ) -> Result<Response<FlightDataStream>> {
        let user = user_of(&request);
        let ticket = QueryTicket::from_handle(&ticket.statement_handle)?;
        if ticket.finished {
            let (schema, batches) = execution::command_result(ticket.affected)?;
            return Ok(Response::new(Box::pin(results::in_memory(schema, batches))));
        }
        let mut log = QueryLog::new(&self.metrics, &ticket.query_id, &user, &ticket.sql);
        let (admission, batches, origins) = match self.start_ticket(&ticket, &request).await {
            Ok((admission, batches, requests, origins)) => {
                log.watch(requests);
                (admission, batches, origins)
            }
            Err(error) => {
                log.end(Err(&error));
                return Err(error);
            }
        };
        let schema = described(&flight_schema(&batches.schema()), &origins);
        let watched = running::watch(batches, self.limits.clone(), admission, log);
        Ok(Response::new(Box::pin(results::encode(schema, watched))))
    }

    /// Starts the query of a ticket once it is admitted: the plan made for its FlightInfo if
    /// the server still keeps it, else a new one.
    async fn start_ticket(
        &self,
        ticket: &QueryTicket,
        request: &Request<Ticket>,
    ) -> Result<(
        Admission,
        SendableRecordBatchStream,
        RequestWatch,
        ColumnOrigins,
    )> {
        let admission = self.limits.admit().await?;
        // Claimed only now: a query waiting for its turn can still be cancelled.
        let (frame, requests, engine) = match self.pending.claim(&ticket.query_id) {
            Claim::Planned(frame, requests) => (
                *frame,
                requests,
                self.sessions.engine_in(request, &ticket.scope()),
            ),
            Claim::Cancelled => return Err(ServerError::Cancelled),
            Claim::Unknown => {
                let parameters = match &ticket.prepared {
                    Some(handle) => {
                        let prepared = self.prepared.get(handle, &user_of(request))?;
                        match &prepared.parameters {
                            Some(batch) => parameter_rows(batch)?.into_iter().next(),
                            None => None,
                        }
                    }
                    None => None,
                };
                // Only a query whose plan is gone is parsed again, from the ticket's text.
                let engine = self.sessions.engine_in(request, &ticket.scope());
                let statement = Statement::parse(&engine, &ticket.sql)?;
                let requests = engine.watch_requests();
                (
                    execution::plan(&engine, &statement, parameters).await?,
                    requests,
                    engine,
                )
            }
        };
        let origins = ColumnOrigins::of_plan(frame.schema(), &engine);
        Ok((
            admission,
            self.engine.execute_plan(frame).await?,
            requests,
            origins,
        ))
    }

    pub(super) async fn statement_update(
        &self,
        command: CommandStatementUpdate,
        request: Request<PutStream>,
    ) -> Result<i64> {
        let user = user_of(&request);
        let engine = self.sessions.view(&request).engine;
        let statement = Statement::parse(&engine, &command.query)?;
        let batches = self
            .run_command(&statement, &engine, Vec::new(), &user, &random_id(16))
            .await?;
        Ok(execution::affected_rows(&batches))
    }

    pub(super) async fn prepared_statement_update(
        &self,
        command: CommandPreparedStatementUpdate,
        request: Request<PutStream>,
    ) -> Result<i64> {
        let user = user_of(&request);
        let handle = command.prepared_statement_handle.to_vec();
        let prepared = self.prepared.get(&handle, &user)?;
        let engine = self.sessions.engine_in(&request, &prepared.scope);
        // JDBC sends the parameters with the update itself; others bind them first.
        let sent = read_batches(request.into_inner()).await?;
        let rows = match (sent, &prepared.parameters) {
            (Some(batch), _) => parameter_rows(&batch)?,
            (None, Some(bound)) => parameter_rows(bound)?,
            (None, None) => Vec::new(),
        };
        let batches = self
            .run_command(&prepared.statement, &engine, rows, &user, &random_id(16))
            .await?;
        Ok(execution::affected_rows(&batches))
    }

    pub(super) async fn bind_parameters(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<PutStream>,
    ) -> Result<DoPutPreparedStatementResult> {
        let user = user_of(&request);
        let handle = query.prepared_statement_handle.to_vec();
        if let Some(batch) = read_batches(request.into_inner()).await? {
            self.prepared.bind(&handle, &user, batch)?;
        }
        Ok(DoPutPreparedStatementResult {
            prepared_statement_handle: Some(handle.into()),
        })
    }

    pub(super) async fn create_prepared_statement(
        &self,
        query: ActionCreatePreparedStatementRequest,
        request: Request<Action>,
    ) -> Result<ActionCreatePreparedStatementResult> {
        let user = user_of(&request);
        let view = self.sessions.view(&request);
        let statement = Statement::parse(&view.engine, &query.query)
            .inspect_err(|error| self.failed_before_running(&user, &query.query, error))?;
        // A command's dataset schema is empty: the JDBC driver takes that to mean an update.
        let (dataset_schema, parameter_schema) = if statement.is_query() {
            let frame = execution::plan(&view.engine, &statement, None)
                .await
                .inspect_err(|error| self.failed_before_running(&user, statement.sql(), error))?;
            let parameters = execution::parameter_schema(&frame)?;
            (query_schema(&frame, &view.engine), parameters)
        } else {
            (Arc::new(Schema::empty()), Arc::new(Schema::empty()))
        };
        let result = ActionCreatePreparedStatementResult {
            prepared_statement_handle: Default::default(),
            dataset_schema: ipc_schema(&dataset_schema)?,
            parameter_schema: ipc_schema(&parameter_schema)?,
        };
        let handle = self.prepared.insert(PreparedStatement {
            statement,
            scope: view.scope,
            owner: user,
            dataset_schema,
            parameters: None,
        });
        Ok(ActionCreatePreparedStatementResult {
            prepared_statement_handle: handle.into_bytes().into(),
            ..result
        })
    }

    /// Logs and counts a query that failed before it could run: bad SQL, a missing table, a
    /// place the access policy refuses (commands are logged as they run).
    fn failed_before_running(&self, user: &User, sql: &str, error: &ServerError) {
        QueryLog::new(&self.metrics, &random_id(16), user, sql).end(Err(error));
    }

    /// Runs a statement to its end within the server's limits (a read-only engine refuses
    /// statements that write).
    pub(super) async fn run_command(
        &self,
        statement: &Statement,
        engine: &Engine,
        parameter_rows: Vec<Vec<ScalarValue>>,
        user: &User,
        query_id: &str,
    ) -> Result<Vec<RecordBatch>> {
        let mut log = QueryLog::new(&self.metrics, query_id, user, statement.sql());
        log.watch(engine.watch_requests());
        let outcome = self
            .run_command_logged(statement, engine, parameter_rows, &mut log)
            .await;
        log.end(outcome.as_ref().map(|_| ()));
        outcome
    }

    async fn run_command_logged(
        &self,
        statement: &Statement,
        engine: &Engine,
        parameter_rows: Vec<Vec<ScalarValue>>,
        log: &mut QueryLog,
    ) -> Result<Vec<RecordBatch>> {
        let _admission = self.limits.admit().await?;
        let run = execution::run_to_end(engine, statement, parameter_rows);
        let batches = match self.limits.timeout() {
            Some(limit) => tokio::time::timeout(limit, run)
                .await
                .map_err(|_| ServerError::Timeout(limit.as_secs()))??,
            None => run.await?,
        };
        batches.iter().for_each(|batch| log.add(batch));
        Ok(batches)
    }
}

/// The record batches a DoPut carries, as one batch; `None` when it carries none.
async fn read_batches(stream: PutStream) -> Result<Option<RecordBatch>> {
    // The stream itself, not its inner stream: the first message, already peeked at, holds the
    // schema.
    let data = stream.map_err(|status| FlightError::Tonic(Box::new(status)));
    let batches: Vec<RecordBatch> = FlightRecordBatchStream::new_from_flight_data(data)
        .try_collect()
        .await
        .map_err(|error| ServerError::InvalidRequest(format!("reading the sent rows: {error}")))?;
    match batches.first() {
        None => Ok(None),
        Some(first) => Ok(Some(concat_batches(&first.schema(), &batches)?)),
    }
}

fn ipc_schema(schema: &Schema) -> Result<bytes::Bytes> {
    let IpcMessage(bytes) = SchemaAsIpc::new(schema, &IpcWriteOptions::default()).try_into()?;
    Ok(bytes)
}
