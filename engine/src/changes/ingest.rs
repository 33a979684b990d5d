//! Bulk ingest (Flight SQL's `CommandStatementIngest`): a stream of rows written to a lake
//! table named by a string, as one of ADBC's modes says.

use datafusion::common::TableReference;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::session_state::SessionState;

use super::{LakeChange, check_name, plan_error};
use crate::catalog::{DEFAULT_SCHEMA, LakeCatalog, ObjectKind};
use crate::error::Result;
use crate::write::{Destination, IngestMode, TableDefinition, write_stream};

/// Writes `input` to the lake table `table` (`[catalog.][schema.]name`); returns the rows written.
pub(crate) async fn ingest(
    catalog: &LakeCatalog,
    state: &SessionState,
    table: &str,
    input: SendableRecordBatchStream,
    mode: IngestMode,
) -> Result<u64> {
    let change = LakeChange { catalog, state };
    let Some((schema, name)) = change.lake_name(&TableReference::from(table)) else {
        return Err(plan_error(format!(
            "cannot ingest into {table}: it names no schema of the lake catalog {}",
            catalog.name()
        )));
    };
    let qualified = change.qualified(&schema, &name);
    catalog.refresh().await?;
    catalog.objects().refresh().await?;
    let url = match catalog.lake_table_folder(&schema, &name) {
        Some(folder) => change.folder_url(&folder)?,
        None => match catalog.objects().kind(&schema, &name) {
            Some(ObjectKind::ExternalTable) => catalog
                .objects()
                .external_location(&schema, &name)
                .ok_or_else(|| plan_error(format!("external table {qualified} has no location")))?,
            Some(_) => {
                return Err(plan_error(format!(
                    "cannot ingest into {qualified}: it is a view"
                )));
            }
            None => {
                check_name("table", &schema, &name)?;
                change.folder_url(&match schema.as_str() {
                    DEFAULT_SCHEMA => name.clone(),
                    _ => format!("{schema}/{name}"),
                })?
            }
        },
    };
    let destination = Destination::new(&qualified, url, catalog.stores().clone());
    // Replacing defines the table anew: its schema and (no) partitioning come from the rows.
    let definition = (mode == IngestMode::Replace).then(TableDefinition::default);
    write_stream(state, &destination, mode, definition.as_ref(), input).await
}
