//! Building requests (docs/protocol.md §5.1–§5.3, §5.7): a [`Command`] is validated and turned
//! into an [`OutgoingRequest`] (topic, envelope, response topic, subscriptions to make first,
//! and what answer to expect).
//!
//! Validation happens before anything is built: capability gates first (as upstream does),
//! then the parameter rules. A [`CommandError`] means nothing may be published.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

use super::codes::CommandCode;
use super::command::Command;
use super::error::{CommandError, ValidationError};
use super::feature::Feature;
use super::ids::{ClientIdentity, DeviceRef};
use super::incoming::Incoming;
use super::recirculation::RecirculationEntry;
use super::reservation::{
    check_temperature, devbool_encode, CanonicalReservations, ReservationEntry,
};
use super::topics::{
    client_response_topic, command_topic, default_response_topic, device_wildcard, event_topic,
    EventSuffix, RequestSuffix, ResponseSuffix,
};
use super::tou::{CanonicalTou, TouPeriod};
use super::units::{HalfCelsius, UnitSystem};

/// `protocolVersion` of every command envelope.
pub const PROTOCOL_VERSION: i64 = 2;

/// What answers a request, so the caller can wait for it.
#[derive(Debug, Clone, PartialEq)]
pub enum AnswerKind {
    /// Nothing answers (app-connection event).
    None,
    /// A status (through the device wildcard) whose `command` equals this code.
    Status(CommandCode),
    /// A feature payload (through the device wildcard).
    Feature,
    /// A reservation answer on `…/res/rsv/rd`; for writes, the schedule it must echo.
    Reservation(Option<CanonicalReservations>),
    /// A TOU answer on `…/res/tou/rd`; for writes, the schedule it must echo.
    Tou(Option<CanonicalTou>),
    /// An energy answer on `…/res/energy-usage-daily-query/rd`.
    Energy,
}

/// A built request, ready to publish with QoS 1.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingRequest {
    /// Topic to publish on.
    pub topic: String,
    /// The JSON payload.
    pub payload: Value,
    /// The command code (`None` for the app-connection event).
    pub code: Option<CommandCode>,
    /// The `responseTopic` put into the envelope (`None` for the event).
    pub response_topic: Option<String>,
    /// Topic filters that must be subscribed before publishing, or the answer is lost.
    pub subscribe_first: Vec<String>,
    /// What answers this request.
    pub answer: AnswerKind,
}

impl OutgoingRequest {
    /// The payload serialised as compact JSON.
    pub fn payload_string(&self) -> String {
        self.payload.to_string()
    }

    /// The payload as bytes for publishing.
    pub fn payload_bytes(&self) -> Vec<u8> {
        self.payload_string().into_bytes()
    }

    /// Whether `incoming` is the answer this request waits for (§5.6): a status carrying
    /// the request's code, a feature payload, or the schedule / energy answer (for writes,
    /// one whose content equals what was written, compared as sets).
    pub fn is_answered_by(&self, incoming: &Incoming) -> bool {
        self.answer.is_answered_by(incoming)
    }
}

impl AnswerKind {
    /// See [`OutgoingRequest::is_answered_by`].
    pub fn is_answered_by(&self, incoming: &Incoming) -> bool {
        match (self, incoming) {
            (Self::Status(code), Incoming::Status(s)) => s.command == code.raw(),
            (Self::Feature, Incoming::Feature(_)) | (Self::Energy, Incoming::Energy(_)) => true,
            (Self::Reservation(None), Incoming::Reservation(_)) => true,
            (Self::Reservation(Some(expected)), Incoming::Reservation(r)) => {
                &r.canonical() == expected
            }
            (Self::Tou(None), Incoming::Tou(_)) => true,
            (Self::Tou(Some(expected)), Incoming::Tou(t)) => &t.canonical() == expected,
            _ => false,
        }
    }
}

fn range_u8(field: &'static str, value: u8, min: u8, max: u8) -> Result<(), ValidationError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(ValidationError::OutOfRange {
            field,
            value: f64::from(value),
            min: f64::from(min),
            max: f64::from(max),
        })
    }
}

