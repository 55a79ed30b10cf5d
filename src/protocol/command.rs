//! Every operation of docs/protocol.md §5.3 (and the §5.7 event) as a typed [`Command`]: its
//! code and the capability gates it is checked against. Building the request is in
//! `request.rs`.

use std::time::SystemTime;

use super::codes::CommandCode;
use super::feature::Capability;
use super::recirculation::RecirculationEntry;
use super::reservation::ReservationEntry;
use super::tou::TouPeriod;
use super::units::UnitSystem;

/// A DHW operation mode that may be sent with `dhw-mode` (vacation has its own command,
/// [`Command::SetVacation`]; "power off" is reported by the device, never sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
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

    /// Whether the command changes device state: everything except the status, feature,
    /// reservation, TOU and energy reads and the app-connection event.
    pub fn is_control(&self) -> bool {
        !matches!(
            self,
            Self::RequestStatus
                | Self::RequestFeature
                | Self::RequestReservations
                | Self::RequestEnergyUsage { .. }
                | Self::RequestTouSettings { .. }
                | Self::SignalAppConnection { .. }
        )
    }
}
