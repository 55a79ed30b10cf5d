//! The feature (device info) payload (`response.feature`, answer to 16777217,
//! docs/protocol.md §8) and the capability gates commands check before sending (§5.3).

use std::fmt;

use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use super::enums::{DhwControlType, TempFormulaType, TemperatureType, UnitType, VolumeCode};
use super::lenient::field as de;
use super::units::{HalfCelsius, UnitPreference, UnitSystem};

/// A decoded feature object. Capability flags are devbool with absent → false (a
/// capability the device does not report is treated as not fitted).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Feature {
    /// `temperatureType`: display unit (absent → `None`; upstream assumes °F).
    #[serde(rename = "temperatureType", default)]
    pub temperature_type: Option<TemperatureType>,
    /// `tempFormulaType` (absent → `None`).
    #[serde(rename = "tempFormulaType", default)]
    pub temp_formula_type: Option<TempFormulaType>,
    /// `countryCode` (USA units report 3).
    #[serde(rename = "countryCode", deserialize_with = "de::int")]
    pub country_code: i64,
    /// `modelTypeCode` (513 = NPF heat-pump water heater).
    #[serde(rename = "modelTypeCode")]
    pub model_type_code: UnitType,
    /// `controlTypeCode`: control board variant.
    #[serde(rename = "controlTypeCode", deserialize_with = "de::int")]
    pub control_type_code: i64,
    /// `volumeCode`: tank size.
    #[serde(rename = "volumeCode")]
    pub volume_code: VolumeCode,
    /// `controllerSwVersion`.
    #[serde(rename = "controllerSwVersion", deserialize_with = "de::int")]
    pub controller_sw_version: i64,
    /// `panelSwVersion`.
    #[serde(rename = "panelSwVersion", deserialize_with = "de::int")]
    pub panel_sw_version: i64,
    /// `wifiSwVersion`.
    #[serde(rename = "wifiSwVersion", deserialize_with = "de::int")]
    pub wifi_sw_version: i64,
    /// `recircSwVersion`.
    #[serde(rename = "recircSwVersion", deserialize_with = "de::int")]
    pub recirc_sw_version: i64,
    /// `controllerSwCode`.
    #[serde(rename = "controllerSwCode", deserialize_with = "de::int")]
    pub controller_sw_code: i64,
    /// `panelSwCode`.
    #[serde(rename = "panelSwCode", deserialize_with = "de::int")]
    pub panel_sw_code: i64,
    /// `wifiSwCode`.
    #[serde(rename = "wifiSwCode", deserialize_with = "de::int")]
    pub wifi_sw_code: i64,
    /// `recircModelTypeCode` (0 = none).
    #[serde(rename = "recircModelTypeCode", deserialize_with = "de::int")]
    pub recirc_model_type_code: i64,
    /// `controllerSerialNumber`: needed for TOU commands (`controllerId` in REST).
    #[serde(rename = "controllerSerialNumber")]
    pub controller_serial_number: String,
    /// `dhwTemperatureSettingUse`: setpoint control type.
    #[serde(rename = "dhwTemperatureSettingUse")]
    pub dhw_temperature_setting_use: DhwControlType,
    /// `dhwTemperatureMin`: lowest setpoint.
    #[serde(rename = "dhwTemperatureMin", default)]
    pub dhw_temperature_min: Option<HalfCelsius>,
    /// `dhwTemperatureMax`: highest setpoint.
    #[serde(rename = "dhwTemperatureMax", default)]
    pub dhw_temperature_max: Option<HalfCelsius>,
    /// `freezeProtectionTempMin`.
    #[serde(rename = "freezeProtectionTempMin", default)]
    pub freeze_protection_temp_min: Option<HalfCelsius>,
    /// `freezeProtectionTempMax`.
    #[serde(rename = "freezeProtectionTempMax", default)]
    pub freeze_protection_temp_max: Option<HalfCelsius>,
    /// `recircTemperatureMin`.
    #[serde(rename = "recircTemperatureMin", default)]
    pub recirc_temperature_min: Option<HalfCelsius>,
    /// `recircTemperatureMax`.
    #[serde(rename = "recircTemperatureMax", default)]
    pub recirc_temperature_max: Option<HalfCelsius>,
    /// `powerUse`: power on/off supported.
    #[serde(rename = "powerUse", default, deserialize_with = "de::devbool")]
    pub power_use: bool,
    /// `holidayUse`: vacation supported.
    #[serde(rename = "holidayUse", default, deserialize_with = "de::devbool")]
    pub holiday_use: bool,
    /// `programReservationUse`: reservations / TOU supported.
    #[serde(
        rename = "programReservationUse",
        default,
        deserialize_with = "de::devbool"
    )]
    pub program_reservation_use: bool,
    /// `dhwUse`: DHW mode control.
    #[serde(rename = "dhwUse", default, deserialize_with = "de::devbool")]
    pub dhw_use: bool,
    /// `smartDiagnosticUse`.
    #[serde(
        rename = "smartDiagnosticUse",
        default,
        deserialize_with = "de::devbool"
    )]
    pub smart_diagnostic_use: bool,
    /// `wifiRssiUse`.
    #[serde(rename = "wifiRssiUse", default, deserialize_with = "de::devbool")]
    pub wifi_rssi_use: bool,
    /// `energyUsageUse`: energy history available.
    #[serde(rename = "energyUsageUse", default, deserialize_with = "de::devbool")]
    pub energy_usage_use: bool,
    /// `freezeProtectionUse`.
    #[serde(
        rename = "freezeProtectionUse",
        default,
        deserialize_with = "de::devbool"
    )]
    pub freeze_protection_use: bool,
    /// `mixingValveUse` (upstream docs misspell it `mixingValueUse`).
    #[serde(rename = "mixingValveUse", default, deserialize_with = "de::devbool")]
    pub mixing_valve_use: bool,
    /// `drSettingUse`: demand response.
    #[serde(rename = "drSettingUse", default, deserialize_with = "de::devbool")]
    pub dr_setting_use: bool,
    /// `antiLegionellaSettingUse`.
    #[serde(
        rename = "antiLegionellaSettingUse",
        default,
        deserialize_with = "de::devbool"
    )]
    pub anti_legionella_setting_use: bool,
    /// `hpwhUse`: heat-pump water heater.
    #[serde(rename = "hpwhUse", default, deserialize_with = "de::devbool")]
    pub hpwh_use: bool,
    /// `dhwRefillUse`: refill / dry-fire detection.
    #[serde(rename = "dhwRefillUse", default, deserialize_with = "de::devbool")]
    pub dhw_refill_use: bool,
    /// `ecoUse`: ECO switch.
    #[serde(rename = "ecoUse", default, deserialize_with = "de::devbool")]
    pub eco_use: bool,
    /// `electricUse`: mode 2 available.
    #[serde(rename = "electricUse", default, deserialize_with = "de::devbool")]
    pub electric_use: bool,
    /// `heatpumpUse`: mode 1 available.
    #[serde(rename = "heatpumpUse", default, deserialize_with = "de::devbool")]
    pub heatpump_use: bool,
    /// `energySaverUse`: mode 3 available.
    #[serde(rename = "energySaverUse", default, deserialize_with = "de::devbool")]
    pub energy_saver_use: bool,
    /// `highDemandUse`: mode 4 available.
    #[serde(rename = "highDemandUse", default, deserialize_with = "de::devbool")]
    pub high_demand_use: bool,
    /// `recirculationUse`: recirculation pump fitted.
    #[serde(rename = "recirculationUse", default, deserialize_with = "de::devbool")]
    pub recirculation_use: bool,
    /// `recircReservationUse`: recirculation schedule.
    #[serde(
        rename = "recircReservationUse",
        default,
        deserialize_with = "de::devbool"
    )]
    pub recirc_reservation_use: bool,
    /// `title24Use`: California Title 24.
    #[serde(rename = "title24Use", default, deserialize_with = "de::devbool")]
    pub title24_use: bool,
}

