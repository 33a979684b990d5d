//! Time travel: `FROM t VERSION AS OF 3`, `FROM t TIMESTAMP AS OF '2024-05-01 10:00:00'` and
//! `delta_scan('/data/t', version => 3)` / `delta_scan('/data/t', timestamp => '...')`.
//!
//! The engine reads each old snapshot a statement asks for before planning it (see
//! [`super::DeltaReads`]); [`TimeTravelPlanner`] then plans those table factors as scans of
//! what the statement read (see [`super::statement_reads`]).

use std::collections::HashSet;
use std::fmt;

use super::diagnosis::table_error;
use super::references::DELTA_SCAN;
use super::statement_reads::{self, Read};
use super::target::{Literal, TableTarget};
use crate::error::EngineError;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use datafusion::common::TableReference;
use datafusion::datasource::provider_as_source;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::LogicalPlanBuilder;
use datafusion::logical_expr::planner::{
    PlannedRelation, RelationPlanner, RelationPlannerContext, RelationPlanning,
};
use datafusion::sql::planner::object_name_to_table_reference;
use datafusion::sql::sqlparser::ast::{
    Expr as SqlExpr, FunctionArg, FunctionArgExpr, TableFactor, TableVersion,
};
use deltalake::{DeltaTable, DeltaTableError};
use object_store::ObjectStoreExt as _;

/// Which version of a table to read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum VersionSpec {
    Version(u64),
    /// The newest version committed at or before this time, as written.
    Timestamp(String),
}

impl fmt::Display for VersionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionSpec::Version(version) => write!(f, "v{version}"),
            VersionSpec::Timestamp(at) => write!(f, "{at}"),
        }
    }
}

/// One time-travelling table factor of a statement.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct TimeTravel {
    pub target: TableTarget,
    pub at: VersionSpec,
}

impl TimeTravel {
    /// The time travel `factor` asks for; `None` when it asks for none, an error when it asks
    /// in a way we cannot serve.
    pub(crate) fn of_factor(factor: &TableFactor) -> Option<Result<Self, String>> {
        let TableFactor::Table {
            name,
            args,
            version,
            ..
        } = factor
        else {
            return None;
        };
        match (args, version) {
            (None, Some(version)) => Some(by_name(name, version)),
            (Some(args), None)
                if name.to_string().eq_ignore_ascii_case(DELTA_SCAN)
                    && args
                        .args
                        .iter()
                        .any(|arg| !matches!(arg, FunctionArg::Unnamed(_))) =>
            {
                Some(by_location(&args.args))
            }
            _ => None,
        }
    }
}

fn by_name(
    name: &datafusion::sql::sqlparser::ast::ObjectName,
    version: &TableVersion,
) -> Result<TimeTravel, String> {
    let target = object_name_to_table_reference(name.clone(), true)
        .map_err(|e| e.strip_backtrace().to_string())?;
    let at = match version {
        TableVersion::VersionAsOf(expr) => version_number(Literal::of_sql(expr))?,
        TableVersion::TimestampAsOf(expr) => timestamp_text(expr)?,
        other => {
            return Err(format!(
                "{other} is not supported; use VERSION AS OF n or TIMESTAMP AS OF '...'"
            ));
        }
    };
    Ok(TimeTravel {
        target: TableTarget::Name(target),
        at,
    })
}

fn by_location(args: &[FunctionArg]) -> Result<TimeTravel, String> {
    let usage = format!(
        "{DELTA_SCAN} takes a location and one of version => n or timestamp => '...', as in \
         {DELTA_SCAN}('/data/t', version => 3)"
    );
    let (location, named) = match args {
        [location, named] => (location, named),
        _ => return Err(usage),
    };
    let Some(Literal::Text(location)) = Literal::of_arg(location) else {
        return Err(usage);
    };
    let FunctionArg::Named {
        name,
        arg: FunctionArgExpr::Expr(value),
        ..
    } = named
    else {
        return Err(usage);
    };
    let at = match name.value.to_ascii_lowercase().as_str() {
        "version" => version_number(Literal::of_sql(value))?,
        "timestamp" => timestamp_text(value)?,
        _ => return Err(usage),
    };
    Ok(TimeTravel {
        target: TableTarget::Location(location),
        at,
    })
}

fn version_number(literal: Option<Literal>) -> Result<VersionSpec, String> {
    match literal {
        Some(Literal::Integer(n)) if n >= 0 => Ok(VersionSpec::Version(n.unsigned_abs())),
        _ => Err("a version is a whole number, 0 or more".to_string()),
    }
}

