//! An aggregate a query computes more than once, on the same reads, is computed once.
//!
//! SQL has no way to name a result twice but a common table expression, and DataFusion copies
//! a CTE into each place that names it: TPC-H Q15 compares each supplier's revenue with the
//! largest of them, and read and grouped lineitem's quarter twice for it. DuckDB materializes
//! such a CTE; so does this planner, for repeated aggregates only (an aggregate's result is
//! small beside what it reads; a repeated bare scan is better read twice than held).
//!
//! Two aggregates are the same when their plans are equal and every table they read is the
//! same source object: DataFusion resolves each table a statement names once, so two names of
//! one table share a source, and two versions of it (time travel) do not. After
//! `scan_names`, equal plans already read the same sources; the sources are compared all the
//! same, since sharing two different reads would be a wrong answer with no error. An
//! aggregate with a volatile function (`random()`) is never shared.
//!
//! Sharing is planned per statement ([`SharingQueryPlanner`]), so the results live as long as
//! the statement's plan.

mod exec;

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::tree_node::{Transformed, TreeNodeRecursion};
use datafusion::common::{DFSchemaRef, Result};
use datafusion::execution::context::QueryPlanner;
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::{
    Expr, Extension, LogicalPlan, TableSource, UserDefinedLogicalNode, UserDefinedLogicalNodeCore,
};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_planner::{DefaultPhysicalPlanner, ExtensionPlanner, PhysicalPlanner};

use exec::{SharedResults, SharedSubplanExec};

/// The query planner of a local session: DataFusion's, after marking each aggregate that a
/// statement computes more than once.
#[derive(Debug, Default)]
pub(crate) struct SharingQueryPlanner;

#[async_trait]
impl QueryPlanner for SharingQueryPlanner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session: &dyn Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let marked = mark_repeated_aggregates(logical_plan)?;
        DefaultPhysicalPlanner::with_extension_planners(vec![Arc::new(SharedSubplanPlanner)])
            .create_physical_plan(&marked, session)
            .await
    }
}

/// `plan` with each aggregate that appears more than once wrapped in a [`SharedSubplan`], the
/// copies of one aggregate holding the same [`SharedResults`]. An aggregate inside a repeated
/// one is left as it is: its results are shared with the outer one's.
fn mark_repeated_aggregates(plan: &LogicalPlan) -> Result<LogicalPlan> {
    let mut aggregates: Vec<LogicalPlan> = Vec::new();
    plan.apply_with_subqueries(|node| {
        if matches!(node, LogicalPlan::Aggregate(_)) && !volatile(node)? {
            aggregates.push(node.clone());
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    let mut groups: Vec<(LogicalPlan, Arc<SharedResults>)> = Vec::new();
    for (index, aggregate) in aggregates.iter().enumerate() {
        let repeated = aggregates[index + 1..]
            .iter()
            .any(|other| same_reads(aggregate, other));
        if repeated && !groups.iter().any(|(known, _)| same_reads(known, aggregate)) {
            groups.push((aggregate.clone(), Arc::new(SharedResults::default())));
        }
    }
    if groups.is_empty() {
        return Ok(plan.clone());
    }
    let marked = plan.clone().transform_down_with_subqueries(|node| {
        let Some((_, results)) = groups.iter().find(|(known, _)| same_reads(known, &node)) else {
            return Ok(Transformed::no(node));
        };
        results.add_use();
        let shared = SharedSubplan {
            input: node,
            results: Arc::clone(results),
        };
        let wrapped = LogicalPlan::Extension(Extension {
            node: Arc::new(shared),
        });
        Ok(Transformed::new(wrapped, true, TreeNodeRecursion::Jump))
    })?;
    Ok(marked.data)
}

/// Whether an expression of `plan` or of a plan under it calls a volatile function.
fn volatile(plan: &LogicalPlan) -> Result<bool> {
    let mut found = false;
    plan.apply_with_subqueries(|node| {
        node.apply_expressions(|expr| {
            found = expr.is_volatile();
            Ok(if found {
                TreeNodeRecursion::Stop
            } else {
                TreeNodeRecursion::Continue
            })
        })?;
        Ok(if found {
            TreeNodeRecursion::Stop
        } else {
            TreeNodeRecursion::Continue
        })
    })?;
    Ok(found)
}

/// Whether `a` and `b` compute the same rows: equal plans whose table scans, in order, read the
/// same source objects (plans compare scans by table name, not by source).
fn same_reads(a: &LogicalPlan, b: &LogicalPlan) -> bool {
    a == b
        && match (sources(a), sources(b)) {
            (Ok(a), Ok(b)) => {
                a.len() == b.len() && a.iter().zip(&b).all(|(a, b)| Arc::ptr_eq(a, b))
            }
            _ => false,
        }
}

/// The sources of `plan`'s table scans, its subqueries' included, in the order of a walk.
fn sources(plan: &LogicalPlan) -> Result<Vec<Arc<dyn TableSource>>> {
    let mut sources = Vec::new();
    plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            sources.push(Arc::clone(&scan.source));
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(sources)
}

/// One use of an aggregate a statement computes more than once.
#[derive(Debug, Clone)]
struct SharedSubplan {
    input: LogicalPlan,
    results: Arc<SharedResults>,
}

impl PartialEq for SharedSubplan {
    fn eq(&self, other: &Self) -> bool {
        self.input == other.input && Arc::ptr_eq(&self.results, &other.results)
    }
}

impl Eq for SharedSubplan {}

impl std::hash::Hash for SharedSubplan {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.input.hash(state);
    }
}

impl PartialOrd for SharedSubplan {
    fn partial_cmp(&self, _other: &Self) -> Option<std::cmp::Ordering> {
        None
    }
}

impl UserDefinedLogicalNodeCore for SharedSubplan {
    fn name(&self) -> &str {
        "SharedSubplan"
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![&self.input]
    }

    fn schema(&self) -> &DFSchemaRef {
        self.input.schema()
    }

    fn expressions(&self) -> Vec<Expr> {
        Vec::new()
    }

    fn fmt_for_explain(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "SharedSubplan")
    }

    fn with_exprs_and_inputs(
        &self,
        _exprs: Vec<Expr>,
        mut inputs: Vec<LogicalPlan>,
    ) -> Result<Self> {
        Ok(Self {
            input: inputs.swap_remove(0),
            results: Arc::clone(&self.results),
        })
    }
}

/// Plans each [`SharedSubplan`] as a [`SharedSubplanExec`] over its own physical input.
struct SharedSubplanPlanner;

#[async_trait]
impl ExtensionPlanner for SharedSubplanPlanner {
    async fn plan_extension(
        &self,
        _planner: &dyn PhysicalPlanner,
        node: &dyn UserDefinedLogicalNode,
        _logical_inputs: &[&LogicalPlan],
        physical_inputs: &[Arc<dyn ExecutionPlan>],
        _session: &dyn Session,
        _planning_ctx: &PhysicalPlanningContext,
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        let (Some(shared), [input]) = (
            node.as_any().downcast_ref::<SharedSubplan>(),
            physical_inputs,
        ) else {
            return Ok(None);
        };
        Ok(Some(SharedSubplanExec::over(
            Arc::clone(input),
            Arc::clone(&shared.results),
        )))
    }
}
