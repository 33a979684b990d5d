//! `delta_scan('uri')`: any Delta table by its location, like Synapse's
//! `OPENROWSET(BULK ..., FORMAT = 'DELTA')`.
//!
//! DataFusion calls table functions synchronously while planning, but loading a table is I/O.
//! So the engine loads the locations a statement names (see [`super::StatementReferences`])
//! before planning it, and the function hands out what the statement read.

use std::collections::HashMap;
use std::sync::Arc;

use crate::store::ObjectStores;

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Expr;
use parking_lot::Mutex;

use super::TableRefresher;
use super::references::DELTA_SCAN;
use super::statement_reads::{self, Read};
use crate::error::Result as EngineResult;
use crate::location::folder_url;

#[derive(Debug)]
pub(crate) struct DeltaScanFunction {
    stores: Arc<ObjectStores>,
    /// Tables read by path so far, by location as written; each keeps its snapshot fresh.
    tables: Mutex<HashMap<String, Arc<TableRefresher>>>,
}

impl DeltaScanFunction {
    pub(crate) fn new(stores: Arc<ObjectStores>) -> Self {
        Self {
            stores,
            tables: Mutex::new(HashMap::new()),
        }
    }

    /// Brings each location up to date, for the running statement's planning.
    pub(crate) async fn load(&self, locations: &[String]) -> EngineResult<()> {
        for location in locations {
            let scan = self.latest(location).await?;
            statement_reads::keep(Read::Latest(folder_url(location)?.to_string()), scan);
        }
        Ok(())
    }

    /// A scan of the latest version of the table at `location`.
    pub(crate) async fn latest(&self, location: &str) -> EngineResult<Arc<dyn TableProvider>> {
        let known = self.tables.lock().get(location).cloned();
        let table = match known {
            Some(table) => table,
            None => {
                let table = Arc::new(TableRefresher::at(
                    folder_url(location)?,
                    self.stores.clone(),
                ));
                self.tables
                    .lock()
                    .insert(location.to_string(), table.clone());
                table
            }
        };
        table.latest().await
    }
}

impl TableFunctionImpl for DeltaScanFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let location = match args.exprs() {
            [Expr::Literal(value, _)] => value.try_as_str().flatten(),
            _ => None,
        };
        let Some(location) = location else {
            return Err(DataFusionError::Plan(format!(
                "{DELTA_SCAN} takes the table's location as one string literal, \
                 as in {DELTA_SCAN}('/data/silver/orders')"
            )));
        };
        let url = folder_url(location).map_err(|error| DataFusionError::Plan(error.to_string()))?;
        statement_reads::taken(&Read::Latest(url.to_string()), || {
            format!("{DELTA_SCAN}('{location}')")
        })
    }
}
