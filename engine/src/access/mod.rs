//! Who may do what, and where: the access policy a server holds for each user.
//!
//! An engine opened with an [`AccessConfig`] (a server) reads only inside its lake and the
//! prefixes the operator allows, writes files only through lake writes (and `COPY TO` only
//! into the prefixes allowed for it), and lets each user do what their [`Role`] allows, on the
//! layers (top-level schemas) they are granted. An engine opened without one (the embedded
//! shell) is unrestricted, as a program run by its own user should be.
//!
//! Read-only mode is part of the policy too (on any engine, with or without a server's
//! places): one place decides what a statement may do.
//!
//! The policy is checked on what a statement means, not on its text: first on the references
//! a parsed statement makes by path or name that planning cannot show (`delta_scan`,
//! `delta_history`, `delta_detail`, `table_changes`, time travel), before anything is read;
//! then on its logical plan, node by node, with the plans of the views it reads, recursively.

mod granted;
mod location;
mod plan;
mod relations;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use datafusion::common::TableReference;
use datafusion::execution::session_state::SessionState;
use datafusion::logical_expr::LogicalPlan;
use datafusion::sql::parser::Statement;
use url::Url;

use crate::catalog::{DEFAULT_SCHEMA, LakeCatalog, sql_name};
use crate::changes::refuse_writes;
use crate::delta::{StatementReferences, TableTarget};
use crate::error::{EngineError, Refusal, Result};
use crate::sql::parse_statement;

pub(crate) use granted::GrantedCatalogs;
pub(crate) use location::Place;

/// What a user may do. Each role may do all that the one before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Queries: `SELECT`, `EXPLAIN`, `SHOW`, `DESCRIBE`, and `SET` of session-local settings.
    Reader,
    /// Also changes to the lake: `CREATE TABLE ... AS`, `INSERT`, views, external tables,
    /// bulk ingest, `DROP`, and `COPY TO` into the prefixes allowed for it.
    Writer,
    /// Also `SET` of every engine option (parallelism, memory, spilling, parsing).
    Admin,
}

impl Role {
    /// The role a users file or command line names (`reader`, `writer`, `admin`).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "reader" => Some(Self::Reader),
            "writer" => Some(Self::Writer),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reader => "reader",
            Self::Writer => "writer",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The layers (the lake's top-level schemas, such as `bronze`, `silver`, `gold`) a user may
/// read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layers {
    All,
    /// These layers only, by their SQL names (lower-case).
    Only(BTreeSet<String>),
}

impl Layers {
    /// Layers from a comma-separated list; `*` (or nothing) is every layer.
    pub fn parse(text: &str) -> Self {
        let names: Vec<&str> = text
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .collect();
        if names.is_empty() || names.contains(&"*") {
            Self::All
        } else {
            Self::Only(names.into_iter().map(sql_name).collect())
        }
    }

    pub fn allows(&self, layer: &str) -> bool {
        match self {
            Self::All => true,
            Self::Only(names) => names.contains(&sql_name(layer)),
        }
    }
}

impl fmt::Display for Layers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::All => f.write_str("*"),
            Self::Only(names) => {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                f.write_str(&names.join(","))
            }
        }
    }
}

/// A user, as the policy knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub name: String,
    pub role: Role,
    pub layers: Layers,
}

impl Principal {
    /// A user who may do everything the locations allow: what the server itself runs as
    /// before a user is known.
    pub fn admin(name: &str) -> Self {
        Self {
            name: name.to_string(),
            role: Role::Admin,
            layers: Layers::All,
        }
    }
}

/// Where an engine may reach besides its lake; an engine opened with one enforces the policy.
#[derive(Debug, Clone, Default)]
pub struct AccessConfig {
    /// Prefixes (local folders or object-store URIs) that statements may read besides the lake.
    pub allow_read: Vec<String>,
    /// Prefixes that `COPY ... TO` may write into; without one, `COPY TO` is refused.
    pub allow_copy_to: Vec<String>,
}

/// The places of a policy, resolved once, when the engine opens.
#[derive(Debug)]
pub(crate) struct Places {
    lake: Option<Place>,
    /// The name of the catalog the lake is, whose schemas are the layers.
    lake_catalog: Option<String>,
    /// The lake's catalog, whose views are checked for what they read.
    catalog: Option<Arc<LakeCatalog>>,
    allow_read: Vec<Place>,
    allow_copy_to: Vec<Place>,
    /// Every statement that writes is refused.
    read_only: bool,
}

