//! The engine: one DataFusion session with the lake registered as a catalog.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use datafusion::common::{ResolvedTableReference, TableReference};
use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::{FairSpillPool, MemoryPool};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::logical_expr::LogicalPlan;
use datafusion::optimizer::AnalyzerRule;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_optimizer::optimizer::PhysicalOptimizer;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::Statement;
use futures::TryStreamExt;

use crate::access::{GrantedCatalogs, Places, Policy};
use crate::analyze::explain_analyze;
use crate::catalog::{DEFAULT_SCHEMA, DefinitionsConfig, LakeCatalog};
use crate::changes::plan_change;
use crate::composite_keys::CompositeKeyEstimates;
use crate::config::EngineConfig;
use crate::decimal_ops::BoundedDecimalOps;
use crate::delta::within_statement;
use crate::delta::{
    ApplyDynamicFilters, CacheYieldingPool, DeltaReads, DeltaScanFunction, LookupRowFilters,
    PortableScans, QueryMemory, RangeCache, ReadEnoughFiles, TransitiveDynamicFilters,
    tables_read_by,
};
use crate::distributed::{Distribution, coordinator_codec};
use crate::error::{EngineError, ErrorKind, Result};
use crate::group_key_joins::JoinsOnGroupKeys;
use crate::join_mode::CollectSmallSides;
use crate::narrowing_and::NarrowingAnds;
use crate::negation_estimates::NegationEstimates;
use crate::ordered_substrings::OrderedSubstringLikes;
use crate::rerun::{execute_here, execute_on_cluster};
use crate::scan_names::DistinctScanNames;
use crate::session::{Preparation, PreparedStatement, StatementViews};
use crate::settings::{LakeshoreSettings, Staleness};
use crate::shared_subplans::SharingQueryPlanner;
use crate::sql::ParsedStatement;
use crate::store::{LakeObjectStoreRegistry, ObjectStores, RequestWatch};
use crate::write::IngestMode;
use crate::{Layers, Principal};

/// A lake opened for SQL. Cheap to share behind an `Arc`; every method takes `&self`.
pub struct Engine {
    ctx: SessionContext,
    catalog: Option<Arc<LakeCatalog>>,
    /// Loads what a statement reads by path, at an old version, or from a table's log.
    preparation: Arc<Preparation>,
    /// The object stores of the lake and of every table read by path, with their request
    /// counts.
    stores: Arc<ObjectStores>,
    /// The places an access policy allows, resolved once.
    places: Arc<Places>,
    /// The access policy every statement is checked against; `None` is unrestricted.
    policy: Option<Arc<Policy>>,
    /// The cluster queries run on; `None` runs them in this process.
    distribution: Option<Arc<dyn Distribution>>,
}

impl Engine {
    /// The bytes queries hold in the memory pool now (the pool `memory_limit` bounds, which
    /// the data cache shares; its bytes are not counted here).
    pub fn memory_reserved(&self) -> usize {
        QueryMemory::of(&self.ctx.state_ref().read()).held()
    }

    /// The bytes of data files kept in memory for later queries now (at most
    /// `data_cache_bytes`, and within `memory_limit`).
    pub fn data_cache_held(&self) -> u64 {
        let state = self.ctx.state_ref();
        let cache = state.read().config().get_extension::<RangeCache>();
        cache.map_or(0, |cache| cache.held())
    }

