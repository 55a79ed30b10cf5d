//! What the policy decides, and how callers describe a failed attempt to it.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The two tiers of reconnection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptKind {
    /// Close the old transport, renew credentials only if they are stale, connect.
    Quick,
    /// Close the old transport, force a credential renewal (refresh, falling back to
    /// sign-in), restart the Connection actor, connect.
    Deep,
}

impl AttemptKind {
    /// `"quick"` or `"deep"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Quick => "quick",
            Self::Deep => "deep",
        }
    }
}

impl fmt::Display for AttemptKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One scheduled connection attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    /// 1-based number of this attempt within the current attempt cycle (saturates
    /// at `u64::MAX`).
    pub number: u64,
    /// Quick or deep.
    pub kind: AttemptKind,
    /// How long to wait, counted from the `now` given to
    /// [`next_attempt`](super::ReconnectPolicy::next_attempt), before sending CONNECT.
    pub delay: Duration,
    /// Whether credentials must be renewed before connecting even if they look
    /// valid: always for a deep attempt, and for the one immediate retry that follows
    /// an authorization rejection of the transport.
    pub renew_credentials: bool,
}

/// The policy's answer to "what now?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Wait `delay`, then attempt.
    Attempt(Attempt),
    /// The attempt limit is reached: stop and report failure. Returned exactly once
    /// per exhausted cycle.
    GiveUp {
        /// Attempts made in the exhausted cycle.
        attempts: u64,
    },
    /// The policy already gave up; nothing is attempted until
    /// [`reset`](super::ReconnectPolicy::reset) or a successful connection.
    Stopped,
}

/// Why an attempt failed, as far as the policy cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// The broker could not be reached or the link died before CONNACK (DNS,
    /// refused, unreachable, TCP/TLS/WebSocket timeout, reset). The caller may probe
    /// reachability while waiting.
    Network,
    /// The transport refused our credentials (WebSocket upgrade 403, CONNACK "not
    /// authorized").
    AuthRejected,
    /// Credentials could not be obtained (auth server unreachable or failing).
    Credentials,
    /// Anything else (protocol error, unexpected CONNACK code, ...).
    Other,
}

impl FailureKind {
    /// Whether this failure happened at the network level, so that probing
    /// reachability can tell when the next attempt has a chance.
    pub fn is_network_level(self) -> bool {
        matches!(self, Self::Network)
    }
}
