//! Table functions whose results are read before planning: `delta_history`, `delta_detail`
//! and `table_changes`.
//!
//! DataFusion calls table functions synchronously while planning, but reading a Delta log is
//! I/O. So the engine reads what a statement's calls ask for first (see
//! [`super::StatementReferences`] and [`super::DeltaReads`]), and the function hands out what
//! the statement read for the same arguments and the same table.

use std::fmt::Debug;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::error::{DataFusionError, Result};
use datafusion::sql::sqlparser::ast::FunctionArg;

use super::statement_reads::{self, Read};
use super::target::{Literal, TableTarget};

/// What one call of a preloaded table function asks for, read from its literal arguments.
pub(crate) trait FunctionCall: Clone + Eq + Hash + Debug + Send + Sync + 'static {
    /// The function's SQL name.
    const NAME: &'static str;

    /// The call its arguments make, or why they make none (the message says how to call it).
    fn from_literals(args: &[Literal]) -> Result<Self, String>;

    /// The call a table factor's arguments make, when they are all literals.
    fn from_args(args: &[FunctionArg]) -> Option<Self> {
        let literals: Option<Vec<Literal>> = args.iter().map(Literal::of_arg).collect();
        Self::from_literals(&literals?).ok()
    }

    /// The table it reads.
    fn target(&self) -> &TableTarget;

    /// The same call of another table: the target resolved.
    fn with_target(self, target: TableTarget) -> Self;

    /// The statement's read of this call.
    fn into_read(self) -> Read;
}

/// A table function that serves what the running statement read for its calls.
#[derive(Debug)]
pub(crate) struct PreloadedFunction<C: FunctionCall> {
    call: PhantomData<C>,
}

impl<C: FunctionCall> PreloadedFunction<C> {
    pub(crate) fn new() -> Self {
        Self { call: PhantomData }
    }
}

impl<C: FunctionCall> TableFunctionImpl for PreloadedFunction<C> {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let call = match Literal::all_of_exprs(args.exprs()) {
            Some(literals) => C::from_literals(&literals),
            None => C::from_literals(&[]),
        }
        .map_err(DataFusionError::Plan)?;
        let names = &args.session().config_options().catalog;
        let target = statement_reads::resolved(call.target(), names)?;
        let shown = format!("{}('{target}')", C::NAME);
        statement_reads::taken(&call.with_target(target).into_read(), || shown)
    }
}