/// Formats `at` as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC, always six fraction digits).
pub fn format_timestamp(at: SystemTime) -> Result<String, ValidationError> {
    let since = at
        .duration_since(UNIX_EPOCH)
        .map_err(|_| ValidationError::TimestampOutOfRange)?;
    let dt = time::OffsetDateTime::from_unix_timestamp_nanos(since.as_nanos() as i128)
        .map_err(|_| ValidationError::TimestampOutOfRange)?;
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    dt.format(&fmt)
        .map_err(|_| ValidationError::TimestampOutOfRange)
}

/// How a request is routed.
enum Route {
    /// Published under the device; answered through the device wildcard.
    Device(RequestSuffix),
    /// Published under the device; answered on a client response topic.
    Client(RequestSuffix, ResponseSuffix),
}

impl Command {
    /// Checks gates against `feature`, then the parameters, and builds the request.
    pub fn build(
        &self,
        client: &ClientIdentity,
        device: &DeviceRef,
        feature: Option<&Feature>,
    ) -> Result<OutgoingRequest, CommandError> {
        for &capability in self.gates() {
            match feature {
                None => return Err(CommandError::FeatureUnknown { capability }),
                Some(f) if !f.allows(capability) => {
                    return Err(CommandError::Unsupported { capability })
                }
                Some(_) => {}
            }
        }
        if let Self::SignalAppConnection { at } = self {
            return Ok(OutgoingRequest {
                topic: event_topic(device, EventSuffix::AppConnection),
                payload: json!({
                    "clientID": client.client_id.as_str(),
                    "timestamp": format_timestamp(*at)?,
                }),
                code: None,
                response_topic: None,
                subscribe_first: Vec::new(),
                answer: AnswerKind::None,
            });
        }
        let code = self.code().ok_or(ValidationError::Missing {
            parameter: "command",
        })?;
        let (extra, route, answer) = self.shape(code, feature)?;

        let mut request = Map::with_capacity(4 + extra.len());
        request.insert("command".into(), Value::from(code.raw()));
        request.insert("deviceType".into(), Value::from(device.device_type));
        request.insert("macAddress".into(), Value::from(device.mac.as_str()));
        request.insert(
            "additionalValue".into(),
            Value::from(device.additional_value.as_str()),
        );
        request.extend(extra);

        let (topic, response_topic, subscribe) = match route {
            Route::Device(suffix) => (
                command_topic(device, suffix),
                default_response_topic(device, &client.client_id),
                device_wildcard(device),
            ),
            Route::Client(suffix, response) => {
                let rt = client_response_topic(device.device_type, &client.client_id, response);
                (command_topic(device, suffix), rt.clone(), rt)
            }
        };
        let payload = json!({
            "clientID": client.client_id.as_str(),
            "sessionID": client.session_id.as_str(),
            "protocolVersion": PROTOCOL_VERSION,
            "request": Value::Object(request),
            "requestTopic": topic,
            "responseTopic": response_topic,
        });
        Ok(OutgoingRequest {
            topic,
            payload,
            code: Some(code),
            response_topic: Some(response_topic),
            subscribe_first: vec![subscribe],
            answer,
        })
    }

