//! Commands (protocol.md §5): every operation of §5.3 as a typed [`Command`], validated and
//! built into an [`OutgoingRequest`] (topic, envelope, response topic, subscriptions to make
//! first, and what answer to expect).
//!
//! Validation happens before anything is built: capability gates first (as upstream does),
//! then the parameter rules. A [`CommandError`] means nothing may be published.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

use super::enums::wire_enum;
use super::error::{CommandError, ValidationError};
use super::feature::{Capability, Feature};
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

wire_enum! {
    /// Command codes (§5.3): queries are `0x0100_0000 + n`, controls `0x0200_0000 + n`.
    pub enum CommandCode {
        /// Device info (feature) request.
        DeviceInfo = 16777217 => ("DEVICE_INFO", "Device info request"),
        /// Status request.
        Status = 16777219 => ("STATUS", "Status request"),
        /// Reservation read.
        ReservationRead = 16777222 => ("RESERVATION_READ", "Reservation read"),
        /// Energy usage query.
        EnergyUsage = 16777225 => ("ENERGY_USAGE", "Energy usage query"),
        /// Reservation write.
        ReservationWrite = 16777226 => ("RESERVATION_WRITE", "Reservation write"),
        /// Power off.
        PowerOff = 33554433 => ("POWER_OFF", "Power off"),
        /// Power on.
        PowerOn = 33554434 => ("POWER_ON", "Power on"),
        /// DHW operation mode (also vacation, `[5, days]`).
        DhwMode = 33554437 => ("DHW_MODE", "DHW operation mode"),
        /// Weekly reservation.
        WeeklyReservation = 33554438 => ("WEEKLY_RESERVATION", "Weekly reservation"),
        /// TOU schedule read / write.
        TouSchedule = 33554439 => ("TOU_SCHEDULE", "TOU schedule"),
        /// Recirculation schedule.
        RecirculationSchedule = 33554440 => ("RECIRCULATION_SCHEDULE", "Recirculation schedule"),
        /// Water-program reservation mode.
        ReservationWaterProgram = 33554441 => ("RESERVATION_WATER_PROGRAM", "Water-program reservation mode"),
        /// OTA commit.
        OtaCommit = 33554442 => ("OTA_COMMIT", "Firmware update commit"),
        /// OTA check.
        OtaCheck = 33554443 => ("OTA_CHECK", "Firmware update check"),
        /// Recirculation hot button.
        RecirculationHotButton = 33554444 => ("RECIRCULATION_HOT_BUTTON", "Recirculation hot button"),
        /// Recirculation mode.
        RecirculationMode = 33554445 => ("RECIRCULATION_MODE", "Recirculation mode"),
        /// Wi-Fi reconnect.
        WifiReconnect = 33554446 => ("WIFI_RECONNECT", "Wi-Fi reconnect"),
        /// Wi-Fi reset (wipes Wi-Fi credentials).
        WifiReset = 33554447 => ("WIFI_RESET", "Wi-Fi reset"),
        /// Freeze-protection temperature.
        FreezeProtectionTemperature = 33554451 => ("FREEZE_PROTECTION_TEMPERATURE", "Freeze-protection temperature"),
        /// Smart diagnostic.
        SmartDiagnostic = 33554455 => ("SMART_DIAGNOSTIC", "Smart diagnostic"),
        /// DHW target temperature.
        DhwTemperature = 33554464 => ("DHW_TEMPERATURE", "DHW target temperature"),
        /// "Go-out day": accepted but ignored by the device; not sendable (see
        /// [`CommandCode::is_sendable`]).
        GoOutDay = 33554466 => ("GOOUT_DAY", "Go-out day (ignored by the device)"),
        /// Intelligent / adaptive scheduling off.
        IntelligentOff = 33554467 => ("INTELLIGENT_OFF", "Intelligent scheduling off"),
        /// Intelligent / adaptive scheduling on.
        IntelligentOn = 33554468 => ("INTELLIGENT_ON", "Intelligent scheduling on"),
        /// Demand response off.
        DemandResponseOff = 33554469 => ("DR_OFF", "Demand response off"),
        /// Demand response on.
        DemandResponseOn = 33554470 => ("DR_ON", "Demand response on"),
        /// Anti-legionella off.
        AntiLegionellaOff = 33554471 => ("ANTI_LEGIONELLA_OFF", "Anti-legionella off"),
        /// Anti-legionella on (also changes the period).
        AntiLegionellaOn = 33554472 => ("ANTI_LEGIONELLA_ON", "Anti-legionella on"),
        /// Air-filter reset.
        AirFilterReset = 33554473 => ("AIR_FILTER_RESET", "Air-filter reset"),
        /// Air-filter life (documented upstream only; payload unverified).
        AirFilterLife = 33554474 => ("AIR_FILTER_LIFE", "Air-filter life"),
        /// TOU off (keeps the stored schedule).
        TouOff = 33554475 => ("TOU_OFF", "TOU off"),
        /// TOU on.
        TouOn = 33554476 => ("TOU_ON", "TOU on"),
    }
}

