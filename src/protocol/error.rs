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
    #[error("invalid reservation hex string")]
    InvalidHex(#[source] HexError),
    /// A timestamp cannot be represented (before 1970 or beyond year 9999).
    #[error("timestamp out of range")]
    TimestampOutOfRange,
}

/// Why a reservation hex string does not decode: where, never the string itself
/// (it can be long).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum HexError {
    /// A character that is not a hexadecimal digit.
    #[error("the character at position {index} is not a hexadecimal digit")]
    NotADigit {
        /// Its position (0-based, in characters).
        index: usize,
    },
    /// An odd number of digits (two make a byte).
    #[error("odd number of digits ({len})")]
    OddLength {
        /// The number of digits.
        len: usize,
    },
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

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    use crate::error_chain::tests::chain;

    /// A report that prints every level says each thing once.
    #[test]
    fn no_level_of_an_error_chain_repeats_the_next() {
        for hex in [
            HexError::NotADigit { index: 3 },
            HexError::OddLength { len: 5 },
        ] {
            let e = CommandError::from(ValidationError::InvalidHex(hex));
            let levels = chain(&e);
            // `CommandError::Invalid` is transparent: the validation error is the top.
            assert_eq!(levels[0], "invalid reservation hex string", "{levels:?}");
            assert_eq!(levels.len(), 2, "{levels:?}");
            for pair in levels.windows(2) {
                assert!(!pair[0].contains(&pair[1]), "{levels:?}");
            }
            assert!(e.source().is_some());
        }
    }
}
