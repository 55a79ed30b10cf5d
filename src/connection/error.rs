//! Errors of the connection layer. Messages never contain credentials, signed URLs or
//! topics (topics carry device MACs).

use std::error::Error;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A lower layer's error (the OS, TLS, WebSocket, MQTT), shared so the errors that carry it
/// stay `Clone`. Transparent: it displays as the error it holds and reports that error's
/// source as its own. Equal when both display the same (the comparison tests need).
#[derive(Clone)]
pub struct Cause(Arc<dyn Error + Send + Sync>);

impl Cause {
    /// Wraps an error.
    pub fn new(error: impl Error + Send + Sync + 'static) -> Self {
        Self(Arc::new(error))
    }

    /// The error held.
    pub fn get(&self) -> &(dyn Error + Send + Sync + 'static) {
        &*self.0
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl Error for Cause {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.0.source()
    }
}

impl PartialEq for Cause {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.to_string() == other.to_string()
    }
}

impl Eq for Cause {}

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
    #[error("network error")]
    Network(#[source] Cause),
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
    #[error("TLS error")]
    Tls(#[source] Cause),
    /// The WebSocket layer failed (other than an HTTP status at the upgrade).
    #[error("WebSocket error")]
    WebSocket(#[source] Cause),
    /// The MQTT layer failed (protocol violation, invalid request).
    #[error("MQTT error")]
    Mqtt(#[source] Cause),
    /// The broker sent another packet than CONNACK first (not shown: it may carry a topic,
    /// and topics carry device MACs).
    #[error("unexpected packet before CONNACK")]
    UnexpectedPacket,
    /// The task that polls the transport ended before CONNACK.
    #[error("transport task ended before CONNACK")]
    TransportEnded,
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
            | Self::Network(_)
            | Self::UpgradeRejected { .. }
            | Self::Refused { .. }
            | Self::Tls(_)
            | Self::WebSocket(_)
            | Self::Mqtt(_)
            | Self::UnexpectedPacket
            | Self::TransportEnded => ConnectErrorKind::Unreachable,
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
    #[error("transport failed")]
    Transport(#[source] Cause),
    /// The task that polls the transport ended.
    #[error("transport task ended")]
    TransportEnded,
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