    /// Opens the lake named in `config` (or an empty catalog when it names none) and lists its
    /// tables. Tables themselves are read lazily, on the first query that needs them.
    pub async fn open(config: EngineConfig) -> Result<Self> {
        if config.target_partitions == 0 || config.batch_size == 0 {
            return Err(EngineError::Config(
                "target partitions and batch size must be at least 1".to_string(),
            ));
        }
        let stores = Arc::new(ObjectStores::new(config.storage.clone()));
        let mut runtime = RuntimeEnvBuilder::new()
            .with_object_store_registry(Arc::new(LakeObjectStoreRegistry::new(stores.clone())));
        let pool = config
            .memory_limit
            .map(|limit| Arc::new(FairSpillPool::new(limit)) as Arc<dyn MemoryPool>);
        // The cache holds its ranges in the pool (itself, not through the pool that makes it
        // give them back): under a memory limit, the limit bounds both.
        let data_cache = RangeCache::with_budget(config.data_cache_bytes, pool.as_ref());
        match (pool, &data_cache) {
            (Some(pool), Some(cache)) => {
                runtime = runtime
                    .with_memory_pool(Arc::new(CacheYieldingPool::new(pool, Arc::clone(cache))));
            }
            (Some(pool), None) => runtime = runtime.with_memory_pool(pool),
            (None, _) => {}
        }
        if let Some(dir) = &config.spill_dir {
            runtime = runtime.with_disk_manager_builder(
                DiskManagerBuilder::default()
                    .with_mode(DiskManagerMode::Directories(vec![dir.clone()])),
            );
        }
        let runtime = runtime.build_arc()?;

        let mut session = SessionConfig::new()
            .with_information_schema(true)
            .with_target_partitions(config.target_partitions)
            .with_batch_size(config.batch_size)
            .with_option_extension(LakeshoreSettings {
                max_staleness: Staleness(config.max_staleness),
            });
        if config.lake.is_some() {
            session = session.with_default_catalog_and_schema(&config.catalog_name, DEFAULT_SCHEMA);
        }
        if let Some(limit) = config.memory_limit {
            // Each sorting partition sets aside this much to merge its spills; DataFusion's 10 MB
            // default would leave a small limit no room to spill at all.
            let execution = &mut session.options_mut().execution;
            execution.sort_spill_reservation_bytes = execution
                .sort_spill_reservation_bytes
                .min(limit / (4 * config.target_partitions));
        }
        // Spark writes timestamps as INT96 in many set-ups; read them as it does, in
        // microseconds, so that a plain Parquet read reaches the year 9999 as Delta scans do.
        session.options_mut().execution.parquet.coerce_int96 = Some("us".to_string());
        // A join with up to this many keys per partition hands them to the scan of its other
        // side as a list (DataFusion's default: 150), which a scan applies cheaply; above it,
        // a lookup in the join's hash table, which scans leave to the join (see
        // `delta/dynamic_filters/`). TPC-H Q18 at SF 10 keeps about 300 orders per partition.
        session
            .options_mut()
            .optimizer
            .hash_join_inlist_pushdown_max_distinct_values = 1024;
        // A partial aggregate that finds a group for every tenth row or more in its first
        // million rows stops aggregating and hands its rows to the final aggregate (DataFusion:
        // every 1.25th row, after 100,000). A hash table of 100,000 groups and more outgrows
        // the caches, and filling it costs more than the rows it saves moving: TPC-H Q18 at
        // SF 10 (lineitem by order key, 4 rows a group) runs 1.17 times faster. A table that
        // stays small goes on aggregating.
        let execution = &mut session.options_mut().execution;
        execution.skip_partial_aggregation_probe_ratio_threshold = 0.1;
        execution.skip_partial_aggregation_probe_rows_threshold = 1_000_000;
        if config.distribution.is_some() {
            session = session.with_extension(Arc::new(PortableScans));
        }
        if let Some(cache) = data_cache {
            session = session.with_extension(cache);
        }
        let mut state = SessionStateBuilder::new()
            .with_config(session)
            .with_runtime_env(runtime)
            .with_default_features()
            .with_analyzer_rules(analyzer_rules());
        match &config.distribution {
            Some(distribution) => {
                state = distribution.coordinate(state, coordinator_codec(stores.clone()));
            }
            // A coordinator's scans are planned again by its workers, without these rules.
            None => {
                state = state
                    .with_query_planner(Arc::new(SharingQueryPlanner))
                    .with_physical_optimizer_rules(local_physical_rules());
            }
        }
        let state = state.build();
        let ctx = SessionContext::new_with_state(state);

        let delta_scan = Arc::new(DeltaScanFunction::new(stores.clone()));
        ctx.register_udtf("delta_scan", delta_scan.clone());
        crate::functions::register_tsql_functions(&ctx);
        DeltaReads::register(&ctx)?;
        let preparation = Arc::new(Preparation::new(delta_scan));

        let catalog = match &config.lake {
            Some(lake) => {
                let definitions = DefinitionsConfig {
                    location: config.catalog_location.clone(),
                    views: Arc::new(StatementViews::new(
                        ctx.state_weak_ref(),
                        preparation.clone(),
                    )),
                };
                let catalog = Arc::new(
                    LakeCatalog::open(&config.catalog_name, lake, stores.clone(), definitions)
                        .await?,
                );
                ctx.register_catalog(&config.catalog_name, catalog.clone());
                Some(catalog)
            }
            None => None,
        };
        let places = Arc::new(Places::for_catalog(
            catalog.clone(),
            config.access.as_ref(),
            config.read_only,
        )?);
        let policy = if config.access.is_some() {
            Some(Arc::new(Policy::new(
                places.clone(),
                Principal::admin("server"),
            )))
        } else if config.read_only {
            Some(Arc::new(Policy::unconfined(places.clone())))
        } else {
            None
        };
        Ok(Self {
            ctx,
            catalog,
            preparation,
            stores,
            places,
            policy,
            distribution: config.distribution,
        })
    }