/// A feature flag a command is gated on (§5.3 "Gate").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Capability {
    /// `powerUse`.
    PowerUse,
    /// `dhwUse`.
    DhwUse,
    /// `dhwTemperatureSettingUse` (allowed for the known setpoint control types 2–4).
    DhwTemperatureSettingUse,
    /// `holidayUse`.
    HolidayUse,
    /// `programReservationUse`.
    ProgramReservationUse,
    /// `recirculationUse`.
    RecirculationUse,
    /// `recircReservationUse`.
    RecircReservationUse,
    /// `antiLegionellaSettingUse`.
    AntiLegionellaSettingUse,
    /// `drSettingUse`.
    DrSettingUse,
    /// `freezeProtectionUse`.
    FreezeProtectionUse,
}

impl Capability {
    /// Every gate.
    pub const ALL: [Capability; 10] = [
        Self::PowerUse,
        Self::DhwUse,
        Self::DhwTemperatureSettingUse,
        Self::HolidayUse,
        Self::ProgramReservationUse,
        Self::RecirculationUse,
        Self::RecircReservationUse,
        Self::AntiLegionellaSettingUse,
        Self::DrSettingUse,
        Self::FreezeProtectionUse,
    ];

    /// The feature payload key (`"powerUse"`).
    pub fn wire_name(self) -> &'static str {
        match self {
            Self::PowerUse => "powerUse",
            Self::DhwUse => "dhwUse",
            Self::DhwTemperatureSettingUse => "dhwTemperatureSettingUse",
            Self::HolidayUse => "holidayUse",
            Self::ProgramReservationUse => "programReservationUse",
            Self::RecirculationUse => "recirculationUse",
            Self::RecircReservationUse => "recircReservationUse",
            Self::AntiLegionellaSettingUse => "antiLegionellaSettingUse",
            Self::DrSettingUse => "drSettingUse",
            Self::FreezeProtectionUse => "freezeProtectionUse",
        }
    }

    /// The snake_case name (`"power_use"`).
    pub fn snake_name(self) -> &'static str {
        match self {
            Self::PowerUse => "power_use",
            Self::DhwUse => "dhw_use",
            Self::DhwTemperatureSettingUse => "dhw_temperature_setting_use",
            Self::HolidayUse => "holiday_use",
            Self::ProgramReservationUse => "program_reservation_use",
            Self::RecirculationUse => "recirculation_use",
            Self::RecircReservationUse => "recirc_reservation_use",
            Self::AntiLegionellaSettingUse => "anti_legionella_setting_use",
            Self::DrSettingUse => "dr_setting_use",
            Self::FreezeProtectionUse => "freeze_protection_use",
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.wire_name())
    }
}

