//! Queries between their FlightInfo and their DoGet. The plan made to answer the FlightInfo is
//! kept a short while, so DoGet runs it instead of planning the query again; and a query
//! cancelled before its DoGet starts is remembered, so its DoGet ends CANCELLED.
//!
//! Both are bounded: a client may ask for FlightInfos it never fetches.

use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use datafusion::dataframe::DataFrame;
use lakeshore_engine::RequestWatch;
use lru::LruCache;

/// At most this many queries are remembered; beyond it the least recently asked for are
/// forgotten (their DoGet then plans again, and a cancellation of theirs is no longer possible).
const MAX_PENDING: NonZeroUsize = match NonZeroUsize::new(1024) {
    Some(bound) => bound,
    None => NonZeroUsize::MIN,
};

/// At most this many plans are kept (a plan holds the snapshots of the tables it reads).
const MAX_PLANS: usize = 64;

/// A plan older than this is dropped: its DoGet plans again and reads the tables as they are.
const PLAN_LIFETIME: Duration = Duration::from_secs(60);

/// What DoGet finds for a query.
pub enum Claim {
    /// Its plan, ready to run, and the store requests counted since planning began (boxed,
    /// like the entry it comes from: a plan is large).
    Planned(Box<DataFrame>, RequestWatch),
    /// It was cancelled before it started.
    Cancelled,
    /// Nothing (forgotten, or its plan dropped): plan it again.
    Unknown,
}

enum Pending {
    /// Boxed: a plan is large, and most entries soon hold none.
    Planned {
        plan: Box<DataFrame>,
        made: Instant,
        requests: RequestWatch,
    },
    /// Its plan was dropped; it may still be cancelled.
    Waiting,
    Cancelled,
}

/// The pending queries by id, least recently asked for first out.
pub struct PendingQueries {
    queries: Mutex<LruCache<String, Pending>>,
}

impl Default for PendingQueries {
    fn default() -> Self {
        Self {
            queries: Mutex::new(LruCache::new(MAX_PENDING)),
        }
    }
}

impl PendingQueries {
    /// Remembers `query_id`, whose DoGet may run `plan`; `requests` began with its planning.
    pub fn insert(&self, query_id: &str, plan: DataFrame, requests: RequestWatch) {
        let mut queries = self.lock();
        let now = Instant::now();
        // Past MAX_PENDING, the least recently used query is forgotten.
        queries.put(
            query_id.to_string(),
            Pending::Planned {
                plan: Box::new(plan),
                made: now,
                requests,
            },
        );
        drop_old_plans(&mut queries, now);
    }

    /// Takes what is known of `query_id`, as its DoGet starts.
    pub fn claim(&self, query_id: &str) -> Claim {
        match self.lock().pop(query_id) {
            Some(Pending::Planned {
                plan,
                made,
                requests,
            }) if made.elapsed() < PLAN_LIFETIME => Claim::Planned(plan, requests),
            Some(Pending::Cancelled) => Claim::Cancelled,
            Some(_) | None => Claim::Unknown,
        }
    }

    /// Cancels `query_id` if its DoGet has not started; false when it is not waiting.
    pub fn cancel(&self, query_id: &str) -> bool {
        match self.lock().get_mut(query_id) {
            Some(pending) => {
                *pending = Pending::Cancelled;
                true
            }
            None => false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<String, Pending>> {
        self.queries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Drops plans past their lifetime or beyond the newest [`MAX_PLANS`]; their queries stay, to
/// be cancelled or planned again.
fn drop_old_plans(queries: &mut LruCache<String, Pending>, now: Instant) {
    let mut plans = 0;
    // Most recently used first.
    for (_, pending) in queries.iter_mut() {
        if let Pending::Planned { made, .. } = pending {
            plans += 1;
            if plans > MAX_PLANS || now.duration_since(*made) >= PLAN_LIFETIME {
                *pending = Pending::Waiting;
            }
        }
    }
}
