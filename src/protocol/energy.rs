//! Energy usage answers (docs/protocol.md §10), received on
//! `cmd/{dt}/{cid}/res/energy-usage-daily-query/rd` inside `response`.

use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Deserializer, Serialize};

use super::lenient::Int;

fn int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(Int::deserialize(d)?.0)
}

/// The four counters of a period (total or one day). Absent counters are 0 (§10).
///
/// Serialises the wire keys plus the derived `totalUsage`, `heatPumpPercentage`,
/// `heatElementPercentage` and `totalTime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
pub struct EnergyCounters {
    /// `hpUsage`: heat-pump energy, Wh.
    #[serde(rename = "hpUsage", default, deserialize_with = "int")]
    pub hp_usage: i64,
    /// `heUsage`: element energy, Wh.
    #[serde(rename = "heUsage", default, deserialize_with = "int")]
    pub he_usage: i64,
    /// `hpTime`: heat-pump run time, hours.
    #[serde(rename = "hpTime", default, deserialize_with = "int")]
    pub hp_time: i64,
    /// `heTime`: element run time, hours.
    #[serde(rename = "heTime", default, deserialize_with = "int")]
    pub he_time: i64,
}

impl EnergyCounters {
    /// `hpUsage + heUsage`, Wh.
    pub fn total_usage(&self) -> i64 {
        self.hp_usage.saturating_add(self.he_usage)
    }

    /// Heat-pump share of the total, % (0 when the total is 0).
    pub fn heat_pump_percentage(&self) -> f64 {
        share(self.hp_usage, self.total_usage())
    }

    /// Element share of the total, % (0 when the total is 0).
    pub fn heat_element_percentage(&self) -> f64 {
        share(self.he_usage, self.total_usage())
    }

    /// `hpTime + heTime`, hours.
    pub fn total_time(&self) -> i64 {
        self.hp_time.saturating_add(self.he_time)
    }
}

fn share(part: i64, total: i64) -> f64 {
    if total == 0 {
        0.0
    } else {
        part as f64 / total as f64 * 100.0
    }
}

impl Serialize for EnergyCounters {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(8))?;
        m.serialize_entry("hpUsage", &self.hp_usage)?;
        m.serialize_entry("heUsage", &self.he_usage)?;
        m.serialize_entry("hpTime", &self.hp_time)?;
        m.serialize_entry("heTime", &self.he_time)?;
        m.serialize_entry("totalUsage", &self.total_usage())?;
        m.serialize_entry("heatPumpPercentage", &self.heat_pump_percentage())?;
        m.serialize_entry("heatElementPercentage", &self.heat_element_percentage())?;
        m.serialize_entry("totalTime", &self.total_time())?;
        m.end()
    }
}

/// One month of daily counters (`usage[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthlyEnergy {
    /// Year.
    #[serde(deserialize_with = "int")]
    pub year: i64,
    /// Month 1–12.
    #[serde(deserialize_with = "int")]
    pub month: i64,
    /// One entry per day, index 0 = day 1.
    #[serde(rename = "data")]
    pub days: Vec<EnergyCounters>,
}

impl MonthlyEnergy {
    /// The counters of day `day` (1-based).
    pub fn day(&self, day: usize) -> Option<&EnergyCounters> {
        day.checked_sub(1).and_then(|i| self.days.get(i))
    }
}

/// An energy usage answer: totals over the requested months and per-month daily data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnergyUsage {
    /// `total`: totals over the requested months.
    pub total: EnergyCounters,
    /// `usage`: one entry per month.
    #[serde(rename = "usage")]
    pub months: Vec<MonthlyEnergy>,
}

impl EnergyUsage {
    /// Decodes a `response` object of an energy answer.
    pub fn from_json(bytes: &[u8]) -> Result<Self, super::error::DecodeError> {
        Ok(serde_json::from_slice(bytes)?)
    }

    /// The data of one month, if the answer contains it.
    pub fn month(&self, year: i64, month: i64) -> Option<&MonthlyEnergy> {
        self.months
            .iter()
            .find(|m| m.year == year && m.month == month)
    }
}
