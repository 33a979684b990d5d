//! Lakeshore's Arrow Flight SQL server: BI tools (JDBC / ODBC), notebooks (ADBC) and Superset
//! query the lake through it.
//!
//! [`FlightServer::bind`] opens the lake and binds the address; [`FlightServer::run`] serves
//! until told to stop. The request path: [`gateway`] (authentication, GetSchema) →
//! [`service`] (each Flight SQL RPC) → the engine.

pub mod auth;
mod column_metadata;
mod commands;
pub mod config;
pub mod config_file;
pub mod error;
mod execution;
pub mod gateway;
pub mod health_probe;
mod ids;
mod limits;
mod metadata;
mod metrics;
mod pending;
mod prepared;
mod results;
mod running;
mod server;
mod service;
mod session_messages;
mod sessions;
mod sql_info;
mod statements;
mod tickets;
mod type_info;

pub use config::{Cli, Command, ServeArgs};
pub use error::ServerError;
pub use server::{FlightServer, use_ring_for_tls};