impl Places {
    /// The places of a lake without its catalog (no views to look into): for tests.
    #[cfg(test)]
    pub(crate) fn new(lake: Option<(&Url, &str)>, config: Option<&AccessConfig>) -> Result<Self> {
        Self::of_catalog(lake, None, config, false)
    }

    /// The places of an engine over `catalog`.
    pub(crate) fn for_catalog(
        catalog: Option<Arc<LakeCatalog>>,
        config: Option<&AccessConfig>,
        read_only: bool,
    ) -> Result<Self> {
        let lake = catalog
            .as_ref()
            .map(|c| (c.root().clone(), c.name().to_string()));
        let lake = lake.as_ref().map(|(root, name)| (root, name.as_str()));
        Self::of_catalog(lake, catalog.clone(), config, read_only)
    }

    fn of_catalog(
        lake: Option<(&Url, &str)>,
        catalog: Option<Arc<LakeCatalog>>,
        config: Option<&AccessConfig>,
        read_only: bool,
    ) -> Result<Self> {
        let resolve = |flag: &str, prefixes: &[String]| -> Result<Vec<Place>> {
            prefixes
                .iter()
                .map(|prefix| {
                    Place::parse(prefix)
                        .map_err(|reason| EngineError::Config(format!("{flag} {prefix}: {reason}")))
                })
                .collect()
        };
        let lake_place = match lake {
            Some((root, _)) => {
                Some(
                    Place::of_url(root).map_err(|reason| EngineError::InvalidLocation {
                        location: crate::location::display_url(root),
                        reason,
                    })?,
                )
            }
            None => None,
        };
        Ok(Self {
            lake: lake_place,
            lake_catalog: lake.map(|(_, name)| name.to_string()),
            catalog,
            allow_read: resolve(
                "--allow-read",
                config.map_or(&[][..], |c| c.allow_read.as_slice()),
            )?,
            allow_copy_to: resolve(
                "--allow-copy-to",
                config.map_or(&[][..], |c| c.allow_copy_to.as_slice()),
            )?,
            read_only,
        })
    }
}

/// How deep views may read views before the check gives up.
const MAX_VIEW_DEPTH: usize = 32;

/// The policy one engine view enforces: the server's places and one user's grants.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    places: Arc<Places>,
    user: Principal,
    /// Whether reads and writes are held to the lake and the allowed prefixes. Only an engine
    /// run by its own user (the embedded shell, in read-only mode) reaches everywhere.
    confined: bool,
}

/// What a place inside the lake is read as.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Read {
    /// The root of a Delta table: a table at the lake's root belongs to the default schema.
    TableRoot,
    /// Files or folders of files (an external table of CSV, Parquet or JSON).
    Files,
}

impl Policy {
    /// The policy of `user`, held to `places`.
    pub(crate) fn new(places: Arc<Places>, user: Principal) -> Self {
        Self {
            places,
            user,
            confined: true,
        }
    }

    /// The policy of an engine its own user runs, which may reach everywhere: only read-only
    /// mode, when `places` says so, restricts it.
    pub(crate) fn unconfined(places: Arc<Places>) -> Self {
        Self {
            places,
            user: Principal::admin("lakeshore"),
            confined: false,
        }
    }

    /// Whether this policy holds reads and writes to its places.
    pub(crate) fn confined(&self) -> bool {
        self.confined
    }

    /// The refusal of `what`, with why.
    fn denied(&self, what: impl Into<String>, why: impl Into<String>) -> EngineError {
        EngineError::PermissionDenied(Box::new(Refusal {
            user: self.user.name.clone(),
            role: self.user.role.as_str(),
            what: what.into(),
            why: why.into(),
        }))
    }

    /// Fails unless the user's role is `role` or above.
    pub(crate) fn require(&self, role: Role, what: &str) -> Result<()> {
        if self.user.role >= role {
            return Ok(());
        }
        let why = match role {
            Role::Reader => "",
            Role::Writer => "readers may run queries only; writers and admins may change the lake",
            Role::Admin => "only admins may do that",
        };
        Err(self.denied(what, why))
    }

    /// Whether the user may read the layer (schema) `layer` of the lake.
    pub(crate) fn may_read_layer(&self, layer: &str) -> bool {
        self.user.layers.allows(layer)
    }

    fn check_layer(&self, layer: &str, what: &str) -> Result<()> {
        if self.may_read_layer(layer) || layer.eq_ignore_ascii_case("information_schema") {
            return Ok(());
        }
        Err(self.denied(
            what,
            format!(
                "the layer {layer} is not among the layers granted to {} ({})",
                self.user.name, self.user.layers
            ),
        ))
    }

