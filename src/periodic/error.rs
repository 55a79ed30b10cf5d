//! Errors of the PeriodicRequests actor.

/// A schedule was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PollingError {
    /// The interval was zero.
    #[error("polling interval must be greater than zero")]
    ZeroInterval,
}
