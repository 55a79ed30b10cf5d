//! Errors of the Subscriptions actor.

use crate::connection::{Cause, RequestError};
use crate::registry::FilterError;

/// A handler could not be registered (nothing was registered).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistrationError {
    /// The topic filter is not valid MQTT.
    #[error("invalid topic filter")]
    InvalidFilter(#[from] FilterError),
    /// The operating system refused a thread for a callback handler.
    #[error("cannot start a callback thread")]
    CallbackThread(#[source] Cause),
    /// The client is disconnected: its subscriptions actor has stopped.
    #[error("the client is disconnected")]
    Stopped,
}

/// A [`Replay`](super::Replay) did not get every filter acknowledged. The registry is
/// unchanged; the Reconnector should count the attempt as failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("subscription replay incomplete: {restored} restored, {failed} not restored ({cause})")]
pub struct ReplayError {
    /// Filters acknowledged.
    pub restored: usize,
    /// Filters refused or unacknowledged.
    pub failed: usize,
    /// The first link-level failure seen.
    pub cause: RequestError,
}
