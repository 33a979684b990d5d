//! Summaries of timing samples: the median and the 90th percentile.

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
        let mut sorted = samples.to_vec();
        sorted.sort();
        let nearest_rank = |fraction: f64| {
            let rank = (fraction * sorted.len() as f64).ceil() as usize;
            sorted[rank.clamp(1, sorted.len()) - 1]
        };
        (!sorted.is_empty()).then(|| Self {
            median: nearest_rank(0.5),
            p90: nearest_rank(0.9),
            samples: sorted.len(),
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

/// A duration in milliseconds, with the precision a reader needs.
pub fn millis(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.1} ms")
    }
}
