//! Latency summaries: percentiles over recorded samples.

use serde::Serialize;
use std::time::Duration;

/// p50/p95/p99 (and friends) of a set of latencies, in microseconds.
#[derive(Debug, Clone, Copy, Serialize, Default)]
pub struct Summary {
    /// Number of samples.
    pub n: usize,
    /// Median.
    pub p50_us: f64,
    /// 95th percentile.
    pub p95_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// Mean.
    pub mean_us: f64,
    /// Largest sample.
    pub max_us: f64,
}

/// Nearest-rank percentile of sorted `samples` (`q` in 0..=1).
fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

impl Summary {
    /// Summarize `samples` (order does not matter).
    pub fn of(samples: &[Duration]) -> Self {
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let total: Duration = sorted.iter().sum();
        Self {
            n: sorted.len(),
            p50_us: us(percentile(&sorted, 0.50)),
            p95_us: us(percentile(&sorted, 0.95)),
            p99_us: us(percentile(&sorted, 0.99)),
            mean_us: if sorted.is_empty() {
                0.0
            } else {
                us(total) / sorted.len() as f64
            },
            max_us: sorted.last().copied().map(us).unwrap_or(0.0),
        }
    }
}

/// Milliseconds with three decimals, for tables.
pub fn ms(us: f64) -> String {
    format!("{:.3}", us / 1000.0)
}
