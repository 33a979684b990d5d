//! The Flight service clients talk to: it checks every call but the handshake for a valid token
//! (when the server has users), hands the call its [`User`], and passes it on to the Flight SQL
//! service. It also answers GetSchema, which arrow-rs' Flight SQL dispatch leaves unimplemented,
//! decodes each request's command before that dispatch would (see [`crate::commands`]), and
//! dispatches DoPut itself.

use std::sync::Arc;

use arrow_flight::flight_service_server::FlightService;
use arrow_flight::sql::Command;
use arrow_flight::{
    Action, Criteria, Empty, FlightData, FlightDescriptor, FlightInfo, HandshakeRequest, PollInfo,
    SchemaResult, Ticket,
};
use tonic::{Request, Response, Status, Streaming};

use crate::commands::{check_action_body, command_of};
use crate::metrics::sent::counted;
use crate::service::SqlService;

pub struct Gateway {
    sql: Arc<SqlService>,
}

impl Gateway {
    pub fn new(sql: Arc<SqlService>) -> Self {
        Self { sql }
    }

    /// Puts the request's user in its extensions, or refuses it.
    fn authenticate<T>(&self, request: &mut Request<T>) -> Result<(), Status> {
        let authorization = request
            .metadata()
            .get("authorization")
            .and_then(|value| value.to_str().ok());
        let user = self.sql.authenticator().authenticate(authorization)?;
        request.extensions_mut().insert(user);
        Ok(())
    }
}

type Inner = SqlService;

#[tonic::async_trait]
impl FlightService for Gateway {
    type HandshakeStream = <Inner as FlightService>::HandshakeStream;
    type ListFlightsStream = <Inner as FlightService>::ListFlightsStream;
    type DoGetStream = <Inner as FlightService>::DoGetStream;
    type DoPutStream = <Inner as FlightService>::DoPutStream;
    type DoExchangeStream = <Inner as FlightService>::DoExchangeStream;
    type DoActionStream = <Inner as FlightService>::DoActionStream;
    type ListActionsStream = <Inner as FlightService>::ListActionsStream;

    async fn handshake(
        &self,
        request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<Response<Self::HandshakeStream>, Status> {
        FlightService::handshake(self.sql.as_ref(), request).await
    }

    async fn list_flights(
        &self,
        mut request: Request<Criteria>,
    ) -> Result<Response<Self::ListFlightsStream>, Status> {
        self.authenticate(&mut request)?;
        FlightService::list_flights(self.sql.as_ref(), request).await
    }

    async fn get_flight_info(
        &self,
        mut request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.authenticate(&mut request)?;
        command_of(&request.get_ref().cmd, "GetFlightInfo")?;
        FlightService::get_flight_info(self.sql.as_ref(), request).await
    }

    async fn poll_flight_info(
        &self,
        mut request: Request<FlightDescriptor>,
    ) -> Result<Response<PollInfo>, Status> {
        self.authenticate(&mut request)?;
        FlightService::poll_flight_info(self.sql.as_ref(), request).await
    }

    async fn get_schema(
        &self,
        mut request: Request<FlightDescriptor>,
    ) -> Result<Response<SchemaResult>, Status> {
        self.authenticate(&mut request)?;
        let command = command_of(&request.get_ref().cmd, "GetSchema")?;
        let schema = match command {
            // Statements are planned, not run: a command's schema is empty.
            Command::CommandStatementQuery(query) => {
                self.sql.statement_schema(query, &request).await?
            }
            Command::CommandPreparedStatementQuery(query) => {
                self.sql.prepared_statement_schema(query, &request)?
            }
            // Catalog commands' FlightInfo runs nothing: take its schema.
            _ => {
                FlightService::get_flight_info(self.sql.as_ref(), request)
                    .await?
                    .into_inner()
                    .schema
            }
        };
        Ok(Response::new(SchemaResult { schema }))
    }

    async fn do_get(
        &self,
        mut request: Request<Ticket>,
    ) -> Result<Response<Self::DoGetStream>, Status> {
        self.authenticate(&mut request)?;
        command_of(&request.get_ref().ticket, "DoGet")?;
        let stream = FlightService::do_get(self.sql.as_ref(), request)
            .await?
            .into_inner();
        Ok(Response::new(Box::pin(counted(
            stream,
            self.sql.metrics().clone(),
        ))))
    }

    async fn do_put(
        &self,
        mut request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoPutStream>, Status> {
        self.authenticate(&mut request)?;
        self.sql.put(request).await
    }

    async fn do_exchange(
        &self,
        mut request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoExchangeStream>, Status> {
        self.authenticate(&mut request)?;
        FlightService::do_exchange(self.sql.as_ref(), request).await
    }

    async fn do_action(
        &self,
        mut request: Request<Action>,
    ) -> Result<Response<Self::DoActionStream>, Status> {
        self.authenticate(&mut request)?;
        let action = request.get_ref();
        check_action_body(&action.r#type, &action.body)?;
        FlightService::do_action(self.sql.as_ref(), request).await
    }

    async fn list_actions(
        &self,
        mut request: Request<Empty>,
    ) -> Result<Response<Self::ListActionsStream>, Status> {
        self.authenticate(&mut request)?;
        FlightService::list_actions(self.sql.as_ref(), request).await
    }
}
