//! The temperature unit preference.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The unit in which decoded temperatures are reported (protocol.md §6.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemperatureUnit {
    /// Degrees Fahrenheit (the default).
    #[default]
    Fahrenheit,
    /// Degrees Celsius.
    Celsius,
}

impl fmt::Display for TemperatureUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Fahrenheit => "fahrenheit",
            Self::Celsius => "celsius",
        })
    }
}

/// The text was not a temperature unit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown temperature unit (expected F, C, fahrenheit or celsius)")]
pub struct UnknownUnit;

impl FromStr for TemperatureUnit {
    type Err = UnknownUnit;

    /// Accepts `F`, `C`, `fahrenheit`, `celsius` (any case, optional `°`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().trim_start_matches('°').to_ascii_lowercase();
        match s.as_str() {
            "f" | "fahrenheit" => Ok(Self::Fahrenheit),
            "c" | "celsius" => Ok(Self::Celsius),
            _ => Err(UnknownUnit),
        }
    }
}