/// `'2024-05-01 10:00:00'` or `TIMESTAMP '2024-05-01 10:00:00'`.
fn timestamp_text(expr: &SqlExpr) -> Result<VersionSpec, String> {
    let text = match expr {
        SqlExpr::TypedString(typed) => typed.value.value.clone().into_string(),
        other => match Literal::of_sql(other) {
            Some(Literal::Text(text)) => Some(text),
            _ => None,
        },
    };
    text.map(VersionSpec::Timestamp).ok_or_else(|| {
        "a timestamp is a string literal such as '2024-05-01 10:00:00' (UTC)".to_string()
    })
}

/// The instant a timestamp string names: RFC 3339 (`2024-05-01T10:00:00+02:00`), or a date and
/// time without a zone (`2024-05-01 10:00:00[.123]`, taken as UTC), or a date (its midnight UTC).
pub(crate) fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Some(at.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|at| at.and_utc())
}

/// Fails, naming the table and version, when a data file of `old` is gone, as VACUUM leaves old
/// versions: better than failing half-way through reading it. Files that `latest` also uses are
/// not looked at, so a version close to the latest costs few requests.
pub(crate) async fn check_data_files(
    name: &str,
    latest: &DeltaTable,
    old: &DeltaTable,
) -> Result<(), EngineError> {
    let failed = |e: &DeltaTableError| table_error(name, e);
    let shared: HashSet<String> = latest
        .snapshot()
        .map_err(|e| failed(&e))?
        .log_data()
        .iter()
        .map(|file| file.path().into_owned())
        .collect();
    let store = old.object_store();
    let snapshot = old.snapshot().map_err(|e| failed(&e))?;
    for file in snapshot.log_data().iter() {
        let path = file.path();
        if shared.contains(path.as_ref()) || path.contains("://") {
            continue;
        }
        match store.head(&file.object_store_path()).await {
            Ok(_) => {}
            Err(object_store::Error::NotFound { .. }) => {
                return Err(EngineError::Table {
                    table: name.to_string(),
                    reason: format!(
                        "version {} cannot be read: its data file {path} is gone (VACUUM deletes \
                         the files that only old versions use)",
                        snapshot.version()
                    ),
                });
            }
            Err(error) => {
                return Err(EngineError::Table {
                    table: name.to_string(),
                    reason: format!("cannot read its data file {path}: {error}"),
                });
            }
        }
    }
    Ok(())
}

/// Plans time-travelling table factors as scans of the snapshots the statement read for them.
#[derive(Debug)]
pub(crate) struct TimeTravelPlanner;

impl RelationPlanner for TimeTravelPlanner {
    fn plan_relation(
        &self,
        relation: TableFactor,
        context: &mut dyn RelationPlannerContext,
    ) -> Result<RelationPlanning> {
        let travel = match TimeTravel::of_factor(&relation) {
            None => return Ok(RelationPlanning::Original(Box::new(relation))),
            Some(travel) => travel.map_err(DataFusionError::Plan)?,
        };
        let names = &context.context_provider().options().catalog;
        let read = TimeTravel {
            target: statement_reads::resolved(&travel.target, names)?,
            at: travel.at.clone(),
        };
        let shown = format!("{} {}", read.target, read.at);
        let scan = statement_reads::taken(&Read::Version(read), || shown)?;
        let TableFactor::Table { alias, .. } = relation else {
            return Err(DataFusionError::Internal(
                "time travel applies to tables only".to_string(),
            ));
        };
        let name = match &travel.target {
            TableTarget::Name(name) => name.clone(),
            TableTarget::Location(_) => TableReference::bare(format!("{DELTA_SCAN}()")),
        };
        // DataFusion tells scans apart by name alone (not by provider), so two versions of one
        // table under one name would be merged by the optimizer into one. The scan gets a name
        // of its own version; the alias keeps the table's name for column references.
        let versioned = TableReference::bare(format!("{name}@{}", travel.at));
        let plan = LogicalPlanBuilder::scan(versioned, provider_as_source(scan), None)?
            .alias(name)?
            .build()?;
        Ok(RelationPlanning::Planned(Box::new(PlannedRelation::new(
            plan, alias,
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_read_in_the_usual_forms() {
        let expected = DateTime::parse_from_rfc3339("2024-05-01T10:00:00Z").unwrap();
        for text in [
            "2024-05-01 10:00:00",
            "2024-05-01T10:00:00",
            "2024-05-01 10:00",
            "2024-05-01T12:00:00+02:00",
        ] {
            assert_eq!(parse_timestamp(text), Some(expected.into()), "{text}");
        }
        assert_eq!(
            parse_timestamp("2024-05-01"),
            Some(
                DateTime::parse_from_rfc3339("2024-05-01T00:00:00Z")
                    .unwrap()
                    .into()
            )
        );
        assert_eq!(parse_timestamp("yesterday"), None);
    }
}
