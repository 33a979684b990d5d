//! What a statement needs before it can be planned: the tables it reads by path, and whether it
//! lists the catalog.

use std::ops::ControlFlow;

use datafusion::sql::parser::{CopyToSource, Statement as DFStatement};
use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, ObjectName, Statement, TableFactor, Value, Visit, Visitor,
};

/// The name of the table function that reads a Delta table by path.
pub(crate) const DELTA_SCAN: &str = "delta_scan";

#[derive(Debug, Default)]
pub(crate) struct StatementReferences {
    /// Locations given to `delta_scan('...')`, each once, in order of first appearance.
    pub delta_scans: Vec<String>,
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
    fn catalog_listings_are_noticed() {
        assert!(references("SHOW TABLES").lists_tables);
        assert!(references("SELECT * FROM information_schema.tables").lists_tables);
        assert!(!references("SELECT 1").lists_tables);
    }
}
