//! Error types of the protocol layer: one for building requests (validation and
//! capability gates), one for decoding incoming payloads, one for identifiers.

use std::fmt;

use thiserror::Error;

use super::feature::Capability;

/// A parameter failed validation (docs/protocol.md §5.3 parameter rules, §6, §9).
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// A value lies outside an inclusive range.
    #[error("{field} must be between {} and {} (got {})", Shown(*.min), Shown(*.max), Shown(*.value))]
    OutOfRange {
        /// The parameter's name.
        field: &'static str,
        /// The value given.
        value: f64,
        /// Inclusive lower bound.
        min: f64,
        /// Inclusive upper bound.
        max: f64,
    },
    /// A required parameter is missing or empty.
    #[error("{parameter} is required")]
    Missing {
        /// The parameter's name.
        parameter: &'static str,
    },
    /// A number is NaN or infinite.
    #[error("{field} must be a finite number")]
    NotFinite {
        /// The parameter's name.
        field: &'static str,
    },
    /// A weekday name that is neither a full English day name nor its two-letter form.
    #[error("unknown weekday: {value:?}")]
    UnknownWeekday {
        /// The text given.
        value: String,
    },
    /// The device's feature payload lacks a limit the command is validated against.
    #[error("the device did not report {field}, so the value cannot be validated")]
    LimitUnknown {
        /// Wire name of the missing feature field.
        field: &'static str,
    },
    /// A reservation hex string is not valid hexadecimal.
    #[error("invalid reservation hex string: {0}")]
    InvalidHex(String),
    /// A timestamp cannot be represented (before 1970 or beyond year 9999).
    #[error("timestamp out of range")]
    TimestampOutOfRange,
}

/// Formats a number without a trailing `.0` for whole values (messages only).
struct Shown(f64);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.fract() == 0.0 && self.0.abs() < 1e15 {
            write!(f, "{}", self.0 as i64)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// Why a command could not be built. Nothing is published when this is returned.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The command is gated (§5.3 "Gate") and no feature payload is known for the
    /// device yet: request it (code 16777217) and build the command again.
    #[error("feature information for the device is not known yet; cannot check {capability}")]
    FeatureUnknown {
        /// The capability the command needs.
        capability: Capability,
    },
    /// The device's feature payload says the capability is absent or off.
    #[error("device does not support {capability}")]
    Unsupported {
        /// The capability that is missing or false.
        capability: Capability,
    },
    /// A parameter is invalid.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
}

/// An incoming payload could not be decoded. The message should be logged and dropped.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not JSON, or JSON whose shape or field types do not match the protocol
    /// (for example a missing required status key).
    #[error("malformed payload")]
    Malformed(#[from] serde_json::Error),
}

/// An identifier is not usable in MQTT topics or payloads.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum IdError {
    /// Empty identifier.
    #[error("{kind} must not be empty")]
    Empty {
        /// Which identifier.
        kind: &'static str,
    },
    /// Contains a character that would break a topic (`/`, `+`, `#`, whitespace, control).
    #[error("{kind} contains a character not allowed in an MQTT topic level")]
    InvalidCharacter {
        /// Which identifier.
        kind: &'static str,
    },
    /// Longer than allowed.
    #[error("{kind} is longer than {max} characters")]
    TooLong {
        /// Which identifier.
        kind: &'static str,
        /// Maximum length.
        max: usize,
    },
    /// Not in the required format.
    #[error("{kind} must be {expected}")]
    Format {
        /// Which identifier.
        kind: &'static str,
        /// What the format is.
        expected: &'static str,
    },
}
