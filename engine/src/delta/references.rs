//! What a statement needs before it can be planned: the tables it reads by path, the old
//! versions, histories, details and change feeds it reads, and whether it lists the catalog.

use std::ops::ControlFlow;

use datafusion::sql::parser::{CopyToSource, Statement as DFStatement};
use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, ObjectName, Statement, TableFactor, Value, Visit, Visitor,
};

use super::changes::{ChangesCall, TABLE_CHANGES};
use super::detail::{DELTA_DETAIL, DetailCall};
use super::history::{DELTA_HISTORY, HistoryCall};
use super::preloaded::FunctionCall;
use super::time_travel::TimeTravel;

/// The name of the table function that reads a Delta table by path.
pub(crate) const DELTA_SCAN: &str = "delta_scan";

#[derive(Debug, Default)]
pub(crate) struct StatementReferences {
    /// Locations given to `delta_scan('...')`, each once, in order of first appearance.
    pub delta_scans: Vec<String>,
    /// Tables read at an older version (`VERSION AS OF`, `delta_scan(.., version => n)`).
    pub time_travels: Vec<TimeTravel>,
    /// Calls of `delta_history`, `delta_detail` and `table_changes`.
    pub histories: Vec<HistoryCall>,
    pub details: Vec<DetailCall>,
    pub changes: Vec<ChangesCall>,
    /// The statement reads the catalog's listing (`SHOW TABLES`, `information_schema`), so the
    /// lake should be listed again first.
    pub lists_tables: bool,
}

impl StatementReferences {
    pub(crate) fn of(statement: &DFStatement) -> Self {
        let mut references = Self::default();
        references.collect(statement);
        references
    }

    fn collect(&mut self, statement: &DFStatement) {
        // Visiting never breaks, so the result carries nothing.
        let _ = match statement {
            DFStatement::Statement(inner) => inner.visit(self),
            DFStatement::CopyTo(copy) => match &copy.source {
                CopyToSource::Query(query) => query.visit(self),
                CopyToSource::Relation(name) => self.pre_visit_relation(name),
            },
            DFStatement::Explain(explain) => {
                self.collect(&explain.statement);
                ControlFlow::Continue(())
            }
            DFStatement::CreateExternalTable(_) | DFStatement::Reset(_) => {
                ControlFlow::Continue(())
            }
        };
    }
}

impl Visitor for StatementReferences {
    type Break = ();

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        if let Some(Ok(travel)) = TimeTravel::of_factor(factor) {
            push_new(&mut self.time_travels, travel);
        }
        if let TableFactor::Table {
            name,
            args: Some(args),
            ..
        } = factor
        {
            if last_part_is(name, DELTA_HISTORY) {
                push_call(&mut self.histories, &args.args);
            } else if last_part_is(name, DELTA_DETAIL) {
                push_call(&mut self.details, &args.args);
            } else if last_part_is(name, TABLE_CHANGES) {
                push_call(&mut self.changes, &args.args);
            }
        }
        if let TableFactor::Table {
            name,
            args: Some(args),
            ..
        } = factor
            && last_part_is(name, DELTA_SCAN)
            && let Some(location) = args.args.first().and_then(string_literal)
            && !self.delta_scans.contains(&location)
        {
            self.delta_scans.push(location);
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, name: &ObjectName) -> ControlFlow<()> {
        let names_information_schema = name.0.iter().any(|part| {
            part.as_ident()
                .is_some_and(|ident| ident.value.eq_ignore_ascii_case("information_schema"))
        });
        if names_information_schema {
            self.lists_tables = true;
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<()> {
        if matches!(
            statement,
            Statement::ShowTables { .. }
                | Statement::ShowColumns { .. }
                | Statement::ShowSchemas { .. }
        ) {
            self.lists_tables = true;
        }
        ControlFlow::Continue(())
    }
}

fn push_call<C: FunctionCall>(calls: &mut Vec<C>, args: &[FunctionArg]) {
    if let Some(call) = C::from_args(args) {
        push_new(calls, call);
    }
}

fn push_new<T: PartialEq>(items: &mut Vec<T>, item: T) {
    if !items.contains(&item) {
        items.push(item);
    }
}

fn last_part_is(name: &ObjectName, wanted: &str) -> bool {
    name.0
        .last()
        .and_then(|part| part.as_ident())
        .is_some_and(|ident| ident.value.eq_ignore_ascii_case(wanted))
}

/// The text of a `'string'` argument.
pub(crate) fn string_literal(arg: &FunctionArg) -> Option<String> {
    let FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(value))) = arg else {
        return None;
    };
    match &value.value {
        Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => Some(s.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::parser::DFParser;

    fn references(sql: &str) -> StatementReferences {
        let mut statements = DFParser::parse_sql(sql).unwrap();
        StatementReferences::of(&statements.pop_front().unwrap())
    }

    #[test]
    fn finds_delta_scan_locations_in_joins_and_subqueries() {
        let found = references(
            "SELECT * FROM delta_scan('/a') x JOIN (SELECT * FROM DELTA_SCAN('s3://b/t')) y ON true",
        );
        assert_eq!(
            found.delta_scans,
            vec!["/a".to_string(), "s3://b/t".to_string()]
        );
        assert!(!found.lists_tables);
    }

    #[test]
    fn a_location_read_twice_is_loaded_once() {
        let found = references("SELECT * FROM delta_scan('/a') x JOIN delta_scan('/a') y ON true");
        assert_eq!(found.delta_scans, vec!["/a".to_string()]);
    }

    #[test]
    fn finds_delta_scan_inside_copy_and_explain() {
        assert_eq!(
            references("COPY (SELECT * FROM delta_scan('/a')) TO '/tmp/x.parquet'").delta_scans,
            vec!["/a".to_string()]
        );
        assert_eq!(
            references("EXPLAIN SELECT * FROM delta_scan('/a')").delta_scans,
            vec!["/a".to_string()]
        );
    }

    #[test]
    fn finds_history_detail_changes_and_time_travel_calls() {
        let found = references(
            "SELECT * FROM delta_history('silver.t', 3) h JOIN delta_detail('/a') d ON true \
             JOIN table_changes('t', 1, '2024-05-01') c ON true \
             JOIN delta_scan('/b', version => 2) s ON true",
        );
        assert_eq!(found.histories.len(), 1);
        assert_eq!(found.histories[0].limit, Some(3));
        assert_eq!(found.details.len(), 1);
        assert_eq!(found.changes.len(), 1);
        assert_eq!(found.time_travels.len(), 1);
        assert_eq!(found.time_travels[0].target.to_string(), "/b");
        assert_eq!(found.delta_scans, vec!["/b".to_string()]);
    }

    #[test]
    fn catalog_listings_are_noticed() {
        assert!(references("SHOW TABLES").lists_tables);
        assert!(references("SELECT * FROM information_schema.tables").lists_tables);
        assert!(!references("SELECT 1").lists_tables);
    }
}
