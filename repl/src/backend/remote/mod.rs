//! A `lakeshore-server` reached over Arrow Flight SQL.

mod cancel;
mod errors;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Schema, SchemaRef};
use arrow_flight::sql::CommandGetTables;
use arrow_flight::sql::client::FlightSqlServiceClient;
use arrow_flight::{FlightInfo, IpcMessage, Ticket};
use async_trait::async_trait;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::{StreamExt, TryStreamExt};
use tokio::sync::Mutex;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

use self::cancel::CancelOnDrop;
use self::errors::{RemoteError, describe, describe_login, source_text};
use super::{Backend, TableName};
use crate::text_rows::collect_text_rows;

/// How to reach a server: `grpc://host:port` or `grpc+tls://host:port`, and who we are.
#[derive(Debug, Clone)]
pub struct RemoteTarget {
    pub url: String,
    pub user: Option<String>,
    pub password: Option<String>,
    /// The certificate authority that signed the server's certificate (PEM), for `grpc+tls`.
    pub tls_ca: Option<PathBuf>,
}

pub struct RemoteBackend {
    /// The client keeps the session's token; calls take turns on it.
    client: Arc<Mutex<FlightSqlServiceClient<Channel>>>,
    url: String,
}

impl RemoteBackend {
    /// Connects to the server and, with a user, logs in.
    pub async fn connect(target: &RemoteTarget) -> Result<Self> {
        let channel = endpoint(target)?.connect().await.map_err(|error| {
            anyhow!("cannot connect to {}: {}", target.url, source_text(&error))
        })?;
        let mut client = FlightSqlServiceClient::new(channel);
        if let Some(user) = &target.user {
            let password = target.password.as_deref().unwrap_or_default();
            client.handshake(user, password).await.map_err(|error| {
                anyhow!(
                    "cannot log in to {} as {user}: {}",
                    target.url,
                    describe_login(&error)
                )
            })?;
        }
        Ok(Self {
            client: Arc::new(Mutex::new(client)),
            url: target.url.clone(),
        })
    }

    /// All the rows of a flight: the streams of its endpoints, one after the other.
    async fn fetch(&self, info: FlightInfo) -> Result<SendableRecordBatchStream> {
        let schema: SchemaRef = Arc::new(
            info.clone()
                .try_decode_schema()
                .map_err(|error| anyhow!("the server sent an unreadable schema: {error}"))?,
        );
        let tickets: Vec<Ticket> = info
            .endpoint
            .into_iter()
            .filter_map(|endpoint| endpoint.ticket)
            .collect();
        let client = self.client.clone();
        let batches = futures::stream::iter(tickets)
            .then(move |ticket| {
                let client = client.clone();
                async move { client.lock().await.do_get(ticket).await }
            })
            .try_flatten()
            .map_err(|error| DataFusionError::External(Box::new(RemoteError(describe(&error)))));
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, batches)))
    }

    /// The server's tables, optionally only those of one catalog and schema, with or without
    /// their schemas.
    async fn get_tables(&self, request: CommandGetTables) -> Result<Vec<RecordBatch>> {
        let info = self
            .client
            .lock()
            .await
            .get_tables(request)
            .await
            .map_err(|error| anyhow!("{}", describe(&error)))?;
        Ok(self.fetch(info).await?.try_collect().await?)
    }
}

#[async_trait]
impl Backend for RemoteBackend {
    async fn execute(&self, sql: &str) -> Result<SendableRecordBatchStream> {
        let (info, client) = {
            let mut client = self.client.lock().await;
            let info = client
                .execute(sql.to_string(), None)
                .await
                .map_err(|error| anyhow!("{}", describe(&error)))?;
            // A copy of the client (same connection, same token) to cancel the query with,
            // so the request need not wait for the shared one.
            (info, client.clone())
        };
        let rows = self.fetch(info.clone()).await?;
        Ok(Box::pin(CancelOnDrop::new(rows, client, info)))
    }

    async fn tables(&self) -> Result<Vec<TableName>> {
        let batches = self.get_tables(CommandGetTables::default()).await?;
        let mut tables = Vec::new();
        for batch in &batches {
            let names = table_names(batch)?;
            tables.extend(names);
        }
        Ok(tables)
    }

