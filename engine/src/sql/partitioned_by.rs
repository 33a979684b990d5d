//! `CREATE TABLE t PARTITIONED BY (a, b) AS SELECT ...` (Databricks' and Hive's syntax): the
//! parser reads the clause, DataFusion refuses it, so we take it off the statement first.

use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{HiveDistributionStyle, Statement};

/// Removes `PARTITIONED BY (...)` from a `CREATE TABLE` statement and returns the column names,
/// normalised as DataFusion normalises identifiers (unquoted names lower-cased).
pub(crate) fn take_partition_columns(statement: &mut DFStatement) -> Vec<String> {
    let DFStatement::Statement(inner) = statement else {
        return Vec::new();
    };
    let Statement::CreateTable(create) = inner.as_mut() else {
        return Vec::new();
    };
    let HiveDistributionStyle::PARTITIONED { columns } = &create.hive_distribution else {
        return Vec::new();
    };
    let names = columns
        .iter()
        .map(|column| match column.name.quote_style {
            Some(_) => column.name.value.clone(),
            None => column.name.value.to_lowercase(),
        })
        .collect();
    create.hive_distribution = HiveDistributionStyle::NONE;
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::parser::DFParser;

    fn taken(sql: &str) -> (Vec<String>, String) {
        let mut statement = DFParser::parse_sql(sql).unwrap().pop_front().unwrap();
        let columns = take_partition_columns(&mut statement);
        (columns, statement.to_string())
    }

    #[test]
    fn partition_columns_are_taken_off_create_table() {
        let (columns, rest) =
            taken("CREATE TABLE gold.t PARTITIONED BY (Region, \"Day\") AS SELECT 1 AS region");
        assert_eq!(columns, vec!["region".to_string(), "Day".to_string()]);
        assert!(!rest.contains("PARTITIONED"), "{rest}");
    }

    #[test]
    fn other_statements_are_left_alone() {
        assert!(taken("SELECT 1").0.is_empty());
        assert!(taken("CREATE TABLE t AS SELECT 1").0.is_empty());
    }
}
