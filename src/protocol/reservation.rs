//! DHW reservation schedules (docs/protocol.md §6.7, §9.1): entries, the hex form of read
//! answers, the read answer model, the write-confirmation comparison and the entry builder.

use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use super::bitfields::WeekDays;
use super::enums::DhwOperationSetting;
use super::error::{HexError, ValidationError};
use super::lenient::{int_in, Int};
use super::units::{round_decimals, HalfCelsius, UnitSystem};

/// Bytes per record in the hex form.
const RECORD_LEN: usize = 6;

/// `reservationUse` value meaning "program enabled"; anything else reads as disabled.
pub const RESERVATION_ENABLED: i64 = 2;

/// devbool encoding used when writing (`reservationUse`, entry `enable`): true → 2, false → 1.
pub fn devbool_encode(on: bool) -> u8 {
    if on {
        2
    } else {
        1
    }
}

fn default_enable() -> u8 {
    2
}

fn default_mode() -> u8 {
    1
}

/// One reservation: at `hour:min` on the `week` days, switch to `mode` with setpoint `param`.
///
/// Serialises to exactly the six wire keys. When decoding an entry object, absent keys take
/// upstream's defaults (`enable` 2, `mode` 1, others 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ReservationEntry {
    /// devbool: 2 = entry active, 1 = inactive.
    #[serde(default = "default_enable", deserialize_with = "int_in")]
    pub enable: u8,
    /// Week bitfield (§6.6).
    #[serde(default, deserialize_with = "int_in")]
    pub week: u8,
    /// Start hour 0–23.
    #[serde(default, deserialize_with = "int_in")]
    pub hour: u8,
    /// Start minute 0–59 (wire key `min`).
    #[serde(default, deserialize_with = "int_in")]
    pub min: u8,
    /// DHW mode to apply (1–6, §5.4).
    #[serde(default = "default_mode", deserialize_with = "int_in")]
    pub mode: u8,
    /// Setpoint in half-°C.
    #[serde(default, deserialize_with = "int_in")]
    pub param: u8,
}

impl ReservationEntry {
    /// Whether the entry is active (`enable` == 2).
    pub fn enabled(&self) -> bool {
        self.enable == 2
    }

    /// The days the entry applies to.
    pub fn week_days(&self) -> WeekDays {
        WeekDays(self.week)
    }

    /// The DHW mode.
    pub fn mode(&self) -> DhwOperationSetting {
        DhwOperationSetting::from_raw(i64::from(self.mode))
    }

    /// The start time as `HH:MM`.
    pub fn time(&self) -> String {
        format!("{:02}:{:02}", self.hour, self.min)
    }

    /// The setpoint in `unit`, rounded to one decimal as upstream displays it.
    pub fn temperature(&self, unit: UnitSystem) -> f64 {
        round_decimals(HalfCelsius(i64::from(self.param)).in_unit(unit), 1)
    }

    /// The wire object with exactly the six keys of §9.1.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "enable": self.enable,
            "week": self.week,
            "hour": self.hour,
            "min": self.min,
            "mode": self.mode,
            "param": self.param,
        })
    }

    /// The raw tuple `(enable, week, hour, min, mode, param)`.
    pub fn as_tuple(&self) -> [u8; 6] {
        [
            self.enable,
            self.week,
            self.hour,
            self.min,
            self.mode,
            self.param,
        ]
    }

    /// Checks the ranges a write must respect: `enable` 1/2, hour 0–23, minute 0–59,
    /// mode 1–6.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if !matches!(self.enable, 1 | 2) {
            return Err(range("enable", self.enable, 1, 2));
        }
        check_u8("hour", self.hour, 0, 23)?;
        check_u8("minute", self.min, 0, 59)?;
        check_u8("mode", self.mode, 1, 6)
    }
}