    /// The layer `reference` names, when it names a table of the lake's catalog.
    pub(crate) fn layer_of_name(
        &self,
        state: &SessionState,
        reference: &TableReference,
    ) -> Option<String> {
        let lake = self.places.lake_catalog.as_deref()?;
        let names = &state.config().options().catalog;
        let resolved = reference
            .clone()
            .resolve(&names.default_catalog, &names.default_schema);
        (resolved.catalog.as_ref() == lake).then(|| resolved.schema.to_string())
    }

    /// Fails unless the user may read the table `reference` names, by its layer.
    pub(crate) fn check_name(
        &self,
        state: &SessionState,
        reference: &TableReference,
    ) -> Result<()> {
        self.check_layer_of(state, reference, &format!("read {reference}"))
    }

    /// Fails, refusing `what`, when `reference` names a table in a layer the user may not
    /// read (and so may not change either).
    pub(crate) fn check_layer_of(
        &self,
        state: &SessionState,
        reference: &TableReference,
        what: &str,
    ) -> Result<()> {
        match self.layer_of_name(state, reference) {
            Some(layer) => self.check_layer(&layer, what),
            None => Ok(()),
        }
    }

    /// Fails unless `location` is inside the lake (in a layer the user may read, outside its
    /// hidden folders) or inside an `--allow-read` prefix.
    pub(crate) fn check_read(&self, location: &str, read: Read) -> Result<()> {
        if !self.confined {
            return Ok(());
        }
        let what = format!("read {location}");
        let place = Place::parse(location).map_err(|reason| self.denied(&what, reason))?;
        if let Some(lake) = &self.places.lake
            && let Some(inside) = place.below(lake)
        {
            return self.check_lake_read(inside, read, &what);
        }
        if self
            .places
            .allow_read
            .iter()
            .any(|prefix| place.below(prefix).is_some())
        {
            return Ok(());
        }
        Err(self.denied(
            what,
            "reads are allowed inside the lake and --allow-read prefixes only",
        ))
    }

    fn check_lake_read(&self, inside: &[String], read: Read, what: &str) -> Result<()> {
        if inside
            .iter()
            .any(|segment| segment.starts_with('_') || segment.starts_with('.'))
        {
            return Err(self.denied(
                what,
                "the lake's folders whose names start with _ or . hold no tables (logs, \
                 the catalog's definitions) and are not read by path",
            ));
        }
        match inside {
            [] if self.user.layers == Layers::All => Ok(()),
            [] => Err(self.denied(what, "it is the whole lake, beyond the layers granted")),
            [_] if read == Read::TableRoot => self.check_layer(DEFAULT_SCHEMA, what),
            [layer, ..] => self.check_layer(&sql_name(layer), what),
        }
    }

    /// Fails unless a Delta table at `location` may be written: writes go into the lake only.
    pub(crate) fn check_lake_write(&self, location: &str, what: &str) -> Result<()> {
        if !self.confined {
            return Ok(());
        }
        let place = Place::parse(location).map_err(|reason| self.denied(what, reason))?;
        match self.places.lake.as_ref().and_then(|lake| place.below(lake)) {
            Some(inside) => self.check_lake_read(inside, Read::TableRoot, what),
            None => Err(self.denied(
                what,
                format!(
                    "{location} is outside the lake, and files are written through lake tables only"
                ),
            )),
        }
    }

    /// Fails unless `COPY ... TO location` may write there.
    pub(crate) fn check_copy_to(&self, location: &str) -> Result<()> {
        let what = format!("COPY TO {location}");
        self.require(Role::Writer, &what)?;
        if !self.confined {
            return Ok(());
        }
        let place = Place::parse(location).map_err(|reason| self.denied(&what, reason))?;
        if self
            .places
            .allow_copy_to
            .iter()
            .any(|prefix| place.below(prefix).is_some())
        {
            return Ok(());
        }
        Err(self.denied(
            what,
            "COPY TO writes only into --allow-copy-to prefixes; tables of the lake are written \
             with CREATE TABLE AS and INSERT",
        ))
    }

    /// Fails unless the user may `SET` (or `RESET`) `variable`.
    pub(crate) fn check_set(&self, variable: &str) -> Result<()> {
        if is_session_setting(variable) {
            return Ok(());
        }
        self.require(Role::Admin, &format!("SET {variable}"))
            .map_err(|_| {
                self.denied(
                    format!("SET {variable}"),
                    "only admins may set engine options; every user may set the default catalog \
                 and schema, the time zone, lakeshore.max_staleness and display options",
                )
            })
    }

