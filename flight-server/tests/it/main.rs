//! The Flight SQL server's integration tests: one binary, one module per concern. Each test
//! spawns the real `lakeshore-server` over a temporary lake and talks to it with real clients.

mod auth;
mod cluster;
mod configuration;
mod fuzz;
mod harness;
mod health;
mod limits;
mod metadata;
mod metrics;
mod notebooks;
mod object_store;
mod python;
mod queries;
mod security;
mod sessions;
mod superset;
mod tls;