    /// This engine as `user` sees it: every statement is checked against the user's role and
    /// layers, and against the places the engine was opened to reach (only the lake, when it
    /// was opened without an [`crate::AccessConfig`]). Settings are copied, not shared.
    pub fn as_user(&self, user: Principal) -> Engine {
        let mut state = SessionStateBuilder::new_from_existing(self.ctx.state());
        let layers = user.layers.clone();
        let policy = Arc::new(Policy::new(self.places.clone(), user));
        if let (Some(catalog), Layers::Only(_)) = (&self.catalog, layers) {
            // Layers not granted are not there for the user: no listing or lookup shows them.
            let granted = GrantedCatalogs::new(
                self.ctx.state().catalog_list().clone(),
                catalog.name(),
                policy.clone(),
            );
            state = state.with_catalog_list(Arc::new(granted));
        }
        Engine {
            ctx: SessionContext::new_with_state(state.build()),
            catalog: self.catalog.clone(),
            preparation: self.preparation.clone(),
            stores: self.stores.clone(),
            places: self.places.clone(),
            policy: Some(policy),
            distribution: self.distribution.clone(),
        }
    }

    /// The catalog and schema unqualified names resolve in.
    /// The catalog, schema and table `reference` names, when it names a table or view of
    /// this engine's catalogs (resolved against the default schema); `None` for anything else,
    /// such as a subquery's or a join's alias. Looks only at the names already listed.
    pub fn table_of(&self, reference: &TableReference) -> Option<ResolvedTableReference> {
        let (catalog, schema) = self.default_schema();
        let resolved = reference.clone().resolve(&catalog, &schema);
        let exists = self
            .ctx
            .catalog(&resolved.catalog)?
            .schema(&resolved.schema)?
            .table_exist(&resolved.table);
        exists.then_some(resolved)
    }

    pub fn default_schema(&self) -> (String, String) {
        let config = self.ctx.copied_config();
        let names = &config.options().catalog;
        (names.default_catalog.clone(), names.default_schema.clone())
    }

    /// The Arrow schema of a table, view or external table, as its rows will come; refused
    /// like a query of it would be.
    pub async fn table_schema(&self, table: TableReference) -> Result<SchemaRef> {
        if let Some(policy) = &self.policy {
            policy.check_name(&self.ctx.state(), &table)?;
        }
        Ok(self.ctx.table_provider(table).await?.schema())
    }

