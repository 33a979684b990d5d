//! Summaries of samples: the median and the 90th percentile, of timings and of counts.

use std::time::Duration;

/// The median and 90th percentile of a set of timings.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub median: Duration,
    pub p90: Duration,
    pub samples: usize,
}

impl Summary {
    /// `None` for no samples. Percentiles are nearest-rank, so each is a time actually measured
    /// (the median of an even count is the lower middle one).
    pub fn of(samples: &[Duration]) -> Option<Self> {
        let (median, p90) = median_and_p90(samples)?;
        Some(Self {
            median,
            p90,
            samples: samples.len(),
        })
    }

    /// Summarises samples given in milliseconds (as peers report them).
    pub fn of_millis(samples_ms: &[f64]) -> Option<Self> {
        let samples: Vec<Duration> = samples_ms
            .iter()
            .map(|ms| Duration::from_secs_f64(ms.max(0.0) / 1000.0))
            .collect();
        Self::of(&samples)
    }
}

/// The median and 90th percentile of counts (requests per query), taken as [`Summary`] takes
/// them, so a count's median belongs to the same kind of sample as a time's.
#[derive(Debug, Clone, Copy)]
pub struct CountSummary {
    pub median: u64,
    pub p90: u64,
    pub samples: usize,
}

impl CountSummary {
    /// `None` for no samples.
    pub fn of(samples: &[u64]) -> Option<Self> {
        let (median, p90) = median_and_p90(samples)?;
        Some(Self {
            median,
            p90,
            samples: samples.len(),
        })
    }
}

/// Nearest-rank median and 90th percentile; `None` for no samples.
fn median_and_p90<T: Ord + Copy>(samples: &[T]) -> Option<(T, T)> {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let nearest_rank = |fraction: f64| {
        let rank = (fraction * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    };
    (!sorted.is_empty()).then(|| (nearest_rank(0.5), nearest_rank(0.9)))
}

/// A duration in milliseconds, with the precision a reader needs.
pub fn millis(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.1} ms")
    }
}