    async fn columns(&self, table: &TableName) -> Result<Vec<String>> {
        let request = CommandGetTables {
            catalog: Some(table.catalog.clone()),
            db_schema_filter_pattern: Some(table.schema.clone()),
            table_name_filter_pattern: Some(table.table.clone()),
            include_schema: true,
            ..Default::default()
        };
        for batch in &self.get_tables(request).await? {
            let names = table_names(batch)?;
            let Some(schemas) = batch.column_by_name("table_schema") else {
                bail!("the server sent no table schemas");
            };
            // Names are filter patterns (`_` matches any character): keep the exact match.
            if let Some(row) = names.iter().position(|name| name == table) {
                let bytes = match schemas.data_type() {
                    DataType::Binary => schemas.as_binary::<i32>().value(row).to_vec(),
                    DataType::LargeBinary => schemas.as_binary::<i64>().value(row).to_vec(),
                    other => bail!("table schemas came as {other}, not binary"),
                };
                let schema = Schema::try_from(IpcMessage(bytes.into()))
                    .map_err(|error| anyhow!("unreadable schema of {table}: {error}"))?;
                return Ok(schema.fields().iter().map(|f| f.name().clone()).collect());
            }
        }
        Ok(Vec::new())
    }

    async fn functions(&self) -> Result<Vec<String>> {
        let stream = self
            .execute("SELECT DISTINCT routine_name FROM information_schema.routines")
            .await?;
        Ok(collect_text_rows(stream)
            .await?
            .into_iter()
            .filter_map(|row| row.into_iter().next())
            .collect())
    }

    fn description(&self) -> String {
        self.url.clone()
    }
}

/// The gRPC endpoint of `target`, with TLS for `grpc+tls://`.
fn endpoint(target: &RemoteTarget) -> Result<Endpoint> {
    let (scheme, address) = target.url.split_once("://").ok_or_else(|| {
        anyhow!(
            "'{}' is not a server address; use grpc://HOST:PORT",
            target.url
        )
    })?;
    let tls = match scheme {
        "grpc" | "grpc+tcp" => false,
        "grpc+tls" => true,
        other => bail!(
            "unknown scheme '{other}' in {}; use grpc:// or grpc+tls://",
            target.url
        ),
    };
    let http = format!("{}://{address}", if tls { "https" } else { "http" });
    let mut endpoint = Endpoint::from_shared(http)
        .with_context(|| format!("'{}' is not a server address", target.url))?
        .connect_timeout(Duration::from_secs(10))
        // Tonic's default today, said here because each statement is a few small messages:
        // with Nagle's algorithm on, every one would wait for the server's delayed ACK. It
        // applies to grpc+tls:// too (TLS runs over the same socket).
        .tcp_nodelay(true);
    if tls {
        let ca_path = target.tls_ca.as_ref().ok_or_else(|| {
            anyhow!(
                "{} needs --tls-ca FILE, the certificate authority of the server",
                target.url
            )
        })?;
        let pem =
            std::fs::read(ca_path).with_context(|| format!("cannot read {}", ca_path.display()))?;
        let host = address.rsplit_once(':').map_or(address, |(host, _)| host);
        let config = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(pem))
            .domain_name(host.trim_matches(['[', ']']));
        endpoint = endpoint
            .tls_config(config)
            .map_err(|error| anyhow!("cannot set up TLS for {}: {error}", target.url))?;
    } else if target.tls_ca.is_some() {
        bail!(
            "--tls-ca is for grpc+tls:// servers; {} is not one",
            target.url
        );
    }
    Ok(endpoint)
}

/// The catalog, schema and table names of a GetTables result.
fn table_names(batch: &RecordBatch) -> Result<Vec<TableName>> {
    let catalogs = text_column(batch, "catalog_name")?;
    let schemas = text_column(batch, "db_schema_name")?;
    let tables = text_column(batch, "table_name")?;
    Ok((0..batch.num_rows())
        .map(|row| TableName {
            catalog: catalogs[row].clone(),
            schema: schemas[row].clone(),
            table: tables[row].clone(),
        })
        .collect())
}

fn text_column(batch: &RecordBatch, name: &str) -> Result<Vec<String>> {
    let column = batch
        .column_by_name(name)
        .ok_or_else(|| anyhow!("the server's table list has no column {name}"))?;
    let text = arrow::compute::cast(column, &DataType::Utf8)?;
    let text = text.as_string::<i32>();
    Ok((0..text.len())
        .map(|row| {
            if text.is_null(row) {
                String::new()
            } else {
                text.value(row).to_string()
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> RemoteTarget {
        RemoteTarget {
            url: url.to_string(),
            user: None,
            password: None,
            tls_ca: None,
        }
    }

    #[test]
    fn connections_to_the_server_have_tcp_nodelay() {
        let endpoint = endpoint(&target("grpc://127.0.0.1:50051")).expect("an endpoint");
        assert!(endpoint.get_tcp_nodelay());
    }
}
