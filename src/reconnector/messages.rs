//! Messages the application (through the client facade) sends to the Reconnector.

use actix::Message;

use crate::diagnostics::DiagnosticsSnapshot;

/// Start the connection loop (the initial connection). Ignored unless idle.
#[derive(Debug, Clone, Copy, Default, Message)]
#[rtype(result = "()")]
pub struct Start;

/// Leave the `Failed` phase (after `reconnection_failed`): a new attempt cycle starts at
/// once. Answers whether a cycle started (false in any other phase). After an
/// invalid-credentials failure, sign in again at the Auth actor first
/// (`auth::SignInAgain`), or the renewal fails the same way.
#[derive(Debug, Clone, Copy, Default, Message)]
#[rtype(result = "bool")]
pub struct Retry {
    /// Force a credential renewal before connecting. When false, credentials are
    /// renewed only if stale, so a retry works without the REST API while the AWS
    /// credentials are still valid.
    pub renew_credentials: bool,
}

/// Stop everything: cancel any backoff, probe, attempt or restore in progress, close
/// the transport (bounded by the operation timeout) and emit `Disconnected`. Terminal:
/// no attempt happens afterwards, and the Reconnector stops once it has answered
/// (later messages to it fail with `MailboxError::Closed`).
#[derive(Debug, Clone, Copy, Default, Message)]
#[rtype(result = "()")]
pub struct Disconnect;

/// Connection diagnostics (uptime, outages, longest outage, last error, counters).
#[derive(Debug, Clone, Copy, Default, Message)]
#[rtype(result = "DiagnosticsSnapshot")]
pub struct GetDiagnostics;

/// Why the supervisor stopped, while it is in the `Failed` phase (`None` otherwise).
#[derive(Debug, Clone, Copy, Default, Message)]
#[rtype(result = "Option<crate::events::FailureReason>")]
pub struct GetFailure;

/// The supervisor's current phase.
#[derive(Debug, Clone, Copy, Default, Message)]
#[rtype(result = "Phase")]
pub struct GetPhase;

/// Where the supervisor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Not started.
    Idle,
    /// Waiting out a backoff before the next attempt.
    Waiting,
    /// An attempt (close, credentials, connect) is in progress.
    Attempting,
    /// Connected; resubscribing and flushing the queue.
    Restoring,
    /// Connected and restored.
    Up,
    /// Stopped for good: invalid credentials or attempt limit.
    Failed,
    /// The application disconnected.
    Disconnected,
}