    /// Checks what the parsed `statement` reads, before anything is read: the tables it names
    /// (by layer), the views among them (what they read, recursively, with their names
    /// resolved in the view's schema), and the tables given by path or name to the functions
    /// that read Delta tables.
    pub(crate) async fn check_statement(
        &self,
        state: &SessionState,
        statement: &Statement,
    ) -> Result<()> {
        if let Some(catalog) = &self.places.catalog {
            // Views other processes defined since: their definitions are checked too.
            catalog.refresh_objects_named_by(state, statement).await?;
        }
        self.check_reads(state, statement, 0)
    }

    fn check_reads(&self, state: &SessionState, statement: &Statement, depth: usize) -> Result<()> {
        self.check_references(state, statement)?;
        for reference in relations::tables_named_by(statement) {
            self.check_name(state, &reference)?;
            let Some((view_state, view)) = self.view_of(state, &reference) else {
                continue;
            };
            if depth >= MAX_VIEW_DEPTH {
                return Err(self.denied(
                    format!("read {reference}"),
                    format!("views nest more than {MAX_VIEW_DEPTH} deep"),
                ));
            }
            self.check_reads(&view_state, &view, depth + 1)
                .map_err(|error| through_view(error, &reference))?;
        }
        Ok(())
    }

    /// The view `reference` names, parsed, with the state its names resolve in.
    fn view_of(
        &self,
        state: &SessionState,
        reference: &TableReference,
    ) -> Option<(SessionState, Statement)> {
        let catalog = self.places.catalog.as_ref()?;
        let names = &state.config().options().catalog;
        let resolved = reference
            .clone()
            .resolve(&names.default_catalog, &names.default_schema);
        if resolved.catalog.as_ref() != catalog.name() {
            return None;
        }
        let (sql, default_schema) = catalog
            .objects()
            .view_definition(&resolved.schema, &resolved.table)?;
        let mut view_state = state.clone();
        let names = &mut view_state.config_mut().options_mut().catalog;
        names.default_catalog = catalog.name().to_string();
        names.default_schema = default_schema;
        // A definition that no longer parses cannot be read either; planning says why.
        let view = parse_statement(&view_state, &sql).ok()?;
        Some((view_state, view))
    }

    /// Checks what a parsed statement reads that its plan will not show: tables by path or
    /// name given to `delta_scan`, `delta_history`, `delta_detail`, `table_changes` and time
    /// travel. Done before anything is read, so even a missing path tells nothing.
    fn check_references(&self, state: &SessionState, statement: &Statement) -> Result<()> {
        let references = StatementReferences::of(statement);
        for location in &references.delta_scans {
            self.check_read(location, Read::TableRoot)?;
        }
        let targets = references
            .time_travels
            .iter()
            .map(|travel| &travel.target)
            .chain(references.histories.iter().map(|call| &call.target))
            .chain(references.details.iter().map(|call| &call.target))
            .chain(references.changes.iter().map(|call| &call.target));
        for target in targets {
            match target {
                TableTarget::Location(location) => self.check_read(location, Read::TableRoot)?,
                TableTarget::Name(name) => self.check_name(state, name)?,
            }
        }
        Ok(())
    }

    /// Fails unless the user may bulk-ingest into the lake table `table` (`[schema.]name`).
    pub(crate) fn check_ingest(&self, state: &SessionState, table: &str) -> Result<()> {
        let what = format!("ingest into {table}");
        if self.places.read_only {
            return Err(EngineError::ReadOnly(what));
        }
        self.require(Role::Writer, &what)?;
        self.check_layer_of(state, &TableReference::parse_str(table), &what)
    }

    /// Checks what the plan of a view reads, by location and through the views it reads.
    pub(crate) fn check_view(&self, view: &LogicalPlan) -> Result<()> {
        plan::check_view(self, view)
    }

    /// Checks a planned statement, with the views it reads: in read-only mode, first that it
    /// writes nothing.
    pub(crate) fn check_plan(&self, state: &SessionState, plan: &LogicalPlan) -> Result<()> {
        if self.places.read_only {
            refuse_writes(plan)?;
        }
        plan::check(self, state, plan)
    }
}

/// `error`, said to come through the view `view` when it is a refusal.
fn through_view(error: EngineError, view: &TableReference) -> EngineError {
    match error {
        EngineError::PermissionDenied(mut refusal) => {
            refusal.what = format!("{} through the view {view}", refusal.what);
            EngineError::PermissionDenied(refusal)
        }
        other => other,
    }
}

