//! Scans of different sources under one name get names of their own.
//!
//! DataFusion tells plans apart by comparing them, and compares a table scan by its table's
//! name, not by the source it reads. Where two scans of different sources share a name, plans
//! that differ compare equal, and DataFusion computes one in place of the other, with no
//! error: common-subexpression elimination merges two subqueries, and the physical planner
//! runs one scalar subquery for two. Every table function's scan is named after the function
//! alone, so `SELECT (SELECT count(*) FROM delta_scan('a')), (SELECT count(*) FROM
//! delta_scan('b'))` answered `a`'s count twice, and `generate_series(1, 3)` and
//! `generate_series(1, 5)` counted alike.
//!
//! This analyzer rule, the first to run, renames each such scan `name#1`, `name#2`, ... by
//! source, under an alias of its old name, so that the columns above it keep their names.
//! Scans of one source keep one name: they read the same rows.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNodeRecursion};
use datafusion::common::{Result, TableReference};
use datafusion::logical_expr::{LogicalPlan, SubqueryAlias, TableScanBuilder, TableSource};
use datafusion::optimizer::AnalyzerRule;

/// The analyzer rule described in the module documentation.
#[derive(Debug, Default)]
pub(crate) struct DistinctScanNames;

impl AnalyzerRule for DistinctScanNames {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        let shared = names_of_several_sources(&plan)?;
        if shared.is_empty() {
            return Ok(plan);
        }
        plan.transform_up_with_subqueries(|node| {
            let LogicalPlan::TableScan(scan) = &node else {
                return Ok(Transformed::no(node));
            };
            let Some(number) = shared.get(&scan.table_name).and_then(|sources| {
                sources
                    .iter()
                    .position(|source| Arc::ptr_eq(source, &scan.source))
            }) else {
                return Ok(Transformed::no(node));
            };
            let own = TableScanBuilder::new(
                TableReference::bare(format!("{}#{}", scan.table_name, number + 1)),
                Arc::clone(&scan.source),
            )
            .with_projection(scan.projection.clone())
            .with_filters(scan.filters.clone())
            .with_fetch(scan.fetch)
            .build()?;
            let aliased = SubqueryAlias::try_new(
                Arc::new(LogicalPlan::TableScan(own)),
                scan.table_name.clone(),
            )?;
            Ok(Transformed::yes(LogicalPlan::SubqueryAlias(aliased)))
        })
        .map(|renamed| renamed.data)
    }

    fn name(&self) -> &str {
        "distinct_scan_names"
    }
}

/// Each scan name of `plan` (its subqueries' included) under which more than one source is
/// read, with those sources in the order they are met.
fn names_of_several_sources(
    plan: &LogicalPlan,
) -> Result<HashMap<TableReference, Vec<Arc<dyn TableSource>>>> {
    let mut sources: HashMap<TableReference, Vec<Arc<dyn TableSource>>> = HashMap::new();
    plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            let known = sources.entry(scan.table_name.clone()).or_default();
            if !known.iter().any(|source| Arc::ptr_eq(source, &scan.source)) {
                known.push(Arc::clone(&scan.source));
            }
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    sources.retain(|_, sources| sources.len() > 1);
    Ok(sources)
}
