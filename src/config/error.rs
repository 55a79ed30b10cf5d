//! The configuration error.

use thiserror::Error;

/// A configuration value was refused by
/// [`ClientConfigBuilder::build`](super::ClientConfigBuilder::build).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `option` holds a value outside what it accepts.
    #[error("invalid value {value} for option `{option}`: {expected}")]
    Invalid {
        /// The builder method / option name, e.g. `"deep_reconnect_every"`.
        option: &'static str,
        /// The refused value as text (`<redacted>` for secrets).
        value: String,
        /// What the option accepts.
        expected: &'static str,
    },
}

impl ConfigError {
    pub(crate) fn invalid(
        option: &'static str,
        value: impl Into<String>,
        expected: &'static str,
    ) -> Self {
        Self::Invalid {
            option,
            value: value.into(),
            expected,
        }
    }

    /// The name of the refused option.
    pub fn option(&self) -> &'static str {
        match self {
            Self::Invalid { option, .. } => option,
        }
    }
}
