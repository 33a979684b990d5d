//! Running one thing at the prompt so that Ctrl-C stops it: the work is dropped (a query's
//! stream with it, which stops the query and frees its memory) and the prompt comes back.

use std::future::Future;

/// `work`'s result, or `None` when Ctrl-C came first.
pub async fn until_ctrl_c<T>(work: impl Future<Output = T>) -> Option<T> {
    tokio::select! {
        result = work => Some(result),
        _ = tokio::signal::ctrl_c() => None,
    }
}