    /// The names of every function SQL may call: scalar, aggregate, window and table functions.
    pub fn function_names(&self) -> Vec<String> {
        let state = self.ctx.state();
        let mut names: Vec<String> = state
            .scalar_functions()
            .keys()
            .chain(state.aggregate_functions().keys())
            .chain(state.window_functions().keys())
            .chain(state.table_functions().keys())
            .cloned()
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// This engine with `catalog.schema` as the default for unqualified names, for servers
    /// whose clients each keep their own current schema. It shares the lake, its tables, the
    /// memory pool and the registered functions; only name resolution (and `SET`) is its own.
    pub fn with_default_schema(&self, catalog: &str, schema: &str) -> Engine {
        let mut state = self.ctx.state();
        let names = &mut state.config_mut().options_mut().catalog;
        names.default_catalog = catalog.to_string();
        names.default_schema = schema.to_string();
        Engine {
            ctx: SessionContext::new_with_state(state),
            catalog: self.catalog.clone(),
            preparation: self.preparation.clone(),
            stores: self.stores.clone(),
            places: self.places.clone(),
            policy: self.policy.clone(),
            distribution: self.distribution.clone(),
        }
    }

    /// Runs one SQL statement and streams its result. Statements that change the catalog (DDL)
    /// take effect before this returns and stream no rows.
    pub async fn execute(&self, sql: &str) -> Result<SendableRecordBatchStream> {
        self.execute_plan(self.plan(sql).await?).await
    }

    /// Parses one SQL statement as this engine's session does (its dialect, Delta syntax
    /// included), for callers that look at it before planning it with
    /// [`Engine::plan_parsed`]. Fails when it does not parse.
    pub fn parse(&self, sql: &str) -> Result<ParsedStatement> {
        // Only the parser's options are copied, not the whole session state.
        let options = self
            .ctx
            .state_ref()
            .read()
            .config()
            .options()
            .sql_parser
            .clone();
        ParsedStatement::parse(sql, &options)
    }

    /// Runs a statement planned earlier with [`Engine::plan`] (by this engine or a view of it,
    /// for servers that plan when asked for a result's schema and run when asked for its rows).
    pub async fn execute_plan(&self, frame: DataFrame) -> Result<SendableRecordBatchStream> {
        if matches!(frame.logical_plan(), LogicalPlan::Analyze(_)) {
            return explain_analyze(frame, self.watch_requests()).await;
        }
        let tables = tables_read_by(frame.logical_plan());
        let stream = match &self.distribution {
            Some(cluster) => execute_on_cluster(frame, cluster.as_ref()).await?,
            None => execute_here(frame).await?,
        };
        if tables.is_empty() {
            return Ok(stream);
        }
        // Errors reading data files carry a file path at best: name the tables too.
        let schema = stream.schema();
        let named = stream.map_err(move |error| match error.find_root() {
            DataFusionError::ParquetError(_)
            | DataFusionError::ObjectStore(_)
            | DataFusionError::IoError(_) => {
                error.context(format!("reading table {}", tables.join(", table ")))
            }
            _ => error,
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, named)))
    }

    /// A watch on the requests made of the object stores from now on, by every session of the
    /// engine: a statement's cost in requests, where it runs alone.
    pub fn watch_requests(&self) -> RequestWatch {
        self.stores.watch()
    }

    /// Plans one SQL statement: the tables it reads are brought up to date first, as of a look
    /// at their logs no older than `lakeshore.max_staleness`.
    pub async fn plan(&self, sql: &str) -> Result<DataFrame> {
        self.plan_parsed(&self.parse(sql)?).await
    }

    /// Plans a statement parsed earlier with [`Engine::parse`] (by this engine or a view of it),
    /// as [`Engine::plan`] does.
    pub async fn plan_parsed(&self, statement: &ParsedStatement) -> Result<DataFrame> {
        // Read in place: a copy of the whole session state costs more than planning `SELECT 1`.
        let max_staleness = self
            .ctx
            .state_ref()
            .read()
            .config()
            .options()
            .extensions
            .get::<LakeshoreSettings>()
            .map_or(std::time::Duration::ZERO, |settings| {
                settings.max_staleness.0
            });
        within_statement(max_staleness, self.plan_fresh(statement)).await
    }

    async fn plan_fresh(&self, parsed: &ParsedStatement) -> Result<DataFrame> {
        // One copy of the session's state serves the whole statement: a copy clones every
        // function registry and setting, which costs more than planning a small query. What the
        // statement changes (SET, temporary objects) still goes to the session itself; the
        // catalogs are shared, so tables listed meanwhile are seen.
        let state = self.ctx.state();
        // What the statement reads by path or name is checked before preparation reads it.
        if let Some(policy) = &self.policy {
            policy.check_statement(&state, parsed.statement()).await?;
        }
        let PreparedStatement {
            statement,
            partition_columns,
        } = self
            .preparation
            .prepare(
                &self.ctx,
                &state,
                self.catalog.as_deref(),
                parsed.statement().clone(),
            )
            .await?;
        let plan = match self
            .plan_statement(&state, statement.clone(), &partition_columns)
            .await
        {
            // A table or layer created since we last listed the lake: list again, once.
            Err(error) if self.catalog.is_some() && error.kind() == ErrorKind::NotFound => {
                if let Some(catalog) = &self.catalog {
                    catalog.refresh().await?;
                }
                self.plan_statement(&state, statement, &partition_columns)
                    .await?
            }
            other => other?,
        };
        match plan {
            // DDL and statements such as SET change the session itself.
            LogicalPlan::Ddl(_) | LogicalPlan::Statement(_) => {
                Ok(self.ctx.execute_logical_plan(plan).await?)
            }
            // What `execute_logical_plan` makes of any other plan, on the statement's copy.
            plan => Ok(DataFrame::new(state, plan)),
        }
    }