fn range(field: &'static str, value: u8, min: u8, max: u8) -> ValidationError {
    ValidationError::OutOfRange {
        field,
        value: f64::from(value),
        min: f64::from(min),
        max: f64::from(max),
    }
}

pub(crate) fn check_u8(
    field: &'static str,
    value: u8,
    min: u8,
    max: u8,
) -> Result<(), ValidationError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(range(field, value, min, max))
    }
}

/// The position of a decoding error, in characters (hex reports the byte offset).
fn hex_error(e: hex::FromHexError, hex_str: &str) -> HexError {
    match e {
        hex::FromHexError::InvalidHexCharacter { index, .. } => HexError::NotADigit {
            // The character that contains the byte: the last one starting at or before it.
            index: hex_str
                .char_indices()
                .take_while(|(at, _)| *at <= index)
                .count()
                .saturating_sub(1),
        },
        hex::FromHexError::OddLength | hex::FromHexError::InvalidStringLength => {
            HexError::OddLength {
                len: hex_str.chars().count(),
            }
        }
    }
}

/// Decodes the hex form of a reservation list (§6.7): 6-byte records; all-zero records are
/// skipped, a trailing partial record is ignored (with a warning), `""` means no entries.
pub fn decode_reservation_hex(hex_str: &str) -> Result<Vec<ReservationEntry>, ValidationError> {
    let bytes =
        hex::decode(hex_str).map_err(|e| ValidationError::InvalidHex(hex_error(e, hex_str)))?;
    let partial = bytes.len() % RECORD_LEN;
    if partial != 0 {
        tracing::warn!(
            length = bytes.len(),
            ignored = partial,
            "reservation data is not a whole number of 6-byte records; trailing bytes ignored"
        );
    }
    Ok(bytes
        .chunks_exact(RECORD_LEN)
        .filter(|r| r.iter().any(|b| *b != 0))
        .map(|r| ReservationEntry {
            enable: r[0],
            week: r[1],
            hour: r[2],
            min: r[3],
            mode: r[4],
            param: r[5],
        })
        .collect())
}

/// Encodes entries in the hex form (lowercase).
pub fn encode_reservation_hex(entries: &[ReservationEntry]) -> String {
    let bytes: Vec<u8> = entries.iter().flat_map(|e| e.as_tuple()).collect();
    hex::encode(bytes)
}

/// The `reservation` field of an answer: a hex string or an array of entry objects.
fn entries_hex_or_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ReservationEntry>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<ReservationEntry>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a reservation hex string or an array of reservation entries")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            // serde's errors are text: both levels go into it.
            decode_reservation_hex(v).map_err(|e| match &e {
                ValidationError::InvalidHex(why) => E::custom(format_args!("{e}: {why}")),
                other => E::custom(other),
            })
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(e) = a.next_element::<ReservationEntry>()? {
                out.push(e);
            }
            Ok(out)
        }
    }
    d.deserialize_any(V)
}

fn reservation_use<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(Int::deserialize(d)?.0)
}

/// A reservation read answer (`…/res/rsv/rd`, also the weekly answer `…/res/rsv-weekly/rd`):
/// `response.reservationUse` and `response.reservation`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct ReservationSchedule {
    /// `reservationUse` as received (2 = enabled; absent → 0).
    #[serde(
        rename = "reservationUse",
        default,
        deserialize_with = "reservation_use"
    )]
    pub reservation_use: i64,
    /// The entries (all-zero hex records skipped; absent → none).
    #[serde(
        rename = "reservation",
        default,
        deserialize_with = "entries_hex_or_list"
    )]
    pub entries: Vec<ReservationEntry>,
}

impl ReservationSchedule {
    /// Decodes a `response` object of a reservation answer.
    pub fn from_json(bytes: &[u8]) -> Result<Self, super::error::DecodeError> {
        Ok(serde_json::from_slice(bytes)?)
    }

    /// Whether the program is enabled (only `reservationUse` 2 counts, §13 item 23).
    pub fn enabled(&self) -> bool {
        self.reservation_use == RESERVATION_ENABLED
    }