impl Feature {
    /// Decodes a feature object (the value of `response.feature`).
    pub fn from_json(bytes: &[u8]) -> Result<Self, super::error::DecodeError> {
        Ok(serde_json::from_slice(bytes)?)
    }

    /// Whether the device allows commands gated on `capability`.
    pub fn allows(&self, capability: Capability) -> bool {
        match capability {
            Capability::PowerUse => self.power_use,
            Capability::DhwUse => self.dhw_use,
            Capability::DhwTemperatureSettingUse => {
                self.dhw_temperature_setting_use.allows_setpoint_control()
            }
            Capability::HolidayUse => self.holiday_use,
            Capability::ProgramReservationUse => self.program_reservation_use,
            Capability::RecirculationUse => self.recirculation_use,
            Capability::RecircReservationUse => self.recirc_reservation_use,
            Capability::AntiLegionellaSettingUse => self.anti_legionella_setting_use,
            Capability::DrSettingUse => self.dr_setting_use,
            Capability::FreezeProtectionUse => self.freeze_protection_use,
        }
    }

    /// A serialisable view with wire key names and limits decoded in `unit`.
    pub fn view(&self, unit: UnitSystem) -> FeatureView<'_> {
        FeatureView {
            feature: self,
            unit,
        }
    }
}

/// Serialises like [`Feature::view`] in the device's own display unit (`temperatureType`;
/// °F when absent).
impl Serialize for Feature {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.view(UnitPreference::Device.resolve(self.temperature_type))
            .serialize(s)
    }
}

