//! Table functions whose results are loaded before planning: `delta_history`, `delta_detail`
//! and `table_changes`.
//!
//! DataFusion calls table functions synchronously while planning, but reading a Delta log is
//! I/O. So the engine reads what a statement's calls ask for first (see
//! [`super::StatementReferences`] and [`super::DeltaReads`]), and the function hands out what
//! was read for the same arguments.

use std::collections::{HashMap, VecDeque};
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::Arc;

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::error::{DataFusionError, Result};
use datafusion::sql::sqlparser::ast::FunctionArg;
use parking_lot::Mutex;

use super::target::Literal;

/// How many results (and old snapshots) are kept between statements.
const KEPT: usize = 64;

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
}

/// A table function that serves what was loaded for its calls.
#[derive(Debug)]
pub(crate) struct PreloadedFunction<C: FunctionCall> {
    loaded: Mutex<RecentlyUsed<C, Arc<dyn TableProvider>>>,
}

impl<C: FunctionCall> PreloadedFunction<C> {
    pub(crate) fn new() -> Self {
        Self {
            loaded: Mutex::new(RecentlyUsed::new()),
        }
    }

    /// Records the result of `call`, for planning.
    pub(crate) fn loaded(&self, call: C, result: Arc<dyn TableProvider>) {
        self.loaded.lock().insert(call, result);
    }
}

impl<C: FunctionCall> TableFunctionImpl for PreloadedFunction<C> {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let call = match Literal::all_of_exprs(args.exprs()) {
            Some(literals) => C::from_literals(&literals),
            None => C::from_literals(&[]),
        }
        .map_err(DataFusionError::Plan)?;
        self.loaded.lock().get(&call).ok_or_else(|| {
            DataFusionError::Plan(format!(
                "{}(...) was not loaded: run the statement through Engine::execute",
                C::NAME
            ))
        })
    }
}

/// A map that keeps the `KEPT` entries used last.
#[derive(Debug)]
pub(crate) struct RecentlyUsed<K, V> {
    entries: HashMap<K, V>,
    order: VecDeque<K>,
}

impl<K: Clone + Eq + Hash, V: Clone> RecentlyUsed<K, V> {
    pub(crate) fn new() -> Self {
        Self {
            entries: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    pub(crate) fn get(&mut self, key: &K) -> Option<V> {
        let value = self.entries.get(key).cloned()?;
        self.touch(key);
        Some(value)
    }

    pub(crate) fn insert(&mut self, key: K, value: V) {
        if self.entries.insert(key.clone(), value).is_none() {
            self.order.push_back(key);
            while self.order.len() > KEPT {
                if let Some(oldest) = self.order.pop_front() {
                    self.entries.remove(&oldest);
                }
            }
        } else {
            self.touch(&key);
        }
    }

    fn touch(&mut self, key: &K) {
        if let Some(position) = self.order.iter().position(|k| k == key) {
            self.order.remove(position);
            self.order.push_back(key.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_entry_goes_first() {
        let mut kept = RecentlyUsed::new();
        for n in 0..KEPT {
            kept.insert(n, n);
        }
        assert_eq!(kept.get(&0), Some(0));
        kept.insert(KEPT, KEPT);
        assert_eq!(kept.get(&0), Some(0), "0 was used lately");
        assert_eq!(kept.get(&1), None, "1 was the least recently used");
    }
}