    /// The order-independent form used to confirm a write (§5.6).
    pub fn canonical(&self) -> CanonicalReservations {
        CanonicalReservations::of(self.enabled(), &self.entries)
    }

    /// A serialisable view with display fields in `unit`.
    pub fn view(&self, unit: UnitSystem) -> ReservationScheduleView<'_> {
        ReservationScheduleView {
            schedule: self,
            unit,
        }
    }
}

/// The comparison form of a reservation list: enabled flag and the *set* of raw entry
/// tuples (the device does not guarantee order).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CanonicalReservations {
    /// Program enabled.
    pub enabled: bool,
    /// Raw `(enable, week, hour, min, mode, param)` tuples.
    pub entries: BTreeSet<[u8; 6]>,
}

impl CanonicalReservations {
    /// The canonical form of what was (or will be) written.
    pub fn of(enabled: bool, entries: &[ReservationEntry]) -> Self {
        Self {
            enabled,
            entries: entries.iter().map(ReservationEntry::as_tuple).collect(),
        }
    }
}

/// A [`ReservationSchedule`] for output: `reservationUse`, `enabled` and entries with their
/// wire keys plus `enabled`, `days`, `time`, `temperature`, `unit` and `modeName`.
#[derive(Debug, Clone, Copy)]
pub struct ReservationScheduleView<'a> {
    schedule: &'a ReservationSchedule,
    unit: UnitSystem,
}

struct EntryView<'a> {
    entry: &'a ReservationEntry,
    unit: UnitSystem,
}

impl Serialize for EntryView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.entry;
        let days: Vec<&str> = e.week_days().days().iter().map(|d| d.name()).collect();
        let mut m = s.serialize_map(Some(12))?;
        m.serialize_entry("enable", &e.enable)?;
        m.serialize_entry("week", &e.week)?;
        m.serialize_entry("hour", &e.hour)?;
        m.serialize_entry("min", &e.min)?;
        m.serialize_entry("mode", &e.mode)?;
        m.serialize_entry("param", &e.param)?;
        m.serialize_entry("enabled", &e.enabled())?;
        m.serialize_entry("days", &days)?;
        m.serialize_entry("time", &e.time())?;
        m.serialize_entry("temperature", &e.temperature(self.unit))?;
        m.serialize_entry("unit", self.unit.temperature_symbol())?;
        m.serialize_entry("modeName", &e.mode().to_string())?;
        m.end()
    }
}

impl Serialize for ReservationScheduleView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let entries: Vec<EntryView<'_>> = self
            .schedule
            .entries
            .iter()
            .map(|entry| EntryView {
                entry,
                unit: self.unit,
            })
            .collect();
        let mut st = s.serialize_struct("ReservationSchedule", 3)?;
        st.serialize_field("reservationUse", &self.schedule.reservation_use)?;
        st.serialize_field("enabled", &self.schedule.enabled())?;
        st.serialize_field("reservation", &entries)?;
        st.end()
    }
}

/// Default reservation setpoint window in °F when the device's limits are not supplied.
const DEFAULT_RESERVATION_RANGE_F: (f64, f64) = (95.0, 150.0);
/// Default reservation setpoint window in °C.
const DEFAULT_RESERVATION_RANGE_C: (f64, f64) = (35.0, 65.0);

/// Tolerance for comparing user temperatures with decoded limits (both are decimals that
/// went through binary floating point).
pub(crate) const LIMIT_EPSILON: f64 = 1e-9;

