//! The harness's one error type: anything that stops a benchmark case.

use std::time::Duration;

/// Why a benchmark case could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A local file or process operation failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// A broker (mosquitto or the simulator) could not be started or used.
    #[error("broker: {0}")]
    Broker(String),
    /// The MQTT client under test (nwp500 or the bare baseline) failed.
    #[error("client: {0}")]
    Client(String),
    /// Something expected did not happen in time.
    #[error("timed out after {after:?} waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long it was awaited.
        after: Duration,
    },
    /// A child process misbehaved or reported garbage.
    #[error("child process: {0}")]
    Child(String),
}

/// Result of a benchmark step.
pub type BenchResult<T> = Result<T, BenchError>;

impl BenchError {
    /// A client error from anything displayable.
    pub fn client(e: impl std::fmt::Display) -> Self {
        Self::Client(e.to_string())
    }

    /// A timeout waiting for `what`.
    pub fn timeout(what: impl Into<String>, after: Duration) -> Self {
        Self::Timeout {
            what: what.into(),
            after,
        }
    }
}

/// Awaits `fut` for at most `after`, naming `what` in the error.
pub async fn within<T>(
    after: Duration,
    what: &str,
    fut: impl std::future::Future<Output = T>,
) -> BenchResult<T> {
    tokio::time::timeout(after, fut)
        .await
        .map_err(|_| BenchError::timeout(what, after))
}
