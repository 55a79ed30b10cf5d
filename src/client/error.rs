//! Errors of the client facade.

use crate::auth::AuthError;
use crate::config::ConfigError;
use crate::connection::{RequestError, SettingsError};
use crate::protocol::{CommandError, IdError};
use crate::rest::RestError;

/// What can go wrong when starting or using a [`Client`](super::Client).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The MQTT settings derived from the configuration are invalid.
    #[error("MQTT settings: {0}")]
    Settings(#[from] SettingsError),
    /// Sign-in failed (see [`ClientError::is_invalid_credentials`]). Its message says
    /// which operation failed ("sign-in failed: …").
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// A REST call failed (device list, ...). Its message names the endpoint.
    #[error(transparent)]
    Rest(#[from] RestError),
    /// A command was refused before anything was sent (bad parameter, missing capability).
    #[error("command: {0}")]
    Command(#[from] CommandError),
    /// An identifier (client id, MAC) is not usable in topics.
    #[error("identifier: {0}")]
    Id(#[from] IdError),
    /// The device is not one this client monitors.
    #[error("unknown device {0}")]
    UnknownDevice(String),
    /// The MQTT request failed (acknowledgement timeout, not connected with queueing off).
    #[error("MQTT: {0}")]
    Request(#[from] RequestError),
    /// The device did not report its capabilities in time (needed for a gated command).
    #[error("no feature report from the device within {0:?}")]
    FeatureTimeout(std::time::Duration),
    /// An actor of the client is gone (the client was disconnected or its system stopped).
    #[error("the {0} actor is not running")]
    Unavailable(&'static str),
    /// The actor system could not be started.
    #[error("cannot start the client: {0}")]
    Startup(String),
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
