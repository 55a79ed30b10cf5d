//! Recirculation schedules (docs/protocol.md §9.4): the entries sent with code 33554440 and the
//! answer expected on `…/res/recirc-rsv/rd` (parser only; no upstream request produces it).

use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use super::bitfields::WeekDays;
use super::enums::RecirculationMode;
use super::error::ValidationError;
use super::lenient::int_in;
use super::reservation::check_u8;

fn default_enable() -> u8 {
    2
}

fn default_mode() -> u8 {
    1
}

/// One recirculation window. Serialises to the seven wire keys (`startMin`, not
/// `startMinute`). When decoding, absent keys take upstream's defaults (`enable` 2,
/// `mode` 1, others 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RecirculationEntry {
    /// devbool: 2 = active, 1 = inactive.
    #[serde(default = "default_enable", deserialize_with = "int_in")]
    pub enable: u8,
    /// Week bitfield (§6.6).
    #[serde(default, deserialize_with = "int_in")]
    pub week: u8,
    /// Window start hour 0–23.
    #[serde(rename = "startHour", default, deserialize_with = "int_in")]
    pub start_hour: u8,
    /// Window start minute 0–59.
    #[serde(rename = "startMin", default, deserialize_with = "int_in")]
    pub start_min: u8,
    /// Window end hour 0–23.
    #[serde(rename = "endHour", default, deserialize_with = "int_in")]
    pub end_hour: u8,
    /// Window end minute 0–59.
    #[serde(rename = "endMin", default, deserialize_with = "int_in")]
    pub end_min: u8,
    /// `RecirculationMode` 1–4.
    #[serde(default = "default_mode", deserialize_with = "int_in")]
    pub mode: u8,
}

impl RecirculationEntry {
    /// Whether the window is active (`enable` == 2).
    pub fn enabled(&self) -> bool {
        self.enable == 2
    }

    /// The days the window applies to.
    pub fn week_days(&self) -> WeekDays {
        WeekDays(self.week)
    }

    /// The recirculation mode.
    pub fn mode(&self) -> RecirculationMode {
        RecirculationMode::from_raw(i64::from(self.mode))
    }

    /// Start as `HH:MM`.
    pub fn start_time(&self) -> String {
        format!("{:02}:{:02}", self.start_hour, self.start_min)
    }

    /// End as `HH:MM`.
    pub fn end_time(&self) -> String {
        format!("{:02}:{:02}", self.end_hour, self.end_min)
    }

    /// The wire object with exactly the seven keys of §9.4.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "enable": self.enable,
            "week": self.week,
            "startHour": self.start_hour,
            "startMin": self.start_min,
            "endHour": self.end_hour,
            "endMin": self.end_min,
            "mode": self.mode,
        })
    }

    /// Checks the ranges a write must respect: `enable` 1/2, hours 0–23, minutes 0–59,
    /// mode 1–4.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_u8("enable", self.enable, 1, 2)?;
        check_u8("start_hour", self.start_hour, 0, 23)?;
        check_u8("start_minute", self.start_min, 0, 59)?;
        check_u8("end_hour", self.end_hour, 0, 23)?;
        check_u8("end_minute", self.end_min, 0, 59)?;
        check_u8("mode", self.mode, 1, 4)
    }
}

/// A recirculation schedule answer (`response.schedule`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct RecirculationSchedule {
    /// The windows.
    #[serde(rename = "schedule", default)]
    pub entries: Vec<RecirculationEntry>,
}

impl RecirculationSchedule {
    /// Decodes a `{"schedule": [...]}` object.
    pub fn from_json(bytes: &[u8]) -> Result<Self, super::error::DecodeError> {
        Ok(serde_json::from_slice(bytes)?)
    }

    /// A serialisable view: `schedule` entries with wire keys plus `enabled`, `days`,
    /// `startTime`, `endTime` and `modeName`.
    pub fn view(&self) -> RecirculationScheduleView<'_> {
        RecirculationScheduleView { schedule: self }
    }
}

/// See [`RecirculationSchedule::view`].
#[derive(Debug, Clone, Copy)]
pub struct RecirculationScheduleView<'a> {
    schedule: &'a RecirculationSchedule,
}

struct EntryView<'a>(&'a RecirculationEntry);

impl Serialize for EntryView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let days: Vec<&str> = e.week_days().days().iter().map(|d| d.name()).collect();
        let mut m = s.serialize_map(Some(12))?;
        m.serialize_entry("enable", &e.enable)?;
        m.serialize_entry("week", &e.week)?;
        m.serialize_entry("startHour", &e.start_hour)?;
        m.serialize_entry("startMin", &e.start_min)?;
        m.serialize_entry("endHour", &e.end_hour)?;
        m.serialize_entry("endMin", &e.end_min)?;
        m.serialize_entry("mode", &e.mode)?;
        m.serialize_entry("enabled", &e.enabled())?;
        m.serialize_entry("days", &days)?;
        m.serialize_entry("startTime", &e.start_time())?;
        m.serialize_entry("endTime", &e.end_time())?;
        m.serialize_entry("modeName", &e.mode().to_string())?;
        m.end()
    }
}

impl Serialize for RecirculationScheduleView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let entries: Vec<EntryView<'_>> = self.schedule.entries.iter().map(EntryView).collect();
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry("schedule", &entries)?;
        m.end()
    }
}