    /// Validates the parameters and returns the request's extra keys, its route and answer.
    fn shape(
        &self,
        code: CommandCode,
        feature: Option<&Feature>,
    ) -> Result<(Map<String, Value>, Route, AnswerKind), CommandError> {
        let ctrl = Route::Device(RequestSuffix::Ctrl);
        let ack = AnswerKind::Status(code);
        let mut m = Map::new();
        let mode = |m: &mut Map<String, Value>, mode: &str, params: &[i64]| {
            m.insert("mode".into(), Value::from(mode));
            m.insert("param".into(), Value::from(params.to_vec()));
            m.insert("paramStr".into(), Value::from(""));
        };
        let shaped = match self {
            Self::RequestStatus => (Route::Device(RequestSuffix::St), AnswerKind::Status(code)),
            Self::RequestFeature => (Route::Device(RequestSuffix::StDid), AnswerKind::Feature),
            Self::RequestReservations => (
                Route::Client(RequestSuffix::StRsvRd, ResponseSuffix::RsvRd),
                AnswerKind::Reservation(None),
            ),
            Self::RequestEnergyUsage { year, months } => {
                for &month in months {
                    range_u8("month", month, 1, 12)?;
                }
                m.insert("month".into(), Value::from(months.clone()));
                m.insert("year".into(), Value::from(*year));
                (
                    Route::Client(
                        RequestSuffix::StEnergyUsageDailyQueryRd,
                        ResponseSuffix::EnergyUsageDailyQueryRd,
                    ),
                    AnswerKind::Energy,
                )
            }
            Self::UpdateReservations { enabled, entries } => {
                insert_reservations(&mut m, *enabled, entries)?;
                (
                    Route::Client(RequestSuffix::CtrlRsvRd, ResponseSuffix::RsvRd),
                    AnswerKind::Reservation(Some(CanonicalReservations::of(*enabled, entries))),
                )
            }
            Self::SetPower { on } => {
                mode(&mut m, if *on { "power-on" } else { "power-off" }, &[]);
                (ctrl, ack)
            }
            Self::SetDhwMode { mode: dhw } => {
                mode(&mut m, "dhw-mode", &[dhw.raw()]);
                (ctrl, ack)
            }
            Self::SetVacation { days } => {
                range_u8("vacation_days", *days, 1, 30)?;
                mode(&mut m, "dhw-mode", &[5, i64::from(*days)]);
                (ctrl, ack)
            }
            Self::UpdateWeeklyReservation { enabled, entries } => {
                insert_reservations(&mut m, *enabled, entries)?;
                (ctrl, ack)
            }
            Self::RequestTouSettings {
                controller_serial_number,
            } => {
                insert_serial(&mut m, controller_serial_number)?;
                (
                    Route::Client(RequestSuffix::CtrlTouRd, ResponseSuffix::TouRd),
                    AnswerKind::Tou(None),
                )
            }
            Self::ConfigureTouSchedule {
                controller_serial_number,
                periods,
                enabled,
            } => {
                insert_serial(&mut m, controller_serial_number)?;
                if periods.is_empty() {
                    return Err(ValidationError::Missing {
                        parameter: "periods",
                    }
                    .into());
                }
                for p in periods {
                    p.validate()?;
                }
                m.insert(
                    "reservationUse".into(),
                    Value::from(devbool_encode(*enabled)),
                );
                m.insert(
                    "reservation".into(),
                    periods.iter().map(TouPeriod::to_json).collect(),
                );
                (
                    Route::Client(RequestSuffix::CtrlTouRd, ResponseSuffix::TouRd),
                    AnswerKind::Tou(Some(CanonicalTou::of(*enabled, periods))),
                )
            }
            Self::ConfigureRecirculationSchedule { entries } => {
                for e in entries {
                    e.validate()?;
                }
                m.insert(
                    "schedule".into(),
                    entries.iter().map(RecirculationEntry::to_json).collect(),
                );
                (ctrl, ack)
            }
            Self::ConfigureReservationWaterProgram => {
                mode(&mut m, "reservation-mode", &[]);
                (ctrl, ack)
            }
            Self::CommitFirmwareUpdate {
                sw_code,
                sw_version,
            } => {
                if !matches!(sw_code, 1 | 2 | 4) {
                    return Err(ValidationError::OutOfRange {
                        field: "sw_code",
                        value: *sw_code as f64,
                        min: 1.0,
                        max: 4.0,
                    }
                    .into());
                }
                m.insert(
                    "commitOta".into(),
                    json!({ "swCode": sw_code, "swVersion": sw_version }),
                );
                (ctrl, ack)
            }
            Self::CheckFirmwareUpdate => {
                mode(&mut m, "ota-check", &[]);
                (ctrl, ack)
            }
            Self::TriggerRecirculationHotButton => {
                mode(&mut m, "recirc-hotbtn", &[1]);
                (ctrl, ack)
            }
            Self::SetRecirculationMode { mode: rm } => {
                range_u8("mode", *rm, 1, 4)?;
                mode(&mut m, "recirc-mode", &[i64::from(*rm)]);
                (ctrl, ack)
            }
            Self::ReconnectWifi => {
                mode(&mut m, "wifi-reconnect", &[]);
                (ctrl, ack)
            }
            Self::ResetWifi => {
                mode(&mut m, "wifi-reset", &[]);
                (ctrl, ack)
            }
            Self::SetFreezeProtectionTemperature { temperature, unit } => {
                let f = feature_for_limits(feature)?;
                let raw = validated_setpoint(
                    *temperature,
                    *unit,
                    (f.freeze_protection_temp_min, "freezeProtectionTempMin"),
                    (f.freeze_protection_temp_max, "freezeProtectionTempMax"),
                )?;
                mode(&mut m, "frez-temp", &[raw.0]);
                (ctrl, ack)
            }
            Self::RunSmartDiagnostic => {
                mode(&mut m, "smart-diagnostic", &[]);
                (ctrl, ack)
            }
            Self::SetDhwTemperature { temperature, unit } => {
                let f = feature_for_limits(feature)?;
                let raw = validated_setpoint(
                    *temperature,
                    *unit,
                    (f.dhw_temperature_min, "dhwTemperatureMin"),
                    (f.dhw_temperature_max, "dhwTemperatureMax"),
                )?;
                mode(&mut m, "dhw-temperature", &[raw.0]);
                (ctrl, ack)
            }
            Self::SetIntelligentScheduling { enabled } => {
                mode(
                    &mut m,
                    if *enabled {
                        "intelligent-on"
                    } else {
                        "intelligent-off"
                    },
                    &[],
                );
                (ctrl, ack)
            }
            Self::SetDemandResponse { enabled } => {
                mode(&mut m, if *enabled { "dr-on" } else { "dr-off" }, &[]);
                (ctrl, ack)
            }
            Self::DisableAntiLegionella => {
                mode(&mut m, "anti-leg-off", &[]);
                (ctrl, ack)
            }
            Self::EnableAntiLegionella { period_days } => {
                range_u8("period_days", *period_days, 1, 30)?;
                mode(&mut m, "anti-leg-on", &[i64::from(*period_days)]);
                (ctrl, ack)
            }
            Self::ResetAirFilter => {
                mode(&mut m, "air-filter-reset", &[]);
                (ctrl, ack)
            }
            Self::SetAirFilterLife { value } => {
                mode(&mut m, "air-filter-life", &[i64::from(*value)]);
                (ctrl, ack)
            }
            Self::SetTouEnabled { enabled } => {
                mode(&mut m, if *enabled { "tou-on" } else { "tou-off" }, &[]);
                (ctrl, ack)
            }
            // Built by `build` before the envelope; it has no request object.
            Self::SignalAppConnection { .. } => (ctrl, AnswerKind::None),
        };
        Ok((m, shaped.0, shaped.1))
    }
}

