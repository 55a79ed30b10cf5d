//! Value encodings of temperatures, flow, volume and tank energy (docs/protocol.md §6.2–§6.5,
//! §6.8). Models keep the raw wire integers in these newtypes and convert on access.

use serde::{Deserialize, Deserializer, Serialize};

use super::enums::{TempFormulaType, TemperatureType};
use super::error::ValidationError;
use super::lenient::{Int, Num};

/// A unit system for presenting decoded values and for reading user input: the client's
/// one unit setting (docs/protocol.md §6.8). The default is US customary (°F), as the
/// reference client's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitSystem {
    /// °C, L/min, litres.
    Metric,
    /// °F, US gal/min, US gallons.
    #[default]
    UsCustomary,
}

impl std::fmt::Display for UnitSystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Metric => "metric",
            Self::UsCustomary => "us_customary",
        })
    }
}

/// The text was not a unit system.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown unit (expected C, F, celsius, fahrenheit, metric or us_customary)")]
pub struct UnknownUnit;

impl std::str::FromStr for UnitSystem {
    type Err = UnknownUnit;

    /// Accepts the temperature unit (`C`, `F`, `celsius`, `fahrenheit`, optional `°`) or
    /// the system's name (`metric`, `us_customary`, `us`), in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().trim_start_matches('°').to_ascii_lowercase();
        match s.as_str() {
            "c" | "celsius" | "metric" => Ok(Self::Metric),
            "f" | "fahrenheit" | "us_customary" | "us" => Ok(Self::UsCustomary),
            _ => Err(UnknownUnit),
        }
    }
}

impl UnitSystem {
    /// The temperature unit's symbol (`°C` / `°F`).
    pub fn temperature_symbol(self) -> &'static str {
        match self {
            Self::Metric => "°C",
            Self::UsCustomary => "°F",
        }
    }
}

/// Which unit system to decode into (§6.8): fixed, or the device's own display unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum UnitPreference {
    /// Follow the payload's `temperatureType` (1 → metric, 2 → US customary; absent or
    /// unknown → US customary, as upstream).
    #[default]
    Device,
    /// Always this system.
    Fixed(UnitSystem),
}

impl UnitPreference {
    /// The unit system to use for a payload reporting `temperature_type`.
    pub fn resolve(self, temperature_type: Option<TemperatureType>) -> UnitSystem {
        match self {
            Self::Fixed(u) => u,
            Self::Device => match temperature_type {
                Some(TemperatureType::Celsius) => UnitSystem::Metric,
                _ => UnitSystem::UsCustomary,
            },
        }
    }
}

/// Litres → US gallons.
const GALLONS_PER_LITRE: f64 = 0.264172;

/// Tank energy quantum: Wh per raw count (§6.5; upstream before 9.3.0 used 10).
pub const TANK_ENERGY_WH_PER_COUNT: f64 = 4.0;

/// °C → °F, in the same operation order as upstream (so results match to the last bit).
pub fn celsius_to_fahrenheit(c: f64) -> f64 {
    c * 9.0 / 5.0 + 32.0
}

/// Rounds to `digits` decimals the way Python's `round(x, digits)` does: on the exact
/// binary value, ties to even. Only used for presentation.
pub fn round_decimals(x: f64, digits: usize) -> f64 {
    if !x.is_finite() {
        return x;
    }
    // `format!` rounds the exact binary expansion correctly; parsing it back is exact.
    format!("{x:.digits$}").parse().unwrap_or(x)
}

/// Implements lenient integer deserialization for a raw-value newtype.
macro_rules! raw_int_newtype {
    ($name:ident) => {
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok(Self(Int::deserialize(d)?.0))
            }
        }
    };
}

/// A temperature in units of 0.5 °C (status setpoints and thresholds, feature limits,
/// reservation `param`, command parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HalfCelsius(pub i64);
raw_int_newtype!(HalfCelsius);