impl CommandCode {
    /// Whether a [`Command`] produces this code. False for [`CommandCode::GoOutDay`]: the
    /// device accepts 33554466 but ignores it (confirmed from an app capture); vacation is
    /// `dhw-mode` `[5, days]` ([`Command::SetVacation`]). Also false for unknown codes.
    pub fn is_sendable(self) -> bool {
        !matches!(self, Self::GoOutDay | Self::Unknown(_))
    }

    /// Whether this is a query (`0x0100_0000` family) rather than a control.
    pub fn is_query(self) -> bool {
        self.raw() >> 24 == 1
    }
}

/// A DHW operation mode that may be sent with `dhw-mode` (vacation has its own command,
/// [`Command::SetVacation`]; "power off" is reported by the device, never sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DhwMode {
    /// Heat pump only (1).
    HeatPump,
    /// Elements only (2).
    Electric,
    /// Energy Saver, hybrid efficiency (3).
    EnergySaver,
    /// High Demand, hybrid boost (4).
    HighDemand,
}

impl DhwMode {
    /// The `dhw-mode` parameter value.
    pub fn raw(self) -> i64 {
        match self {
            Self::HeatPump => 1,
            Self::Electric => 2,
            Self::EnergySaver => 3,
            Self::HighDemand => 4,
        }
    }

    /// The sendable mode for a raw value 1–4.
    pub fn from_raw(raw: i64) -> Option<Self> {
        match raw {
            1 => Some(Self::HeatPump),
            2 => Some(Self::Electric),
            3 => Some(Self::EnergySaver),
            4 => Some(Self::HighDemand),
            _ => None,
        }
    }
}

