//! Which workers are worth planning on: every worker of the cluster, but those lost lately.
//!
//! A worker is lost when a channel to it cannot connect or breaks mid-query. New queries are
//! planned and routed on the others for a while; then it is tried again, since an operator
//! may have restarted it. The count of losses tells the engine that a failed query lost a
//! worker, and may run again on the rest (see `lakeshore_engine::distributed::Distribution`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use url::Url;

/// How long a lost worker is left out of new queries before it is tried again.
const LEFT_OUT_FOR: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
pub(crate) struct WorkerHealth {
    /// When each worker (`HOST:PORT`) was last lost.
    lost_at: Mutex<HashMap<String, Instant>>,
    losses: AtomicU64,
}

impl WorkerHealth {
    pub(crate) fn lose(&self, worker: &str) {
        self.lost_at().insert(worker.to_string(), Instant::now());
        self.losses.fetch_add(1, Ordering::SeqCst);
    }

    /// How many times a worker was lost since the cluster was opened.
    pub(crate) fn losses(&self) -> u64 {
        self.losses.load(Ordering::SeqCst)
    }

    /// `workers` but those lost in the last [`LEFT_OUT_FOR`]; all of them when every one was,
    /// so that a query fails naming a worker rather than finding none to run on.
    pub(crate) fn live(&self, workers: &[Url]) -> Vec<Url> {
        let lost_at = self.lost_at();
        let live: Vec<Url> = workers
            .iter()
            .filter(|url| {
                lost_at
                    .get(&worker_name(url))
                    .is_none_or(|at| at.elapsed() >= LEFT_OUT_FOR)
            })
            .cloned()
            .collect();
        if live.is_empty() {
            workers.to_vec()
        } else {
            live
        }
    }

    fn lost_at(&self) -> MutexGuard<'_, HashMap<String, Instant>> {
        // The map is whole after any insert, so a panic elsewhere leaves nothing to repair.
        self.lost_at.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A worker as messages name it: `HOST:PORT`.
pub(crate) fn worker_name(url: &Url) -> String {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(texts: &[&str]) -> Vec<Url> {
        texts
            .iter()
            .filter_map(|text| Url::parse(text).ok())
            .collect()
    }

    #[test]
    fn a_lost_worker_is_left_out_and_counted() {
        let health = WorkerHealth::default();
        let workers = urls(&["http://127.0.0.1:1001", "http://127.0.0.1:1002"]);
        assert_eq!(health.live(&workers), workers);
        health.lose("127.0.0.1:1002");
        assert_eq!(health.live(&workers), workers[..1]);
        assert_eq!(health.losses(), 1);
    }

    #[test]
    fn with_every_worker_lost_all_are_tried() {
        let health = WorkerHealth::default();
        let workers = urls(&["http://127.0.0.1:1001", "http://127.0.0.1:1002"]);
        health.lose("127.0.0.1:1001");
        health.lose("127.0.0.1:1002");
        assert_eq!(health.live(&workers), workers);
        assert_eq!(health.losses(), 2);
    }
}
