//! The tables a statement names, as written: what the layer grants are checked on, by name,
//! with the names resolved where they were written (a view's names in its own schema). A table
//! described (`DESCRIBE t`, `SHOW COLUMNS FROM t`) counts as read: its columns are what it
//! shows.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use datafusion::common::TableReference;
use datafusion::sql::parser::{CopyToSource, Statement as DFStatement};
use datafusion::sql::sqlparser::ast::{ObjectName, Query, Statement, TableFactor, Visit, Visitor};

/// The tables (not table functions, not common table expressions) `statement` reads by name.
pub(super) fn tables_named_by(statement: &DFStatement) -> Vec<TableReference> {
    let mut names = Names::default();
    names.collect(statement);
    names
        .tables
        .into_iter()
        .filter(|name| match name {
            TableReference::Bare { table } => !names.ctes.contains(table.as_ref()),
            _ => true,
        })
        .collect()
}

#[derive(Default)]
struct Names {
    tables: Vec<TableReference>,
    /// Names a `WITH` clause defines; a bare name among them is no table.
    ctes: BTreeSet<String>,
}

impl Names {
    fn add(&mut self, name: &ObjectName) {
        let reference = TableReference::parse_str(&name.to_string());
        if !self.tables.contains(&reference) {
            self.tables.push(reference);
        }
    }

    fn collect(&mut self, statement: &DFStatement) {
        // Visiting never breaks, so the result carries nothing.
        let _ = match statement {
            DFStatement::Statement(inner) => inner.visit(self),
            DFStatement::CopyTo(copy) => match &copy.source {
                CopyToSource::Query(query) => query.visit(self),
                CopyToSource::Relation(name) => {
                    self.tables
                        .push(TableReference::parse_str(&name.to_string()));
                    ControlFlow::Continue(())
                }
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

impl Visitor for Names {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                self.ctes.insert(cte.alias.name.value.to_lowercase());
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        if let TableFactor::Table {
            name, args: None, ..
        } = factor
        {
            self.add(name);
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<()> {
        let described = match statement {
            Statement::ExplainTable { table_name, .. } => Some(table_name),
            Statement::ShowColumns { show_options, .. } => show_options
                .show_in
                .as_ref()
                .and_then(|show_in| show_in.parent_name.as_ref()),
            _ => None,
        };
        if let Some(name) = described {
            self.add(name);
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::parser::DFParser;

    fn names(sql: &str) -> Vec<String> {
        let statement = DFParser::parse_sql(sql).unwrap().pop_front().unwrap();
        tables_named_by(&statement)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn tables_are_named_and_functions_and_ctes_are_not() {
        assert_eq!(
            names(
                "WITH recent AS (SELECT * FROM bronze.raw_orders) \
                 SELECT * FROM recent JOIN gold.summary ON true \
                 JOIN delta_scan('/x') d ON true WHERE EXISTS (SELECT 1 FROM \"Silver\".t)"
            ),
            ["bronze.raw_orders", "gold.summary", "Silver.t"]
        );
        assert_eq!(
            names("CREATE VIEW gold.v AS SELECT * FROM bronze.raw_orders"),
            ["bronze.raw_orders"]
        );
        assert_eq!(names("COPY bronze.t TO '/x.csv'"), ["bronze.t"]);
        assert_eq!(names("DESCRIBE bronze.t"), ["bronze.t"]);
        assert_eq!(names("SHOW COLUMNS FROM bronze.t"), ["bronze.t"]);
    }
}