    /// Plans a statement; one that changes the lake is carried out on the lake (see
    /// [`crate::changes`]), after the policy (read-only mode included) had its say.
    async fn plan_statement(
        &self,
        state: &SessionState,
        statement: Statement,
        partition_columns: &[String],
    ) -> Result<LogicalPlan> {
        let plan = state.statement_to_plan(statement).await?;
        if let Some(policy) = &self.policy {
            policy.check_plan(state, &plan)?;
        }
        Ok(match &self.catalog {
            Some(catalog) => plan_change(catalog, state, plan, partition_columns.to_vec()).await?,
            None => plan,
        })
    }

    /// Whether `sql` (one statement) writes: changes a table, the catalog, or files. Told from
    /// the parsed statement alone, reading no table; a read-only engine refuses exactly these.
    pub fn is_write(&self, sql: &str) -> Result<bool> {
        Ok(self.parse(sql)?.kind().writes())
    }

    /// Writes `input` to the lake table `table` (`[schema.]name`, in the session's default
    /// schema when unqualified) as a Delta table, in one commit, as `mode` says; returns the
    /// number of rows written. A new table goes to the folder `<lake>/<schema>/<name>`.
    pub async fn ingest(
        &self,
        table: &str,
        input: SendableRecordBatchStream,
        mode: IngestMode,
    ) -> Result<u64> {
        if let Some(policy) = &self.policy {
            policy.check_ingest(&self.ctx.state(), table)?;
        }
        let Some(catalog) = &self.catalog else {
            return Err(EngineError::Config(format!(
                "cannot ingest into {table}: the engine was opened without a lake"
            )));
        };
        crate::changes::ingest(catalog, &self.ctx.state(), table, input, mode).await
    }
}

/// DataFusion's analyzer rules with Lakeshore's: scans of different sources told apart first,
/// then timestamp literals in microseconds before type coercion.
fn analyzer_rules() -> Vec<Arc<dyn AnalyzerRule + Send + Sync>> {
    let mut rules = crate::timestamps::analyzer_rules();
    rules.insert(0, Arc::new(DistinctScanNames));
    rules
}

/// DataFusion's physical optimizer rules with Lakeshore's: the choice of collected joins just
/// before DataFusion's own choice of join modes, and of build sides beside joins on several
/// keys just after it, then joins with aggregates keyed by the group keys alone; the rules on
/// Delta scans last, once DataFusion has pushed filters and limits into them (lookups' row
/// filters turned on first, then joins' filters copied across the keys of the joins below
/// before they are applied to the scans' rows); and last the filters' own tests (`LIKE`s of
/// substrings in order, then `AND`s tested cheapest first).
fn local_physical_rules() -> Vec<Arc<dyn PhysicalOptimizerRule + Send + Sync>> {
    let mut rules = PhysicalOptimizer::new().rules;
    let join_selection = rules
        .iter()
        .position(|rule| rule.name() == "join_selection")
        .unwrap_or(0);
    rules.insert(join_selection + 1, Arc::new(JoinsOnGroupKeys));
    rules.insert(join_selection + 1, Arc::new(CompositeKeyEstimates));
    rules.insert(join_selection, Arc::new(CollectSmallSides));
    rules.insert(join_selection, Arc::new(NegationEstimates));
    rules.push(Arc::new(LookupRowFilters));
    rules.push(Arc::new(TransitiveDynamicFilters));
    rules.push(Arc::new(ApplyDynamicFilters));
    rules.push(Arc::new(ReadEnoughFiles));
    rules.push(Arc::new(BoundedDecimalOps));
    rules.push(Arc::new(OrderedSubstringLikes));
    rules.push(Arc::new(NarrowingAnds));
    rules
}
