//! Delivering once what arrives twice during a planned handover.
//!
//! While two links are subscribed to the same filters, the broker delivers every
//! message once on each. [`OverlapDeduper`] pairs the copies up: a message from one link
//! whose twin (same topic, same payload) arrived from the other link within `window`
//! is the second copy and is dropped; anything else is delivered and remembered.
//!
//! Matching pairs, rather than dropping every repeat, keeps the count right: a status
//! the device really sends twice arrives twice on each link, and is delivered twice. The
//! window (given with each overlap) is shorter than the time between the new link's
//! SUBACK and the old link's close, so a message only one link received (before the new link subscribed, or after
//! the old one closed) is forgotten before it could be taken for the twin of a later one.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::time::Duration;

use tokio::time::Instant;

/// Beyond this many remembered messages, expired ones are swept on every arrival.
const SWEEP_ABOVE: usize = 256;

/// Pairs up the copies of each message during a handover's overlap.
#[derive(Debug)]
pub(crate) struct OverlapDeduper {
    window: Duration,
    /// The two generations subscribed at once, while an overlap lasts.
    pair: Option<(u64, u64)>,
    /// Arrival instants of unmatched messages, per (generation, fingerprint).
    unmatched: HashMap<(u64, u64), VecDeque<Instant>>,
    dropped: u64,
}

impl OverlapDeduper {
    pub(crate) fn new() -> Self {
        Self {
            window: Duration::ZERO,
            pair: None,
            unmatched: HashMap::new(),
            dropped: 0,
        }
    }

    /// Generations `old` and `new` are both subscribed from now on; a message waits
    /// `window` for its twin.
    pub(crate) fn begin(&mut self, old: u64, new: u64, window: Duration) {
        self.pair = Some((old, new));
        self.window = window;
        self.unmatched.clear();
    }

    /// Only one link is left: every message is delivered again, nothing remembered.
    pub(crate) fn end(&mut self) {
        self.pair = None;
        self.unmatched = HashMap::new();
    }

    /// Second copies dropped so far.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Whether a message of `generation` arriving `now` is to be delivered.
    pub(crate) fn admit(
        &mut self,
        generation: u64,
        topic: &str,
        payload: &[u8],
        now: Instant,
    ) -> bool {
        let Some((old, new)) = self.pair else {
            return true;
        };
        let other = match generation {
            g if g == old => new,
            g if g == new => old,
            _ => return true,
        };
        if self.unmatched.len() > SWEEP_ABOVE {
            self.sweep(now);
        }
        let fingerprint = fingerprint(topic, payload);
        let window = self.window;
        if let Some(twins) = self.unmatched.get_mut(&(other, fingerprint)) {
            while twins
                .front()
                .is_some_and(|at| now.saturating_duration_since(*at) > window)
            {
                twins.pop_front();
            }
            if twins.pop_front().is_some() {
                if twins.is_empty() {
                    self.unmatched.remove(&(other, fingerprint));
                }
                self.dropped = self.dropped.saturating_add(1);
                return false;
            }
        }
        self.unmatched
            .entry((generation, fingerprint))
            .or_default()
            .push_back(now);
        true
    }

    fn sweep(&mut self, now: Instant) {
        let window = self.window;
        self.unmatched.retain(|_, arrivals| {
            arrivals.retain(|at| now.saturating_duration_since(*at) <= window);
            !arrivals.is_empty()
        });
    }
}

fn fingerprint(topic: &str, payload: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    topic.hash(&mut hasher);
    payload.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);
    const WINDOW: Duration = Duration::from_secs(1);

    fn deduper() -> OverlapDeduper {
        let mut d = OverlapDeduper::new();
        d.begin(1, 2, WINDOW);
        d
    }

    #[tokio::test(start_paused = true)]
    async fn each_message_is_delivered_once_whichever_link_is_first() {
        let mut d = deduper();
        let t = Instant::now();
        assert!(d.admit(1, "st", b"a", t));
        assert!(!d.admit(2, "st", b"a", t + MS));
        assert!(d.admit(2, "st", b"b", t + 2 * MS));
        assert!(!d.admit(1, "st", b"b", t + 3 * MS));
        assert_eq!(d.dropped(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_repeat_the_device_really_sent_is_delivered_as_often_as_it_was_sent() {
        let mut d = deduper();
        let t = Instant::now();
        // Two identical statuses, each arriving on both links, interleaved.
        let arrivals = [(1, 0), (2, 1), (1, 2), (2, 3)];
        let delivered = arrivals
            .iter()
            .filter(|(g, ms)| d.admit(*g, "st", b"same", t + Duration::from_millis(*ms)))
            .count();
        assert_eq!(delivered, 2);
        // And both copies on one link before either on the other.
        let mut d = deduper();
        let arrivals = [(1, 0), (1, 1), (2, 2), (2, 3)];
        let delivered = arrivals
            .iter()
            .filter(|(g, ms)| d.admit(*g, "st", b"same", t + Duration::from_millis(*ms)))
            .count();
        assert_eq!(delivered, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_message_only_one_link_got_is_forgotten_after_the_window() {
        let mut d = deduper();
        let t = Instant::now();
        // Before the new link subscribed: only the old one gets it.
        assert!(d.admit(1, "st", b"x", t));
        // The same status sent again later, well after the window: both copies count once.
        let later = t + WINDOW + 10 * MS;
        assert!(d.admit(2, "st", b"x", later));
        assert!(!d.admit(1, "st", b"x", later + MS));
    }

    #[tokio::test(start_paused = true)]
    async fn topics_payloads_and_other_generations_are_kept_apart() {
        let mut d = deduper();
        let t = Instant::now();
        assert!(d.admit(1, "a", b"x", t));
        assert!(d.admit(2, "b", b"x", t), "another topic");
        assert!(d.admit(2, "a", b"y", t), "another payload");
        assert!(d.admit(7, "a", b"x", t), "not in the overlap");
        assert!(!d.admit(2, "a", b"x", t));
    }

    #[tokio::test(start_paused = true)]
    async fn outside_an_overlap_everything_is_delivered() {
        let mut d = OverlapDeduper::new();
        let t = Instant::now();
        assert!(d.admit(1, "a", b"x", t));
        assert!(d.admit(2, "a", b"x", t));
        d.begin(1, 2, WINDOW);
        d.end();
        assert!(d.admit(1, "a", b"x", t));
        assert!(d.admit(2, "a", b"x", t));
        assert_eq!(d.dropped(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn memory_stays_bounded_under_a_stream_of_unmatched_messages() {
        let mut d = deduper();
        let t = Instant::now();
        for i in 0..10_000u64 {
            let payload = i.to_le_bytes();
            assert!(d.admit(1, "st", &payload, t + Duration::from_millis(i * 10)));
        }
        assert!(
            d.unmatched.len() <= SWEEP_ABOVE + 101,
            "{}",
            d.unmatched.len()
        );
    }
}