/// Every operation a client can send (§5.3, §5.7). Build with [`Command::build`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Command {
    /// 16777219: request a status.
    RequestStatus,
    /// 16777217: request the feature (device info) payload.
    RequestFeature,
    /// 16777222: read the reservation program.
    RequestReservations,
    /// 16777225: daily energy usage for `months` (1–12) of `year`.
    RequestEnergyUsage {
        /// Year, e.g. 2025.
        year: u16,
        /// Months 1–12 (several allowed).
        months: Vec<u8>,
    },
    /// 16777226: write the complete reservation program (read-modify-write: the protocol
    /// has no per-entry edit).
    UpdateReservations {
        /// `reservationUse`: program enabled.
        enabled: bool,
        /// Every entry.
        entries: Vec<ReservationEntry>,
    },
    /// 33554434 / 33554433: power on / off.
    SetPower {
        /// On.
        on: bool,
    },
    /// 33554437: DHW operation mode.
    SetDhwMode {
        /// The mode.
        mode: DhwMode,
    },
    /// 33554437 `[5, days]`: vacation for 1–30 days. Gated on `holidayUse` and `dhwUse`.
    SetVacation {
        /// Days, 1–30.
        days: u8,
    },
    /// 33554438: weekly reservation.
    UpdateWeeklyReservation {
        /// `reservationUse`: program enabled.
        enabled: bool,
        /// Every entry.
        entries: Vec<ReservationEntry>,
    },
    /// 33554439 (read): request the TOU schedule.
    RequestTouSettings {
        /// The feature payload's `controllerSerialNumber`.
        controller_serial_number: String,
    },
    /// 33554439 (write): store a TOU schedule (at least one period).
    ConfigureTouSchedule {
        /// The feature payload's `controllerSerialNumber`.
        controller_serial_number: String,
        /// The periods.
        periods: Vec<TouPeriod>,
        /// `reservationUse`: TOU enabled.
        enabled: bool,
    },
    /// 33554440: recirculation schedule.
    ConfigureRecirculationSchedule {
        /// The windows.
        entries: Vec<RecirculationEntry>,
    },
    /// 33554441: water-program reservation mode.
    ConfigureReservationWaterProgram,
    /// 33554442: commit a firmware update.
    CommitFirmwareUpdate {
        /// Component: 1 controller, 2 panel, 4 Wi-Fi module.
        sw_code: i64,
        /// Version as reported by the OTA check.
        sw_version: i64,
    },
    /// 33554443: check for a firmware update.
    CheckFirmwareUpdate,
    /// 33554444: recirculation hot button.
    TriggerRecirculationHotButton,
    /// 33554445: recirculation mode 1–4 (`RecirculationMode`).
    SetRecirculationMode {
        /// 1 always, 2 button, 3 schedule, 4 temperature.
        mode: u8,
    },
    /// 33554446: Wi-Fi reconnect.
    ReconnectWifi,
    /// 33554447: Wi-Fi reset (wipes the device's Wi-Fi credentials).
    ResetWifi,
    /// 33554451: freeze-protection temperature, validated against the feature limits.
    SetFreezeProtectionTemperature {
        /// Temperature in `unit`.
        temperature: f64,
        /// Unit of `temperature`.
        unit: UnitSystem,
    },
    /// 33554455: run the smart diagnostic (result in status `smartDiagnostic`).
    RunSmartDiagnostic,
    /// 33554464: DHW target temperature, validated against the feature limits.
    SetDhwTemperature {
        /// Temperature in `unit`.
        temperature: f64,
        /// Unit of `temperature`.
        unit: UnitSystem,
    },
    /// 33554468 / 33554467: intelligent (adaptive) scheduling on / off.
    SetIntelligentScheduling {
        /// On.
        enabled: bool,
    },
    /// 33554470 / 33554469: demand response on / off.
    SetDemandResponse {
        /// On.
        enabled: bool,
    },
    /// 33554471: anti-legionella off.
    DisableAntiLegionella,
    /// 33554472: anti-legionella on every `period_days` (1–30); also changes the period.
    EnableAntiLegionella {
        /// Days, 1–30.
        period_days: u8,
    },
    /// 33554473: air-filter reset.
    ResetAirFilter,
    /// 33554474: air-filter life. Mode string and parameter come from upstream documentation
    /// only and are unverified against the device; the value is sent as given.
    SetAirFilterLife {
        /// The parameter value.
        value: u32,
    },
    /// 33554476 / 33554475: TOU on / off (off keeps the stored schedule).
    SetTouEnabled {
        /// On.
        enabled: bool,
    },
    /// App-connection event (§5.7): no code, no answer. `at` is the instant to report.
    SignalAppConnection {
        /// The timestamp to send.
        at: SystemTime,
    },
}

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
    /// The command code sent (`None` for the app-connection event).
    pub fn code(&self) -> Option<CommandCode> {
        use CommandCode as C;
        Some(match self {
            Self::RequestStatus => C::Status,
            Self::RequestFeature => C::DeviceInfo,
            Self::RequestReservations => C::ReservationRead,
            Self::RequestEnergyUsage { .. } => C::EnergyUsage,
            Self::UpdateReservations { .. } => C::ReservationWrite,
            Self::SetPower { on: true } => C::PowerOn,
            Self::SetPower { on: false } => C::PowerOff,
            Self::SetDhwMode { .. } | Self::SetVacation { .. } => C::DhwMode,
            Self::UpdateWeeklyReservation { .. } => C::WeeklyReservation,
            Self::RequestTouSettings { .. } | Self::ConfigureTouSchedule { .. } => C::TouSchedule,
            Self::ConfigureRecirculationSchedule { .. } => C::RecirculationSchedule,
            Self::ConfigureReservationWaterProgram => C::ReservationWaterProgram,
            Self::CommitFirmwareUpdate { .. } => C::OtaCommit,
            Self::CheckFirmwareUpdate => C::OtaCheck,
            Self::TriggerRecirculationHotButton => C::RecirculationHotButton,
            Self::SetRecirculationMode { .. } => C::RecirculationMode,
            Self::ReconnectWifi => C::WifiReconnect,
            Self::ResetWifi => C::WifiReset,
            Self::SetFreezeProtectionTemperature { .. } => C::FreezeProtectionTemperature,
            Self::RunSmartDiagnostic => C::SmartDiagnostic,
            Self::SetDhwTemperature { .. } => C::DhwTemperature,
            Self::SetIntelligentScheduling { enabled: true } => C::IntelligentOn,
            Self::SetIntelligentScheduling { enabled: false } => C::IntelligentOff,
            Self::SetDemandResponse { enabled: true } => C::DemandResponseOn,
            Self::SetDemandResponse { enabled: false } => C::DemandResponseOff,
            Self::DisableAntiLegionella => C::AntiLegionellaOff,
            Self::EnableAntiLegionella { .. } => C::AntiLegionellaOn,
            Self::ResetAirFilter => C::AirFilterReset,
            Self::SetAirFilterLife { .. } => C::AirFilterLife,
            Self::SetTouEnabled { enabled: true } => C::TouOn,
            Self::SetTouEnabled { enabled: false } => C::TouOff,
            Self::SignalAppConnection { .. } => return None,
        })
    }

    /// The capabilities checked before sending, in order (§5.3 "Gate").
    pub fn gates(&self) -> &'static [Capability] {
        use Capability as G;
        match self {
            Self::SetPower { .. } => &[G::PowerUse],
            Self::SetDhwMode { .. } => &[G::DhwUse],
            Self::SetVacation { .. } => &[G::HolidayUse, G::DhwUse],
            Self::UpdateWeeklyReservation { .. }
            | Self::ConfigureTouSchedule { .. }
            | Self::ConfigureReservationWaterProgram
            | Self::SetTouEnabled { .. } => &[G::ProgramReservationUse],
            Self::ConfigureRecirculationSchedule { .. } => &[G::RecircReservationUse],
            Self::TriggerRecirculationHotButton | Self::SetRecirculationMode { .. } => {
                &[G::RecirculationUse]
            }
            Self::SetFreezeProtectionTemperature { .. } => &[G::FreezeProtectionUse],
            Self::SetDhwTemperature { .. } => &[G::DhwTemperatureSettingUse],
            Self::SetDemandResponse { .. } => &[G::DrSettingUse],
            Self::DisableAntiLegionella | Self::EnableAntiLegionella { .. } => {
                &[G::AntiLegionellaSettingUse]
            }
            _ => &[],
        }
    }

    /// Whether this is a device control (as opposed to a query or the event); controls are
    /// what a device may refuse with `controlfail` (§5.8).
    pub fn is_control(&self) -> bool {
        self.code().is_some_and(|c| !c.is_query())
            && !matches!(self, Self::RequestTouSettings { .. })
    }

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
                m.insert("reservation".into(), to_value(periods)?);
                (
                    Route::Client(RequestSuffix::CtrlTouRd, ResponseSuffix::TouRd),
                    AnswerKind::Tou(Some(CanonicalTou::of(*enabled, periods))),
                )
            }
            Self::ConfigureRecirculationSchedule { entries } => {
                for e in entries {
                    e.validate()?;
                }
                m.insert("schedule".into(), to_value(entries)?);
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
            Self::SignalAppConnection { .. } => (ctrl, AnswerKind::None),
        };
        Ok((m, shaped.0, shaped.1))
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value, ValidationError> {
    // Serialising these plain structs cannot fail; map the impossible error anyway.
    serde_json::to_value(v).map_err(|_| ValidationError::Missing {
        parameter: "serialisable value",
    })
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
    m.insert("reservation".into(), to_value(&entries)?);
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
