//! The reconnect policy: a pure decision type that says when the next connection
//! attempt happens, whether it is quick or deep, and when to give up.
//!
//! [`ReconnectPolicy`] does no IO and reads no clock: every method that depends on
//! time takes `now` (a [`tokio::time::Instant`], normally from
//! [`crate::clock::Clock::now`]). Its randomness (jitter) comes from a seedable RNG.
//! The supervisor (Reconnector) owns one policy and feeds it the facts of the
//! connection's life:
//!
//! ```text
//! on_interrupted(now)            the link was lost
//! next_attempt(now) -> Decision  what to do next (attempt after `delay`, or give up)
//! on_connect_started(now)        a CONNECT is about to be sent (min-interval rule)
//! on_attempt_failed(failure)     the attempt failed (403s get special treatment)
//! on_connected(now)              CONNACK received
//! on_stable_check(now)           at `stable_at()`: resets the counter if still up
//! ```
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use nwp500::policy::{AttemptKind, Decision, PolicyConfig, ReconnectPolicy};
//!
//! let config = PolicyConfig { jitter: 0.0, ..PolicyConfig::default() };
//! let mut policy = ReconnectPolicy::with_seed(config, 7);
//! let now = tokio::time::Instant::now();
//! policy.on_interrupted(now);
//! match policy.next_attempt(now) {
//!     Decision::Attempt(a) => {
//!         assert_eq!(a.number, 1);
//!         assert_eq!(a.kind, AttemptKind::Quick);
//!         assert_eq!(a.delay, Duration::from_secs(1));
//!     }
//!     other => panic!("unexpected {other:?}"),
//! }
//! ```

mod config;
mod connect_spacing;
mod decision;
mod exponential;
mod handover;
mod reconnect;

#[cfg(test)]
mod tests;

pub use config::PolicyConfig;
pub use connect_spacing::{ConnectSpacing, DEFAULT_CONNECTS_PER_SECOND};
pub use decision::{Attempt, AttemptKind, Decision, FailureKind};
pub use handover::{HandoverConfig, HandoverPlan, HandoverRetry};
pub use reconnect::ReconnectPolicy;
