//! What the policy decides, and how callers describe a failed attempt to it.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What kind of connection attempt: the first one, or one of the two tiers of
/// reconnection the policy chooses between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AttemptKind {
    /// The first connection of the client, or one the application asked for
    /// (`Client::retry`). The policy never schedules one.
    Initial,
    /// Close the old transport, renew credentials only if they are stale, connect.
    Quick,
    /// Close the old transport, force a credential renewal (refresh, falling back to
    /// sign-in), restart the Connection actor, connect.
    Deep,
}

impl AttemptKind {
    /// `"initial"`, `"quick"` or `"deep"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Initial => "initial",
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
    /// Whether that renewal is owed whatever happened meanwhile: the retry after an
    /// authorization rejection, or a renewal an earlier attempt could not do. A deep
    /// attempt's own renewal is not: one renewal per outage serves every connection of
    /// a pool.
    pub renewal_owed: bool,
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

/// Why the link went down or an attempt failed: the class carried by
/// `reconnect_scheduled` events, and what the supervisor watches while it waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FailureKind {
    /// The established link was lost (drop, kick, half-open link, server cut).
    Interrupted,
    /// The endpoint did not serve a connection: refused, reset, timeout, DNS or TLS
    /// failure, a connection closed during the TLS or WebSocket handshake, an upgrade
    /// answer other than 101 and 401/403 (e.g. 502/503/504), CONNACK 3 (server
    /// unavailable) or another refusal code, a connection closed before CONNACK. An
    /// outage: the reachability probe watches for its end.
    Unreachable,
    /// The transport refused our credentials (upgrade 401/403, CONNACK 4 "bad user name
    /// or password" or 5 "not authorized"): renew them before the next attempt.
    AuthRejected,
    /// Credentials or the device list could not be obtained (the REST API was
    /// unreachable or failing). An outage of the API: the probe watches it.
    Credentials,
    /// Connected, but the restore (resubscription, queue flush) failed or the link was
    /// lost before it completed.
    Restore,
    /// Anything else (a peer actor gone).
    Other,
}

impl FailureKind {
    /// `"unreachable"`, `"auth_rejected"`, … (the serialised name).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Interrupted => "interrupted",
            Self::Unreachable => "unreachable",
            Self::AuthRejected => "auth_rejected",
            Self::Credentials => "credentials",
            Self::Restore => "restore",
            Self::Other => "other",
        }
    }

    /// Whether this failure is an outage whose end the reachability probe can see (the
    /// endpoint, or the REST API, did not answer as a healthy one does).
    pub fn is_outage(self) -> bool {
        matches!(self, Self::Unreachable | Self::Credentials)
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