/// A [`Feature`] rendered for output: wire key names, temperature limits in the chosen
/// unit, capability flags as booleans, enums as names (`modelTypeCode` stays the raw
/// integer).
#[derive(Debug, Clone, Copy)]
pub struct FeatureView<'a> {
    feature: &'a Feature,
    unit: UnitSystem,
}

impl Serialize for FeatureView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.feature;
        let u = self.unit;
        let h = |t: Option<HalfCelsius>| t.map(|t| t.in_unit(u));
        let mut m = s.serialize_map(Some(43))?;
        m.serialize_entry("temperatureType", &f.temperature_type)?;
        m.serialize_entry("tempFormulaType", &f.temp_formula_type)?;
        m.serialize_entry("countryCode", &f.country_code)?;
        m.serialize_entry("modelTypeCode", &f.model_type_code.raw())?;
        m.serialize_entry("controlTypeCode", &f.control_type_code)?;
        m.serialize_entry("volumeCode", &f.volume_code)?;
        m.serialize_entry("controllerSwVersion", &f.controller_sw_version)?;
        m.serialize_entry("panelSwVersion", &f.panel_sw_version)?;
        m.serialize_entry("wifiSwVersion", &f.wifi_sw_version)?;
        m.serialize_entry("recircSwVersion", &f.recirc_sw_version)?;
        m.serialize_entry("controllerSwCode", &f.controller_sw_code)?;
        m.serialize_entry("panelSwCode", &f.panel_sw_code)?;
        m.serialize_entry("wifiSwCode", &f.wifi_sw_code)?;
        m.serialize_entry("recircModelTypeCode", &f.recirc_model_type_code)?;
        m.serialize_entry("controllerSerialNumber", &f.controller_serial_number)?;
        m.serialize_entry("dhwTemperatureSettingUse", &f.dhw_temperature_setting_use)?;
        m.serialize_entry("dhwTemperatureMin", &h(f.dhw_temperature_min))?;
        m.serialize_entry("dhwTemperatureMax", &h(f.dhw_temperature_max))?;
        m.serialize_entry("freezeProtectionTempMin", &h(f.freeze_protection_temp_min))?;
        m.serialize_entry("freezeProtectionTempMax", &h(f.freeze_protection_temp_max))?;
        m.serialize_entry("recircTemperatureMin", &h(f.recirc_temperature_min))?;
        m.serialize_entry("recircTemperatureMax", &h(f.recirc_temperature_max))?;
        m.serialize_entry("powerUse", &f.power_use)?;
        m.serialize_entry("holidayUse", &f.holiday_use)?;
        m.serialize_entry("programReservationUse", &f.program_reservation_use)?;
        m.serialize_entry("dhwUse", &f.dhw_use)?;
        m.serialize_entry("smartDiagnosticUse", &f.smart_diagnostic_use)?;
        m.serialize_entry("wifiRssiUse", &f.wifi_rssi_use)?;
        m.serialize_entry("energyUsageUse", &f.energy_usage_use)?;
        m.serialize_entry("freezeProtectionUse", &f.freeze_protection_use)?;
        m.serialize_entry("mixingValveUse", &f.mixing_valve_use)?;
        m.serialize_entry("drSettingUse", &f.dr_setting_use)?;
        m.serialize_entry("antiLegionellaSettingUse", &f.anti_legionella_setting_use)?;
        m.serialize_entry("hpwhUse", &f.hpwh_use)?;
        m.serialize_entry("dhwRefillUse", &f.dhw_refill_use)?;
        m.serialize_entry("ecoUse", &f.eco_use)?;
        m.serialize_entry("electricUse", &f.electric_use)?;
        m.serialize_entry("heatpumpUse", &f.heatpump_use)?;
        m.serialize_entry("energySaverUse", &f.energy_saver_use)?;
        m.serialize_entry("highDemandUse", &f.high_demand_use)?;
        m.serialize_entry("recirculationUse", &f.recirculation_use)?;
        m.serialize_entry("recircReservationUse", &f.recirc_reservation_use)?;
        m.serialize_entry("title24Use", &f.title24_use)?;
        m.end()
    }
}