fn insert_reservations(
    m: &mut Map<String, Value>,
    enabled: bool,
    entries: &[ReservationEntry],
) -> Result<(), ValidationError> {
    for e in entries {
        e.validate()?;
    }
    m.insert(
        "reservationUse".into(),
        Value::from(devbool_encode(enabled)),
    );
    m.insert(
        "reservation".into(),
        entries.iter().map(ReservationEntry::to_json).collect(),
    );
    Ok(())
}

fn insert_serial(m: &mut Map<String, Value>, serial: &str) -> Result<(), ValidationError> {
    if serial.trim().is_empty() {
        return Err(ValidationError::Missing {
            parameter: "controller_serial_number",
        });
    }
    m.insert("controllerSerialNumber".into(), Value::from(serial));
    Ok(())
}

fn feature_for_limits(feature: Option<&Feature>) -> Result<&Feature, ValidationError> {
    // Gated commands only get here with a feature; keep a typed error rather than a panic.
    feature.ok_or(ValidationError::LimitUnknown { field: "feature" })
}

/// Validates `value` (in `unit`) against feature limits decoded to the same unit, then
/// encodes it as half-°C (§5.3 parameter rules, §6.3).
fn validated_setpoint(
    value: f64,
    unit: UnitSystem,
    min: (Option<HalfCelsius>, &'static str),
    max: (Option<HalfCelsius>, &'static str),
) -> Result<HalfCelsius, ValidationError> {
    let lo = min
        .0
        .ok_or(ValidationError::LimitUnknown { field: min.1 })?;
    let hi = max
        .0
        .ok_or(ValidationError::LimitUnknown { field: max.1 })?;
    check_temperature(value, lo.in_unit(unit), hi.in_unit(unit))?;
    HalfCelsius::encode(value, unit)
}