impl HalfCelsius {
    /// °C = raw / 2.
    pub fn celsius(self) -> f64 {
        self.0 as f64 / 2.0
    }
    /// °F = raw / 2 × 9/5 + 32 (not rounded).
    pub fn fahrenheit(self) -> f64 {
        celsius_to_fahrenheit(self.celsius())
    }
    /// The temperature in `unit`.
    pub fn in_unit(self, unit: UnitSystem) -> f64 {
        match unit {
            UnitSystem::Metric => self.celsius(),
            UnitSystem::UsCustomary => self.fahrenheit(),
        }
    }

    /// Encodes a user temperature for the device (§6.3):
    /// °F → `round_ties_even(((F − 32) × 5 / 9) × 2)`, °C → `round_ties_even(C × 2)`.
    pub fn encode(value: f64, unit: UnitSystem) -> Result<Self, ValidationError> {
        if !value.is_finite() {
            return Err(ValidationError::NotFinite {
                field: "temperature",
            });
        }
        let raw = match unit {
            UnitSystem::UsCustomary => (((value - 32.0) * 5.0 / 9.0) * 2.0).round_ties_even(),
            UnitSystem::Metric => (value * 2.0).round_ties_even(),
        };
        // Far outside anything a device accepts; refuse rather than saturate.
        if raw.abs() > 1e12 {
            return Err(ValidationError::OutOfRange {
                field: "temperature",
                value,
                min: -1e11,
                max: 1e11,
            });
        }
        Ok(Self(raw as i64))
    }
}

/// A temperature in units of 0.1 °C (tank and refrigerant-circuit sensors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeciCelsius(pub i64);
raw_int_newtype!(DeciCelsius);

impl DeciCelsius {
    /// °C = raw / 10.
    pub fn celsius(self) -> f64 {
        self.0 as f64 / 10.0
    }
    /// °F = raw / 10 × 9/5 + 32 (not rounded).
    pub fn fahrenheit(self) -> f64 {
        celsius_to_fahrenheit(self.celsius())
    }
    /// The temperature in `unit`.
    pub fn in_unit(self, unit: UnitSystem) -> f64 {
        match unit {
            UnitSystem::Metric => self.celsius(),
            UnitSystem::UsCustomary => self.fahrenheit(),
        }
    }
}

/// A temperature difference in units of 0.1 °C (hysteresis settings): no +32 in °F.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeciCelsiusDelta(pub i64);
raw_int_newtype!(DeciCelsiusDelta);

impl DeciCelsiusDelta {
    /// Δ°C = raw / 10.
    pub fn celsius(self) -> f64 {
        self.0 as f64 / 10.0
    }
    /// Δ°F = raw / 10 × 9/5.
    pub fn fahrenheit(self) -> f64 {
        self.celsius() * 9.0 / 5.0
    }
    /// The difference in `unit`.
    pub fn in_unit(self, unit: UnitSystem) -> f64 {
        match unit {
            UnitSystem::Metric => self.celsius(),
            UnitSystem::UsCustomary => self.fahrenheit(),
        }
    }
}

/// `outsideTemperature`: half-°C raw whose °F form is a whole number computed with the
/// status' `tempFormulaType` (§6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OutsideTemperature(pub i64);
raw_int_newtype!(OutsideTemperature);

impl OutsideTemperature {
    /// °C = raw / 2.
    pub fn celsius(self) -> f64 {
        self.0 as f64 / 2.0
    }

    /// Whole °F per `formula`: ASYMMETRIC floors when the raw value's last decimal digit is
    /// 9 (truncating remainder) and ceils otherwise; STANDARD (and any other value) rounds
    /// half to even.
    pub fn fahrenheit(self, formula: TempFormulaType) -> i64 {
        let f = celsius_to_fahrenheit(self.celsius());
        let whole = match formula {
            TempFormulaType::Asymmetric => {
                if self.0 % 10 == 9 {
                    f.floor()
                } else {
                    f.ceil()
                }
            }
            _ => f.round_ties_even(),
        };
        // |raw| < 2^53 keeps this exact; device values are small.
        whole as i64
    }
}