/// User-level description of one reservation, validated and encoded by
/// [`ReservationSpec::build`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReservationSpec {
    /// Entry active.
    pub enabled: bool,
    /// Days it applies to.
    pub days: WeekDays,
    /// Start hour 0–23.
    pub hour: u8,
    /// Start minute 0–59.
    pub minute: u8,
    /// DHW mode 1–6 (§5.4).
    pub mode: u8,
    /// Setpoint in `unit`.
    pub temperature: f64,
    /// Unit of `temperature` and `limits`.
    pub unit: UnitSystem,
    /// Allowed setpoint window in `unit` (e.g. the device's decoded `dhwTemperatureMin`/
    /// `Max`); `None` → 95–150 °F / 35–65 °C.
    pub limits: Option<(f64, f64)>,
}

impl ReservationSpec {
    /// Validates the values and encodes the wire entry (setpoint per §6.3).
    pub fn build(&self) -> Result<ReservationEntry, ValidationError> {
        check_u8("hour", self.hour, 0, 23)?;
        check_u8("minute", self.minute, 0, 59)?;
        check_u8("mode_id", self.mode, 1, 6)?;
        let (min, max) = self.limits.unwrap_or(match self.unit {
            UnitSystem::UsCustomary => DEFAULT_RESERVATION_RANGE_F,
            UnitSystem::Metric => DEFAULT_RESERVATION_RANGE_C,
        });
        check_temperature(self.temperature, min, max)?;
        let raw = HalfCelsius::encode(self.temperature, self.unit)?;
        let param = u8::try_from(raw.0).map_err(|_| ValidationError::OutOfRange {
            field: "temperature",
            value: self.temperature,
            min,
            max,
        })?;
        Ok(ReservationEntry {
            enable: devbool_encode(self.enabled),
            week: self.days.0,
            hour: self.hour,
            min: self.minute,
            mode: self.mode,
            param,
        })
    }
}

/// Inclusive temperature window check with a tiny tolerance for float noise.
pub(crate) fn check_temperature(value: f64, min: f64, max: f64) -> Result<(), ValidationError> {
    if !value.is_finite() {
        return Err(ValidationError::NotFinite {
            field: "temperature",
        });
    }
    if value < min - LIMIT_EPSILON || value > max + LIMIT_EPSILON {
        return Err(ValidationError::OutOfRange {
            field: "temperature",
            value,
            min: round_decimals(min, 6),
            max: round_decimals(max, 6),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_decoding_rules() {
        let e = decode_reservation_hex("023e061e047800000000000001540800036e").unwrap_or_default();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].as_tuple(), [2, 62, 6, 30, 4, 120]);
        assert_eq!(e[1].as_tuple(), [1, 84, 8, 0, 3, 110]);
        assert_eq!(decode_reservation_hex("").ok(), Some(vec![]));
        assert_eq!(
            decode_reservation_hex("023e061e04780102")
                .map(|v| v.len())
                .ok(),
            Some(1)
        );
        assert_eq!(
            decode_reservation_hex("02zz"),
            Err(ValidationError::InvalidHex(HexError::NotADigit {
                index: 2
            }))
        );
        // Positions count characters, not bytes.
        assert_eq!(
            decode_reservation_hex("0é2zz"),
            Err(ValidationError::InvalidHex(HexError::NotADigit {
                index: 1
            }))
        );
        assert_eq!(
            decode_reservation_hex("023"),
            Err(ValidationError::InvalidHex(HexError::OddLength { len: 3 }))
        );
    }

    #[test]
    fn builder_encodes_g4() {
        let spec = ReservationSpec {
            enabled: true,
            days: WeekDays::WEEKDAYS,
            hour: 6,
            minute: 30,
            mode: 4,
            temperature: 140.0,
            unit: UnitSystem::UsCustomary,
            limits: None,
        };
        assert_eq!(
            spec.build().map(|e| e.as_tuple()).ok(),
            Some([2, 124, 6, 30, 4, 120])
        );
        assert!(ReservationSpec { hour: 24, ..spec }.build().is_err());
        assert!(ReservationSpec {
            temperature: 150.1,
            ..spec
        }
        .build()
        .is_err());
        assert!(ReservationSpec { mode: 7, ..spec }.build().is_err());
    }
}
