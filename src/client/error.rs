//! Errors of the client facade.

use crate::auth::AuthError;
use crate::config::ConfigError;
use crate::connection::{RequestError, SettingsError};
use crate::protocol::{CommandError, IdError, MacAddress};
use crate::rest::RestError;

/// What can go wrong when starting or using a [`Client`](super::Client).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The MQTT settings derived from the configuration are invalid.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// Sign-in failed (see [`ClientError::is_invalid_credentials`]). Its message says
    /// which operation failed ("sign-in failed: …").
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// A REST call failed (device list, ...). Its message names the endpoint.
    #[error(transparent)]
    Rest(#[from] RestError),
    /// A command was refused before anything was sent (bad parameter, missing capability).
    #[error(transparent)]
    Command(#[from] CommandError),
    /// An identifier (client id, MAC) is not usable in topics.
    #[error(transparent)]
    Id(#[from] IdError),
    /// The device is not one this client monitors (shown redacted).
    #[error("unknown device {0}")]
    UnknownDevice(MacAddress),
    /// The MQTT request failed (acknowledgement timeout, not connected with queueing off).
    #[error(transparent)]
    Request(#[from] RequestError),
    /// The device did not report its capabilities in time (needed for a gated command).
    #[error("no feature report from the device within {0:?}")]
    FeatureTimeout(std::time::Duration),
    /// An actor of the client is gone (the client was disconnected or its system stopped).
    #[error("the {0} actor is not running")]
    Unavailable(&'static str),
    /// The client's own thread could not be started.
    #[error("cannot start the client's thread")]
    Startup(#[source] std::io::Error),
    /// The client's own thread ended before the client had started.
    #[error("the client's thread ended before the client started")]
    ThreadEnded,
}

impl ClientError {
    /// Whether the server rejected the account's e-mail/password (fatal; retrying
    /// risks locking the account).
    pub fn is_invalid_credentials(&self) -> bool {
        match self {
            Self::Auth(e) => e.is_fatal(),
            Self::Rest(RestError::Auth { source, .. }) => source.is_fatal(),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::auth::AuthOperation;

    use crate::error_chain::tests::chain;

    /// A report that prints every level (as `anyhow` and `eyre` do) says each thing once.
    #[test]
    fn no_level_of_an_error_chain_repeats_the_next() {
        let errors = [
            ClientError::from(AuthError::Decode {
                operation: AuthOperation::SignIn,
                status: 200,
                source: crate::api::AnswerError::Missing { member: "data" },
            }),
            ClientError::Startup(std::io::Error::other("no more threads")),
            ClientError::from(RequestError::Timeout {
                after: std::time::Duration::from_secs(5),
            }),
            ClientError::from(CommandError::from(
                crate::protocol::ValidationError::OutOfRange {
                    field: "temperature",
                    value: 2.0,
                    min: 0.0,
                    max: 1.0,
                },
            )),
        ];
        for error in errors {
            let levels = chain(&error);
            for pair in levels.windows(2) {
                assert!(
                    !pair[0].contains(&pair[1]),
                    "{:?} repeats its source {:?}",
                    pair[0],
                    pair[1]
                );
            }
            assert!(!levels[0].is_empty());
            let whole = levels.join(": ");
            assert!(!whole.contains("sign-in: sign-in"), "{whole}");
        }
    }
}
