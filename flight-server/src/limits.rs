//! How much the server takes on: a bounded number of queries at once, a bounded queue behind
//! them, a time limit per query, and the running queries by id so they can be cancelled.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use crate::error::{Result, ServerError};

pub struct QueryLimits {
    slots: Arc<Semaphore>,
    max_running: usize,
    max_queued: usize,
    queued: AtomicUsize,
    timeout: Option<Duration>,
    running: Mutex<HashMap<String, watch::Sender<bool>>>,
}

/// A query's place among the running ones: freed when dropped.
pub struct Admission {
    _slot: OwnedSemaphorePermit,
}

/// Becomes true when the query is cancelled.
pub type CancelSignal = watch::Receiver<bool>;

impl QueryLimits {
    pub fn new(max_running: usize, max_queued: usize, timeout: Option<Duration>) -> Self {
        let max_running = max_running.max(1);
        Self {
            slots: Arc::new(Semaphore::new(max_running)),
            max_running,
            max_queued,
            queued: AtomicUsize::new(0),
            timeout,
            running: Mutex::new(HashMap::new()),
        }
    }

    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Waits for a free slot, or refuses at once when the queue is full.
    pub async fn admit(&self) -> Result<Admission> {
        if let Ok(slot) = self.slots.clone().try_acquire_owned() {
            return Ok(Admission { _slot: slot });
        }
        let _waiting = QueuePlace::take(self)?;
        let slot = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ServerError::Internal("the server is shutting down".to_string()))?;
        Ok(Admission { _slot: slot })
    }

    /// Records `query_id` as running; the signal fires when someone cancels it.
    pub fn start(&self, query_id: &str) -> CancelSignal {
        let (sender, receiver) = watch::channel(false);
        self.lock_running().insert(query_id.to_string(), sender);
        receiver
    }

    /// Forgets `query_id` once it has ended.
    pub fn finish(&self, query_id: &str) {
        self.lock_running().remove(query_id);
    }

    /// Cancels `query_id`; false when no such query runs.
    pub fn cancel(&self, query_id: &str) -> bool {
        match self.lock_running().get(query_id) {
            Some(signal) => {
                signal.send_replace(true);
                true
            }
            None => false,
        }
    }

    /// Cancels every running query (at the end of a graceful shutdown).
    pub fn cancel_all(&self) {
        for signal in self.lock_running().values() {
            signal.send_replace(true);
        }
    }

    /// How many queries stream results now.
    pub fn running_count(&self) -> usize {
        self.lock_running().len()
    }

    /// How many queries and commands hold a slot now.
    pub fn admitted_count(&self) -> usize {
        self.max_running
            .saturating_sub(self.slots.available_permits())
    }

    /// How many queries wait for a slot now.
    pub fn queued_count(&self) -> usize {
        self.queued.load(Ordering::SeqCst)
    }

    fn lock_running(&self) -> std::sync::MutexGuard<'_, HashMap<String, watch::Sender<bool>>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A place in the queue, given back when the wait ends (or the waiting client goes away).
struct QueuePlace<'a> {
    queued: &'a AtomicUsize,
}

impl<'a> QueuePlace<'a> {
    fn take(limits: &'a QueryLimits) -> Result<Self> {
        let before = limits.queued.fetch_add(1, Ordering::SeqCst);
        let place = Self {
            queued: &limits.queued,
        };
        if before >= limits.max_queued {
            return Err(ServerError::Busy {
                running: limits.max_running,
                queued: before,
            });
        }
        Ok(place)
    }
}

impl Drop for QueuePlace<'_> {
    fn drop(&mut self) {
        self.queued.fetch_sub(1, Ordering::SeqCst);
    }
}