/// A flow rate in units of 0.1 L/min (`currentDhwFlowRate`, `recircDhwFlowRate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowRate(pub i64);
raw_int_newtype!(FlowRate);

impl FlowRate {
    /// L/min = raw / 10.
    pub fn litres_per_minute(self) -> f64 {
        self.0 as f64 / 10.0
    }
    /// US gal/min = raw / 10 × 0.264172, rounded to 2 decimals (as upstream displays it).
    pub fn gallons_per_minute(self) -> f64 {
        round_decimals(self.litres_per_minute() * GALLONS_PER_LITRE, 2)
    }
    /// The flow in `unit` (L/min or GPM).
    pub fn in_unit(self, unit: UnitSystem) -> f64 {
        match unit {
            UnitSystem::Metric => self.litres_per_minute(),
            UnitSystem::UsCustomary => self.gallons_per_minute(),
        }
    }
}

/// A volume in litres (`cumulatedDhwFlowRate`: water delivered since installation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Volume(pub i64);
raw_int_newtype!(Volume);

impl Volume {
    /// Litres (the raw value).
    pub fn litres(self) -> f64 {
        self.0 as f64
    }
    /// US gallons = raw × 0.264172, rounded to 2 decimals.
    pub fn gallons(self) -> f64 {
        round_decimals(self.litres() * GALLONS_PER_LITRE, 2)
    }
    /// The volume in `unit`.
    pub fn in_unit(self, unit: UnitSystem) -> f64 {
        match unit {
            UnitSystem::Metric => self.litres(),
            UnitSystem::UsCustomary => self.gallons(),
        }
    }
}

/// A tank energy count (`totalEnergyCapacity`, `availableEnergyCapacity`): 4 Wh each (§6.5).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct TankEnergy(pub f64);

impl<'de> Deserialize<'de> for TankEnergy {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self(Num::deserialize(d)?.0))
    }
}

impl TankEnergy {
    /// Watt-hours = count × 4.
    pub fn watt_hours(self) -> f64 {
        self.0 * TANK_ENERGY_WH_PER_COUNT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_encodings() {
        let f = |v| {
            HalfCelsius::encode(v, UnitSystem::UsCustomary)
                .map(|h| h.0)
                .ok()
        };
        let c = |v| HalfCelsius::encode(v, UnitSystem::Metric).map(|h| h.0).ok();
        assert_eq!(f(140.0), Some(120));
        assert_eq!(f(120.0), Some(98));
        assert_eq!(f(95.0), Some(70));
        assert_eq!(f(150.0), Some(131));
        assert_eq!(f(130.0), Some(109));
        assert_eq!(f(43.0), Some(12));
        assert_eq!(f(50.0), Some(20));
        assert_eq!(c(60.0), Some(120));
        assert_eq!(c(48.75), Some(98));
        assert_eq!(c(48.25), Some(96));
        assert!(f(f64::NAN).is_none());
        assert!(c(1e300).is_none());
    }

    #[test]
    fn outside_temperature_formulas() {
        let o = |raw, ft| OutsideTemperature(raw).fahrenheit(ft);
        use TempFormulaType::{Asymmetric as A, Standard as S};
        assert_eq!(o(119, A), 139);
        assert_eq!(o(120, A), 140);
        assert_eq!(o(-11, A), 23);
        assert_eq!(o(-19, A), 15);
        assert_eq!(o(200, S), 212);
        assert_eq!(o(21, S), 51);
        assert_eq!(o(25, S), 54);
        assert_eq!(o(-5, S), 28);
        assert_eq!(o(25, TempFormulaType::Unknown(7)), 54);
    }

    #[test]
    fn flow_volume_energy() {
        assert_eq!(FlowRate(100).litres_per_minute(), 10.0);
        assert_eq!(FlowRate(100).gallons_per_minute(), 2.64);
        assert_eq!(FlowRate(25).gallons_per_minute(), 0.66);
        assert_eq!(Volume(100).gallons(), 26.42);
        assert_eq!(TankEnergy(1580.0).watt_hours(), 6320.0);
    }
}
