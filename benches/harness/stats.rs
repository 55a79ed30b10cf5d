//! Summaries of repeated measurements (min / median / p95 / max).

use std::time::Duration;

/// Order statistics of a sample of durations.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    /// Smallest value.
    pub min: Duration,
    /// Median (nearest rank).
    pub median: Duration,
    /// 95th percentile (nearest rank).
    pub p95: Duration,
    /// Largest value.
    pub max: Duration,
}

impl Summary {
    /// Summarises `samples`; `None` when empty.
    pub fn of(samples: &[Duration]) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort();
        Some(Self {
            min: sorted[0],
            median: nearest_rank(&sorted, 0.5),
            p95: nearest_rank(&sorted, 0.95),
            max: sorted[sorted.len() - 1],
        })
    }
}

/// The nearest-rank percentile `q` (0..=1) of an ascending, non-empty slice.
fn nearest_rank(sorted: &[Duration], q: f64) -> Duration {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Formats a duration with a unit suited to its size (µs, ms or s).
pub fn fmt_duration(d: Duration) -> String {
    let micros = d.as_secs_f64() * 1e6;
    if micros < 1_000.0 {
        format!("{micros:.0} µs")
    } else if micros < 1_000_000.0 {
        format!("{:.1} ms", micros / 1e3)
    } else {
        format!("{:.2} s", micros / 1e6)
    }
}

/// Formats a byte count in MiB.
pub fn fmt_mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Formats a count per second with thousands separators.
pub fn fmt_rate(per_second: f64) -> String {
    let whole = per_second.round().max(0.0) as u64;
    let digits = whole.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}