/// Settings that change only how the user's own session reads names, shows values or sees
/// freshness: every role may set them. The rest tune the engine (parallelism, memory, spill
/// folders, the parser, listing tables) and are for admins.
fn is_session_setting(variable: &str) -> bool {
    let variable = variable.trim().to_ascii_lowercase();
    matches!(
        variable.as_str(),
        "datafusion.catalog.default_catalog"
            | "datafusion.catalog.default_schema"
            | "datafusion.execution.time_zone"
            | "timezone"
            | "time zone"
            | "time_zone"
            | "lakeshore.max_staleness"
    ) || variable.starts_with("datafusion.format.")
        || variable.starts_with("datafusion.explain.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(lake: &std::path::Path, role: Role, layers: &str, allow_read: &[&str]) -> Policy {
        let root = Url::from_directory_path(std::fs::canonicalize(lake).unwrap()).unwrap();
        let config = AccessConfig {
            allow_read: allow_read.iter().map(|s| s.to_string()).collect(),
            allow_copy_to: Vec::new(),
        };
        let places = Places::new(Some((&root, "lake")), Some(&config)).unwrap();
        Policy::new(
            Arc::new(places),
            Principal {
                name: "alice".to_string(),
                role,
                layers: Layers::parse(layers),
            },
        )
    }

    #[test]
    fn reads_inside_the_lake_follow_layer_grants() {
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path().join("lake");
        std::fs::create_dir_all(lake.join("gold/t")).unwrap();
        std::fs::create_dir_all(lake.join("bronze/t")).unwrap();
        let analyst = policy(&lake, Role::Reader, "gold,silver", &[]);
        let lake = lake.to_str().unwrap();
        analyst
            .check_read(&format!("{lake}/gold/t"), Read::TableRoot)
            .unwrap();
        let refused = analyst
            .check_read(&format!("{lake}/bronze/t"), Read::TableRoot)
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("user alice (reader) may not read"),
            "{refused}"
        );
        assert!(refused.contains("bronze"), "{refused}");
        // The lake's hidden folders (the catalog's definitions, users files) are never read.
        let everyone = policy(std::path::Path::new(lake), Role::Admin, "*", &[]);
        assert!(
            everyone
                .check_read(&format!("{lake}/_lakeshore/x.json"), Read::Files)
                .is_err()
        );
        assert!(
            everyone
                .check_read(&format!("{lake}/gold/t/_delta_log/0.json"), Read::Files)
                .is_err()
        );
    }

    #[test]
    fn reads_outside_need_an_allow_read_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path().join("lake");
        let shared = dir.path().join("shared");
        std::fs::create_dir_all(&lake).unwrap();
        std::fs::create_dir_all(&shared).unwrap();
        let shared_text = shared.to_str().unwrap().to_string();
        let user = policy(&lake, Role::Admin, "*", &[&shared_text]);
        user.check_read(&format!("{shared_text}/x.csv"), Read::Files)
            .unwrap();
        user.check_read(&format!("file://{shared_text}/x.csv"), Read::Files)
            .unwrap();
        for outside in [
            "/etc/passwd".to_string(),
            format!("{shared_text}2/x.csv"),
            format!("{shared_text}/../lake2/x.csv"),
            "s3://bucket/x".to_string(),
        ] {
            let refused = user.check_read(&outside, Read::Files).unwrap_err();
            assert!(
                matches!(refused, EngineError::PermissionDenied(_)),
                "{outside}: {refused}"
            );
        }
    }

    #[test]
    fn roles_and_settings() {
        let dir = tempfile::tempdir().unwrap();
        let reader = policy(dir.path(), Role::Reader, "*", &[]);
        assert!(reader.require(Role::Writer, "INSERT").is_err());
        reader
            .check_set("datafusion.catalog.default_schema")
            .unwrap();
        reader.check_set("DATAFUSION.EXECUTION.TIME_ZONE").unwrap();
        let refused = reader
            .check_set("datafusion.execution.target_partitions")
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("SET datafusion.execution.target_partitions"),
            "{refused}"
        );
        let admin = policy(dir.path(), Role::Admin, "*", &[]);
        admin
            .check_set("datafusion.execution.target_partitions")
            .unwrap();
        // No --allow-copy-to: COPY TO is refused, even to admins, even into the lake.
        assert!(admin.check_copy_to(dir.path().to_str().unwrap()).is_err());
    }

    #[test]
    fn layer_lists_parse() {
        assert_eq!(Layers::parse("*"), Layers::All);
        assert_eq!(Layers::parse(""), Layers::All);
        assert!(Layers::parse("Gold, silver").allows("gold"));
        assert!(!Layers::parse("gold,silver").allows("bronze"));
    }
}
