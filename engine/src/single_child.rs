//! The one child of a plan node or expression that takes exactly one, as DataFusion hands it
//! back to `with_new_children`.

use datafusion::common::internal_err;
use datafusion::error::Result;

/// The only element of `children`; an internal error naming `node` if there is not exactly
/// one.
pub(crate) fn single_child<T>(mut children: Vec<T>, node: &str) -> Result<T> {
    match (children.pop(), children.is_empty()) {
        (Some(child), true) => Ok(child),
        _ => internal_err!("{node} takes exactly one input"),
    }
}
