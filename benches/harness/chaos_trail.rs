//! The slowest samples of the chaos soak with what the client did meanwhile, so a miss can
//! be traced to the step that took the time (a probe, a backoff, a renewal, a deadline).

use std::time::{Duration, Instant};

use nwp500::events::Event;

use crate::fleet::Timeline;
use crate::stats::fmt_duration;

/// Longest reason kept per event (reasons are redacted but can be long).
const REASON_CHARS: usize = 70;

/// One client's events from `from` to `to`, as offsets from `zero`:
/// `+1.02 s reconnect_scheduled unreachable 0.98 s (reason)`.
pub fn trail(timeline: &Timeline, zero: Instant, from: Instant, to: Instant) -> String {
    let offset = |at: Instant| {
        if at >= zero {
            format!("+{:.2} s", (at - zero).as_secs_f64())
        } else {
            format!("−{:.2} s", (zero - at).as_secs_f64())
        }
    };
    timeline
        .events()
        .into_iter()
        .filter(|(at, _)| *at >= from && *at <= to)
        .map(|(at, e)| match e {
            Event::ReconnectScheduled {
                class,
                delay,
                reason,
                attempt,
                ..
            } => format!(
                "{} scheduled #{attempt} {class} in {} ({})",
                offset(at),
                fmt_duration(delay),
                reason.chars().take(REASON_CHARS).collect::<String>()
            ),
            e => format!("{} {}", offset(at), e.name()),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The `n` longest of `samples` (wait, description), longest first.
pub fn slowest(mut samples: Vec<(Duration, String)>, n: usize) -> Vec<(Duration, String)> {
    samples.sort_by_key(|s| std::cmp::Reverse(s.0));
    samples.truncate(n);
    samples
}
