//! Errors of the connection layer. Messages never contain credentials, signed URLs or
//! topics (topics carry device MACs).

use std::time::Duration;

/// Why a connection attempt (`Connect`) did not reach CONNACK.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// TCP + TLS + upgrade + CONNACK did not finish within the connect timeout.
    #[error("connect timed out after {after:?}")]
    Timeout {
        /// The bound that elapsed.
        after: Duration,
    },
    /// Network-level failure: refused, unreachable, reset, name resolution.
    #[error("network error: {message}")]
    Network {
        /// Description from the OS / transport.
        message: String,
    },
    /// The WebSocket upgrade was answered with an HTTP error status; 403 means the
    /// presigned credentials were not accepted.
    #[error("WebSocket upgrade rejected with HTTP {status}")]
    UpgradeRejected {
        /// HTTP status code.
        status: u16,
    },
    /// The broker answered CONNACK with a refusal code.
    #[error("CONNACK refused with code {code} ({})", connack_code_name(*code))]
    Refused {
        /// The MQTT 3.1.1 return code (1–5).
        code: u8,
    },
    /// TLS setup or handshake failed.
    #[error("TLS error: {message}")]
    Tls {
        /// Description.
        message: String,
    },
    /// Anything else (protocol violations, invalid request, unexpected packets).
    #[error("connection failed: {message}")]
    Other {
        /// Description.
        message: String,
    },
    /// The attempt was cancelled by a newer `Connect`, a `Close` or an actor restart.
    #[error("connect attempt cancelled")]
    Cancelled,
    /// The Connection actor is gone.
    #[error("connection actor stopped")]
    ActorStopped,
}

/// Coarse class of a [`ConnectError`], for the reconnect policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectErrorKind {
    /// The endpoint did not serve a connection, in any form: refused, reset, timeout,
    /// DNS or TLS failure, closed during a handshake, an HTTP error other than 401/403 at
    /// the upgrade (502/503/504 during incidents), CONNACK 1–3, closed before CONNACK.
    /// An outage: its end is watched for.
    Unreachable,
    /// The credentials were refused: HTTP 401/403 at the upgrade, CONNACK 4 (bad user
    /// name or password) or 5 (not authorized). Renew them.
    AuthRejected,
    /// Cancelled on purpose; not a failure of the link.
    Cancelled,
}

/// The MQTT 3.1.1 name of a CONNACK return code.
pub(crate) fn connack_code_name(code: u8) -> &'static str {
    match code {
        0 => "accepted",
        1 => "unacceptable protocol version",
        2 => "identifier rejected",
        3 => "server unavailable",
        4 => "bad user name or password",
        5 => "not authorized",
        _ => "unknown code",
    }
}

impl ConnectError {
    /// The class of this error.
    pub fn kind(&self) -> ConnectErrorKind {
        match self {
            Self::UpgradeRejected { status: 401 | 403 } | Self::Refused { code: 4 | 5 } => {
                ConnectErrorKind::AuthRejected
            }
            Self::Cancelled | Self::ActorStopped => ConnectErrorKind::Cancelled,
            Self::Timeout { .. }
            | Self::Network { .. }
            | Self::UpgradeRejected { .. }
            | Self::Refused { .. }
            | Self::Tls { .. }
            | Self::Other { .. } => ConnectErrorKind::Unreachable,
        }
    }

    /// Whether the credentials were refused (upgrade 401/403, CONNACK 4 or 5).
    pub fn is_auth_rejection(&self) -> bool {
        self.kind() == ConnectErrorKind::AuthRejected
    }
}

/// The acknowledged operation kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// PUBLISH awaiting PUBACK.
    Publish,
    /// SUBSCRIBE awaiting SUBACK.
    Subscribe,
    /// UNSUBSCRIBE awaiting UNSUBACK.
    Unsubscribe,
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Publish => "PUBACK",
            Self::Subscribe => "SUBACK",
            Self::Unsubscribe => "UNSUBACK",
        })
    }
}

/// Why a live generation ended (carried by `Interrupted`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The transport failed (I/O error, broker closed the connection, missed PINGRESP
    /// detected by rumqttc, protocol error).
    #[error("transport failed: {message}")]
    Transport {
        /// Description.
        message: String,
    },
    /// An acknowledgement did not arrive within the operation timeout: half-open link.
    #[error("no {operation} within {after:?} (half-open link)")]
    AckTimeout {
        /// Which acknowledgement was missing.
        operation: Operation,
        /// The bound that elapsed.
        after: Duration,
    },
    /// A PINGRESP did not arrive within the ping timeout.
    #[error("no PINGRESP within {after:?}")]
    PingTimeout {
        /// The bound that elapsed.
        after: Duration,
    },
}

/// Why a publish / subscribe / unsubscribe / flush request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// No live link (and, for publishes, queueing is disabled).
    #[error("not connected")]
    NotConnected,
    /// The acknowledgement did not arrive within the operation timeout.
    #[error("no acknowledgement within {after:?}")]
    Timeout {
        /// The bound that elapsed.
        after: Duration,
    },
    /// The generation ended before the acknowledgement arrived.
    #[error("link interrupted before the acknowledgement")]
    Interrupted,
    /// The request channel into the MQTT client was full.
    #[error("request channel full")]
    Busy,
    /// The topic or filter is not valid MQTT.
    #[error("invalid topic or filter")]
    InvalidTopic,
    /// The broker refused the subscription.
    #[error("refused by the broker")]
    Rejected,
    /// A flush is already running.
    #[error("a flush is already running")]
    FlushInProgress,
    /// The Connection actor is gone.
    #[error("connection actor stopped")]
    ActorStopped,
}
