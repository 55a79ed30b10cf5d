//! The status payload (`response.status`, docs/protocol.md §7): all 102 wire keys.
//!
//! [`Status`] keeps raw wire values in typed newtypes and decodes flags and enums; unit
//! conversions happen on access or in [`StatusView`], which serialises the status with
//! the wire key names and decoded values for a chosen unit system.
//!
//! Decoding follows upstream's required-key rule (a status missing a ✓ key of §7 is
//! rejected), accepts integers, integral floats and numeric strings, keeps unknown enum
//! values raw, and reports absent optional keys as `None` rather than a default.

use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use super::enums::{
    CurrentOperationMode, DhwOperationSetting, DrEvent, HeatSource, RecirculationMode,
    TempFormulaType, TemperatureType,
};
use super::error_codes::ErrorCode;
use super::lenient::field as de;
use super::units::{
    DeciCelsius, DeciCelsiusDelta, FlowRate, HalfCelsius, OutsideTemperature, TankEnergy,
    UnitPreference, UnitSystem, Volume,
};

/// Upstream's `freezeProtectionTempMin` when absent: 12 half-°C (6 °C / 42.8 °F).
fn default_freeze_min() -> HalfCelsius {
    HalfCelsius(12)
}

/// Upstream's `freezeProtectionTempMax` when absent: 20 half-°C (10 °C / 50 °F).
fn default_freeze_max() -> HalfCelsius {
    HalfCelsius(20)
}

/// A decoded status object. Field docs give the wire key; see docs/protocol.md §7 for meanings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Status {
    // ---- 7.1 identity, units, diagnostics
    /// `command`: code of the request that produced this status (16777219 for a poll, the
    /// control code after a control) — the only handle to match a control's acknowledgement.
    #[serde(rename = "command", deserialize_with = "de::int")]
    pub command: i64,
    /// `temperatureType`: the device's display unit (absent → `None`).
    #[serde(rename = "temperatureType", default)]
    pub temperature_type: Option<TemperatureType>,
    /// `tempFormulaType`: how `outsideTemperature` is rounded in °F.
    #[serde(rename = "tempFormulaType")]
    pub temp_formula_type: TempFormulaType,
    /// `errorCode` (absent → `None`, not "no error").
    #[serde(rename = "errorCode", default)]
    pub error_code: Option<ErrorCode>,
    /// `subErrorCode`.
    #[serde(rename = "subErrorCode", deserialize_with = "de::int")]
    pub sub_error_code: i64,
    /// `smartDiagnostic`: 0 = nothing found.
    #[serde(rename = "smartDiagnostic", deserialize_with = "de::int")]
    pub smart_diagnostic: i64,
    /// `faultStatus1` (bit register).
    #[serde(rename = "faultStatus1", deserialize_with = "de::int")]
    pub fault_status1: i64,
    /// `faultStatus2` (bit register).
    #[serde(rename = "faultStatus2", deserialize_with = "de::int")]
    pub fault_status2: i64,
    /// `specialFunctionStatus`.
    #[serde(rename = "specialFunctionStatus", deserialize_with = "de::int")]
    pub special_function_status: i64,
    /// `didReload`: device restarted recently.
    #[serde(rename = "didReload", deserialize_with = "de::devbool")]
    pub did_reload: bool,
    /// `currentStatenum`: internal state-machine id.
    #[serde(rename = "currentStatenum", deserialize_with = "de::int")]
    pub current_statenum: i64,
    /// `wifiRssi` in dBm (absent → `None`).
    #[serde(rename = "wifiRssi", default, deserialize_with = "de::opt_int")]
    pub wifi_rssi: Option<i64>,

    // ---- 7.2 operating state
    /// `operationMode`: what the unit is doing now (absent → `None`).
    #[serde(rename = "operationMode", default)]
    pub operation_mode: Option<CurrentOperationMode>,
    /// `dhwOperationSetting`: configured mode; `PowerOff` when switched off (absent → `None`).
    #[serde(rename = "dhwOperationSetting", default)]
    pub dhw_operation_setting: Option<DhwOperationSetting>,
    /// `operationBusy` (tri-state): heating in progress.
    #[serde(rename = "operationBusy", deserialize_with = "de::tri")]
    pub operation_busy: Option<bool>,
    /// `dhwOperationBusy` (absent → `None`).
    #[serde(
        rename = "dhwOperationBusy",
        default,
        deserialize_with = "de::opt_devbool"
    )]
    pub dhw_operation_busy: Option<bool>,
    /// `currentHeatUse`: active heat source.
    #[serde(rename = "currentHeatUse")]
    pub current_heat_use: HeatSource,
    /// `compUse` (tri-state): compressor running.
    #[serde(rename = "compUse", deserialize_with = "de::tri")]
    pub comp_use: Option<bool>,
    /// `heatUpperUse` (tri-state): upper element on.
    #[serde(rename = "heatUpperUse", deserialize_with = "de::tri")]
    pub heat_upper_use: Option<bool>,
    /// `heatLowerUse` (tri-state): lower element on.
    #[serde(rename = "heatLowerUse", deserialize_with = "de::tri")]
    pub heat_lower_use: Option<bool>,
    /// `eevUse`: expansion valve active.
    #[serde(rename = "eevUse", deserialize_with = "de::devbool")]
    pub eev_use: bool,
    /// `evaFanUse`: evaporator fan on.
    #[serde(rename = "evaFanUse", deserialize_with = "de::devbool")]
    pub eva_fan_use: bool,
    /// `dhwUse`: hot water being drawn.
    #[serde(rename = "dhwUse", deserialize_with = "de::devbool")]
    pub dhw_use: bool,
    /// `dhwUseSustained`: prolonged draw.
    #[serde(rename = "dhwUseSustained", deserialize_with = "de::devbool")]
    pub dhw_use_sustained: bool,
    /// `dhwChargePer`: tank charge, %.
    #[serde(rename = "dhwChargePer", deserialize_with = "de::num")]
    pub dhw_charge_percent: f64,
    /// `currentInstPower`: W, heat-pump side only.
    #[serde(rename = "currentInstPower", deserialize_with = "de::num")]
    pub current_inst_power: f64,
    /// `programReservationUse`: reservation program active.
    #[serde(rename = "programReservationUse", deserialize_with = "de::devbool")]
    pub program_reservation_use: bool,
    /// `programReservationType`.
    #[serde(rename = "programReservationType", deserialize_with = "de::int")]
    pub program_reservation_type: i64,
    /// `ecoUse`: ECO high-limit cut-out tripped.
    #[serde(rename = "ecoUse", deserialize_with = "de::devbool")]
    pub eco_use: bool,
    /// `scaldUse`: scald warning.
    #[serde(rename = "scaldUse", deserialize_with = "de::devbool")]
    pub scald_use: bool,
    /// `freezeProtectionUse`: freeze protection active.
    #[serde(rename = "freezeProtectionUse", deserialize_with = "de::devbool")]
    pub freeze_protection_use: bool,
    /// `shutOffValveUse`.
    #[serde(rename = "shutOffValveUse", deserialize_with = "de::devbool")]
    pub shut_off_valve_use: bool,
    /// `conOvrSensorUse`: condensate overflow sensor.
    #[serde(rename = "conOvrSensorUse", deserialize_with = "de::devbool")]
    pub con_ovr_sensor_use: bool,
    /// `wtrOvrSensorUse`: water leak sensor (E799).
    #[serde(rename = "wtrOvrSensorUse", deserialize_with = "de::devbool")]
    pub wtr_ovr_sensor_use: bool,
    /// `errorBuzzerUse`: buzzer enabled.
    #[serde(rename = "errorBuzzerUse", deserialize_with = "de::devbool")]
    pub error_buzzer_use: bool,

    // ---- 7.3 temperatures
    /// `outsideTemperature` (formula rounding in °F).
    #[serde(rename = "outsideTemperature", default)]
    pub outside_temperature: Option<OutsideTemperature>,
    /// `dhwTemperature`: measured inside the tank.
    #[serde(rename = "dhwTemperature", default)]
    pub dhw_temperature: Option<HalfCelsius>,
    /// `dhwTemperature2`.
    #[serde(rename = "dhwTemperature2", default)]
    pub dhw_temperature2: Option<HalfCelsius>,
    /// `dhwTemperatureSetting`: target setpoint.
    #[serde(rename = "dhwTemperatureSetting", default)]
    pub dhw_temperature_setting: Option<HalfCelsius>,
    /// `dhwTargetTemperatureSetting`: duplicate of the setpoint.
    #[serde(rename = "dhwTargetTemperatureSetting", default)]
    pub dhw_target_temperature_setting: Option<HalfCelsius>,
    /// `freezeProtectionTemperature`.
    #[serde(rename = "freezeProtectionTemperature", default)]
    pub freeze_protection_temperature: Option<HalfCelsius>,
    /// `freezeProtectionTempMin` (absent → 12, i.e. 6 °C, as upstream and G3 specify).
    #[serde(rename = "freezeProtectionTempMin", default = "default_freeze_min")]
    pub freeze_protection_temp_min: HalfCelsius,
    /// `freezeProtectionTempMax` (absent → 20, i.e. 10 °C).
    #[serde(rename = "freezeProtectionTempMax", default = "default_freeze_max")]
    pub freeze_protection_temp_max: HalfCelsius,
    /// `heatMinOpTemperature`.
    #[serde(rename = "heatMinOpTemperature", default)]
    pub heat_min_op_temperature: Option<HalfCelsius>,
    /// `hpUpperOnTempSetting`.
    #[serde(rename = "hpUpperOnTempSetting", default)]
    pub hp_upper_on_temp_setting: Option<HalfCelsius>,
    /// `hpUpperOffTempSetting`.
    #[serde(rename = "hpUpperOffTempSetting", default)]
    pub hp_upper_off_temp_setting: Option<HalfCelsius>,
    /// `hpLowerOnTempSetting`.
    #[serde(rename = "hpLowerOnTempSetting", default)]
    pub hp_lower_on_temp_setting: Option<HalfCelsius>,
    /// `hpLowerOffTempSetting`.
    #[serde(rename = "hpLowerOffTempSetting", default)]
    pub hp_lower_off_temp_setting: Option<HalfCelsius>,
    /// `heUpperOnTempSetting`.
    #[serde(rename = "heUpperOnTempSetting", default)]
    pub he_upper_on_temp_setting: Option<HalfCelsius>,
    /// `heUpperOffTempSetting`.
    #[serde(rename = "heUpperOffTempSetting", default)]
    pub he_upper_off_temp_setting: Option<HalfCelsius>,
    /// `heLowerOnTempSetting`.
    #[serde(rename = "heLowerOnTempSetting", default)]
    pub he_lower_on_temp_setting: Option<HalfCelsius>,
    /// `heLowerOffTempSetting`.
    #[serde(rename = "heLowerOffTempSetting", default)]
    pub he_lower_off_temp_setting: Option<HalfCelsius>,
    /// `recircTempSetting`.
    #[serde(rename = "recircTempSetting", default)]
    pub recirc_temp_setting: Option<HalfCelsius>,
    /// `recircTemperature`.
    #[serde(rename = "recircTemperature", default)]
    pub recirc_temperature: Option<HalfCelsius>,
    /// `recircFaucetTemperature`.
    #[serde(rename = "recircFaucetTemperature", default)]
    pub recirc_faucet_temperature: Option<HalfCelsius>,
    /// `currentInletTemperature`: cold inlet (half-°C; upstream docs wrongly say ÷10).
    #[serde(rename = "currentInletTemperature", default)]
    pub current_inlet_temperature: Option<HalfCelsius>,
    /// `tankUpperTemperature`.
    #[serde(rename = "tankUpperTemperature", default)]
    pub tank_upper_temperature: Option<DeciCelsius>,
    /// `tankLowerTemperature`.
    #[serde(rename = "tankLowerTemperature", default)]
    pub tank_lower_temperature: Option<DeciCelsius>,
    /// `dischargeTemperature`.
    #[serde(rename = "dischargeTemperature", default)]
    pub discharge_temperature: Option<DeciCelsius>,
    /// `suctionTemperature`.
    #[serde(rename = "suctionTemperature", default)]
    pub suction_temperature: Option<DeciCelsius>,
    /// `evaporatorTemperature`.
    #[serde(rename = "evaporatorTemperature", default)]
    pub evaporator_temperature: Option<DeciCelsius>,
    /// `ambientTemperature`: air intake.
    #[serde(rename = "ambientTemperature", default)]
    pub ambient_temperature: Option<DeciCelsius>,
    /// `targetSuperHeat`: physically a difference, converted as an absolute temperature
    /// (+32 in °F) for upstream compatibility (§13 item 27); the raw value is kept.
    #[serde(rename = "targetSuperHeat", default)]
    pub target_super_heat: Option<DeciCelsius>,
    /// `currentSuperHeat`: see `target_super_heat`.
    #[serde(rename = "currentSuperHeat", default)]
    pub current_super_heat: Option<DeciCelsius>,
    /// `hpUpperOnDiffTempSetting`.
    #[serde(rename = "hpUpperOnDiffTempSetting")]
    pub hp_upper_on_diff_temp_setting: DeciCelsiusDelta,
    /// `hpUpperOffDiffTempSetting`.
    #[serde(rename = "hpUpperOffDiffTempSetting")]
    pub hp_upper_off_diff_temp_setting: DeciCelsiusDelta,
    /// `hpLowerOnDiffTempSetting`.
    #[serde(rename = "hpLowerOnDiffTempSetting")]
    pub hp_lower_on_diff_temp_setting: DeciCelsiusDelta,
    /// `hpLowerOffDiffTempSetting`.
    #[serde(rename = "hpLowerOffDiffTempSetting")]
    pub hp_lower_off_diff_temp_setting: DeciCelsiusDelta,
    /// `heUpperOnDiffTempSetting`.
    #[serde(rename = "heUpperOnDiffTempSetting")]
    pub he_upper_on_diff_temp_setting: DeciCelsiusDelta,
    /// `heUpperOffDiffTempSetting`.
    #[serde(rename = "heUpperOffDiffTempSetting")]
    pub he_upper_off_diff_temp_setting: DeciCelsiusDelta,
    /// `heLowerOnTDiffempSetting` (vendor typo kept verbatim on the wire).
    #[serde(rename = "heLowerOnTDiffempSetting")]
    pub he_lower_on_diff_temp_setting: DeciCelsiusDelta,
    /// `heLowerOffDiffTempSetting`.
    #[serde(rename = "heLowerOffDiffTempSetting")]
    pub he_lower_off_diff_temp_setting: DeciCelsiusDelta,

    // ---- 7.4 flow, energy, mechanics, maintenance
    /// `currentDhwFlowRate` (0.1 L/min).
    #[serde(rename = "currentDhwFlowRate")]
    pub current_dhw_flow_rate: FlowRate,
    /// `recircDhwFlowRate` (0.1 L/min).
    #[serde(rename = "recircDhwFlowRate")]
    pub recirc_dhw_flow_rate: FlowRate,
    /// `cumulatedDhwFlowRate`: litres delivered since installation.
    #[serde(rename = "cumulatedDhwFlowRate")]
    pub cumulated_dhw_flow_rate: Volume,
    /// `totalEnergyCapacity`: full-recovery energy (× 4 Wh).
    #[serde(rename = "totalEnergyCapacity")]
    pub total_energy_capacity: TankEnergy,
    /// `availableEnergyCapacity`: energy still needed to reach the setpoint (× 4 Wh) — a
    /// deficit, not stored energy.
    #[serde(rename = "availableEnergyCapacity")]
    pub available_energy_capacity: TankEnergy,
    /// `targetFanRpm`.
    #[serde(rename = "targetFanRpm", deserialize_with = "de::int")]
    pub target_fan_rpm: i64,
    /// `currentFanRpm`.
    #[serde(rename = "currentFanRpm", deserialize_with = "de::int")]
    pub current_fan_rpm: i64,
    /// `fanPwm`.
    #[serde(rename = "fanPwm", deserialize_with = "de::int")]
    pub fan_pwm: i64,
    /// `eevStep`: expansion-valve position.
    #[serde(rename = "eevStep", deserialize_with = "de::int")]
    pub eev_step: i64,
    /// `mixingRate`: mixing valve, %.
    #[serde(rename = "mixingRate", deserialize_with = "de::num")]
    pub mixing_rate: f64,
    /// `airFilterAlarmUse` (tri-state): filter reminder enabled.
    #[serde(rename = "airFilterAlarmUse", deserialize_with = "de::tri")]
    pub air_filter_alarm_use: Option<bool>,
    /// `airFilterAlarmPeriod`: hours (0 = not configured).
    #[serde(rename = "airFilterAlarmPeriod", deserialize_with = "de::int")]
    pub air_filter_alarm_period: i64,
    /// `airFilterAlarmElapsed`: hours since the last filter reset.
    #[serde(rename = "airFilterAlarmElapsed", deserialize_with = "de::int")]
    pub air_filter_alarm_elapsed: i64,
    /// `cumulatedOpTimeEvaFan`: fan hours since installation.
    #[serde(rename = "cumulatedOpTimeEvaFan", deserialize_with = "de::int")]
    pub cumulated_op_time_eva_fan: i64,

    // ---- 7.5 programs, anti-legionella, vacation, DR/TOU, recirculation
    /// `antiLegionellaUse` (tri-state): disinfection cycle enabled.
    #[serde(rename = "antiLegionellaUse", deserialize_with = "de::tri")]
    pub anti_legionella_use: Option<bool>,
    /// `antiLegionellaPeriod`: days.
    #[serde(rename = "antiLegionellaPeriod", deserialize_with = "de::int")]
    pub anti_legionella_period: i64,
    /// `antiLegionellaOperationBusy` (tri-state): cycle running now.
    #[serde(rename = "antiLegionellaOperationBusy", deserialize_with = "de::tri")]
    pub anti_legionella_operation_busy: Option<bool>,
    /// `vacationDaySetting`: days.
    #[serde(rename = "vacationDaySetting", deserialize_with = "de::int")]
    pub vacation_day_setting: i64,
    /// `vacationDayElapsed`: days.
    #[serde(rename = "vacationDayElapsed", deserialize_with = "de::int")]
    pub vacation_day_elapsed: i64,
    /// `drEventStatus` (absent → `None`).
    #[serde(rename = "drEventStatus", default)]
    pub dr_event_status: Option<DrEvent>,
    /// `drOverrideStatus`: hours of user DR override left (a count, not a flag).
    #[serde(rename = "drOverrideStatus", deserialize_with = "de::int")]
    pub dr_override_status: i64,
    /// `touStatus`: TOU scheduling enabled.
    #[serde(rename = "touStatus", deserialize_with = "de::tou_status")]
    pub tou_status: bool,
    /// `touOverrideStatus`: user override of TOU active.
    #[serde(rename = "touOverrideStatus", deserialize_with = "de::tou_override")]
    pub tou_override_status: bool,
    /// `recircOperationMode`.
    #[serde(rename = "recircOperationMode")]
    pub recirc_operation_mode: RecirculationMode,
    /// `recircPumpOperationStatus`.
    #[serde(rename = "recircPumpOperationStatus", deserialize_with = "de::int")]
    pub recirc_pump_operation_status: i64,
    /// `recircHotBtnReady`.
    #[serde(rename = "recircHotBtnReady", deserialize_with = "de::int")]
    pub recirc_hot_btn_ready: i64,
    /// `recircOperationReason`.
    #[serde(rename = "recircOperationReason", deserialize_with = "de::int")]
    pub recirc_operation_reason: i64,
    /// `recircErrorStatus`.
    #[serde(rename = "recircErrorStatus", deserialize_with = "de::int")]
    pub recirc_error_status: i64,
    /// `recircOperationBusy`: recirculation running.
    #[serde(rename = "recircOperationBusy", deserialize_with = "de::devbool")]
    pub recirc_operation_busy: bool,
    /// `recircReservationUse` (tri-state): recirculation schedule active.
    #[serde(rename = "recircReservationUse", deserialize_with = "de::tri")]
    pub recirc_reservation_use: Option<bool>,
}

impl Status {
    /// Decodes a status object (the value of `response.status`).
    pub fn from_json(bytes: &[u8]) -> Result<Self, super::error::DecodeError> {
        Ok(serde_json::from_slice(bytes)?)
    }

    /// Full-recovery energy in Wh (`totalEnergyCapacity` × 4).
    pub fn full_recovery_energy_wh(&self) -> f64 {
        self.total_energy_capacity.watt_hours()
    }

    /// Energy still needed to reach the setpoint in Wh (`availableEnergyCapacity` × 4).
    pub fn energy_to_setpoint_wh(&self) -> f64 {
        self.available_energy_capacity.watt_hours()
    }

    /// Usable energy above the reference temperature in Wh: `max(0, full − to-setpoint)`.
    pub fn usable_energy_wh(&self) -> f64 {
        (self.full_recovery_energy_wh() - self.energy_to_setpoint_wh()).max(0.0)
    }

    /// Whether the device reports itself switched off (`dhwOperationSetting` 6).
    pub fn is_powered_off(&self) -> bool {
        self.dhw_operation_setting == Some(DhwOperationSetting::PowerOff)
    }

    /// `outsideTemperature` in `unit`: °C = raw / 2, °F a whole number per the formula.
    pub fn outside_temperature_in(&self, unit: UnitSystem) -> Option<f64> {
        self.outside_temperature.map(|t| match unit {
            UnitSystem::Metric => t.celsius(),
            UnitSystem::UsCustomary => t.fahrenheit(self.temp_formula_type) as f64,
        })
    }

    /// A serialisable view with wire key names and values decoded in `unit`.
    pub fn view(&self, unit: UnitSystem) -> StatusView<'_> {
        StatusView { status: self, unit }
    }
}

/// Serialises like [`Status::view`] in the device's own display unit (`temperatureType`;
/// °F when absent).
impl Serialize for Status {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.view(UnitPreference::Device.resolve(self.temperature_type))
            .serialize(s)
    }
}

/// A [`Status`] rendered for output: wire key names (camelCase, `heLowerOnTDiffempSetting`
/// included), temperatures in the chosen unit, flow in L/min or GPM, volume in litres or
/// US gallons, tank energies in Wh, flags as booleans (unknown tri-state as `null`), enums
/// as names, plus the derived `usableEnergy` (Wh).
#[derive(Debug, Clone, Copy)]
pub struct StatusView<'a> {
    status: &'a Status,
    unit: UnitSystem,
}

impl StatusView<'_> {
    /// The unit system of this view.
    pub fn unit(&self) -> UnitSystem {
        self.unit
    }
}

impl Serialize for StatusView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let st = self.status;
        let u = self.unit;
        let h = |t: Option<HalfCelsius>| t.map(|t| t.in_unit(u));
        let d = |t: Option<DeciCelsius>| t.map(|t| t.in_unit(u));
        let mut m = s.serialize_map(Some(104))?;
        m.serialize_entry("command", &st.command)?;
        m.serialize_entry("temperatureType", &st.temperature_type)?;
        m.serialize_entry("tempFormulaType", &st.temp_formula_type)?;
        m.serialize_entry("errorCode", &st.error_code)?;
        m.serialize_entry("subErrorCode", &st.sub_error_code)?;
        m.serialize_entry("smartDiagnostic", &st.smart_diagnostic)?;
        m.serialize_entry("faultStatus1", &st.fault_status1)?;
        m.serialize_entry("faultStatus2", &st.fault_status2)?;
        m.serialize_entry("specialFunctionStatus", &st.special_function_status)?;
        m.serialize_entry("didReload", &st.did_reload)?;
        m.serialize_entry("currentStatenum", &st.current_statenum)?;
        m.serialize_entry("wifiRssi", &st.wifi_rssi)?;

        m.serialize_entry("operationMode", &st.operation_mode)?;
        m.serialize_entry("dhwOperationSetting", &st.dhw_operation_setting)?;
        m.serialize_entry("operationBusy", &st.operation_busy)?;
        m.serialize_entry("dhwOperationBusy", &st.dhw_operation_busy)?;
        m.serialize_entry("currentHeatUse", &st.current_heat_use)?;
        m.serialize_entry("compUse", &st.comp_use)?;
        m.serialize_entry("heatUpperUse", &st.heat_upper_use)?;
        m.serialize_entry("heatLowerUse", &st.heat_lower_use)?;
        m.serialize_entry("eevUse", &st.eev_use)?;
        m.serialize_entry("evaFanUse", &st.eva_fan_use)?;
        m.serialize_entry("dhwUse", &st.dhw_use)?;
        m.serialize_entry("dhwUseSustained", &st.dhw_use_sustained)?;
        m.serialize_entry("dhwChargePer", &st.dhw_charge_percent)?;
        m.serialize_entry("currentInstPower", &st.current_inst_power)?;
        m.serialize_entry("programReservationUse", &st.program_reservation_use)?;
        m.serialize_entry("programReservationType", &st.program_reservation_type)?;
        m.serialize_entry("ecoUse", &st.eco_use)?;
        m.serialize_entry("scaldUse", &st.scald_use)?;
        m.serialize_entry("freezeProtectionUse", &st.freeze_protection_use)?;
        m.serialize_entry("shutOffValveUse", &st.shut_off_valve_use)?;
        m.serialize_entry("conOvrSensorUse", &st.con_ovr_sensor_use)?;
        m.serialize_entry("wtrOvrSensorUse", &st.wtr_ovr_sensor_use)?;
        m.serialize_entry("errorBuzzerUse", &st.error_buzzer_use)?;

        // °F outside temperature is a whole number; keep it an integer on output.
        match (u, st.outside_temperature) {
            (UnitSystem::UsCustomary, Some(t)) => {
                m.serialize_entry("outsideTemperature", &t.fahrenheit(st.temp_formula_type))?
            }
            (_, t) => m.serialize_entry("outsideTemperature", &t.map(|t| t.celsius()))?,
        }
        m.serialize_entry("dhwTemperature", &h(st.dhw_temperature))?;
        m.serialize_entry("dhwTemperature2", &h(st.dhw_temperature2))?;
        m.serialize_entry("dhwTemperatureSetting", &h(st.dhw_temperature_setting))?;
        m.serialize_entry(
            "dhwTargetTemperatureSetting",
            &h(st.dhw_target_temperature_setting),
        )?;
        m.serialize_entry(
            "freezeProtectionTemperature",
            &h(st.freeze_protection_temperature),
        )?;
        m.serialize_entry(
            "freezeProtectionTempMin",
            &st.freeze_protection_temp_min.in_unit(u),
        )?;
        m.serialize_entry(
            "freezeProtectionTempMax",
            &st.freeze_protection_temp_max.in_unit(u),
        )?;
        m.serialize_entry("heatMinOpTemperature", &h(st.heat_min_op_temperature))?;
        m.serialize_entry("hpUpperOnTempSetting", &h(st.hp_upper_on_temp_setting))?;
        m.serialize_entry("hpUpperOffTempSetting", &h(st.hp_upper_off_temp_setting))?;
        m.serialize_entry("hpLowerOnTempSetting", &h(st.hp_lower_on_temp_setting))?;
        m.serialize_entry("hpLowerOffTempSetting", &h(st.hp_lower_off_temp_setting))?;
        m.serialize_entry("heUpperOnTempSetting", &h(st.he_upper_on_temp_setting))?;
        m.serialize_entry("heUpperOffTempSetting", &h(st.he_upper_off_temp_setting))?;
        m.serialize_entry("heLowerOnTempSetting", &h(st.he_lower_on_temp_setting))?;
        m.serialize_entry("heLowerOffTempSetting", &h(st.he_lower_off_temp_setting))?;
        m.serialize_entry("recircTempSetting", &h(st.recirc_temp_setting))?;
        m.serialize_entry("recircTemperature", &h(st.recirc_temperature))?;
        m.serialize_entry("recircFaucetTemperature", &h(st.recirc_faucet_temperature))?;
        m.serialize_entry("currentInletTemperature", &h(st.current_inlet_temperature))?;
        m.serialize_entry("tankUpperTemperature", &d(st.tank_upper_temperature))?;
        m.serialize_entry("tankLowerTemperature", &d(st.tank_lower_temperature))?;
        m.serialize_entry("dischargeTemperature", &d(st.discharge_temperature))?;
        m.serialize_entry("suctionTemperature", &d(st.suction_temperature))?;
        m.serialize_entry("evaporatorTemperature", &d(st.evaporator_temperature))?;
        m.serialize_entry("ambientTemperature", &d(st.ambient_temperature))?;
        m.serialize_entry("targetSuperHeat", &d(st.target_super_heat))?;
        m.serialize_entry("currentSuperHeat", &d(st.current_super_heat))?;
        m.serialize_entry(
            "hpUpperOnDiffTempSetting",
            &st.hp_upper_on_diff_temp_setting.in_unit(u),
        )?;
        m.serialize_entry(
            "hpUpperOffDiffTempSetting",
            &st.hp_upper_off_diff_temp_setting.in_unit(u),
        )?;
        m.serialize_entry(
            "hpLowerOnDiffTempSetting",
            &st.hp_lower_on_diff_temp_setting.in_unit(u),
        )?;
        m.serialize_entry(
            "hpLowerOffDiffTempSetting",
            &st.hp_lower_off_diff_temp_setting.in_unit(u),
        )?;
        m.serialize_entry(
            "heUpperOnDiffTempSetting",
            &st.he_upper_on_diff_temp_setting.in_unit(u),
        )?;
        m.serialize_entry(
            "heUpperOffDiffTempSetting",
            &st.he_upper_off_diff_temp_setting.in_unit(u),
        )?;
        m.serialize_entry(
            "heLowerOnTDiffempSetting",
            &st.he_lower_on_diff_temp_setting.in_unit(u),
        )?;
        m.serialize_entry(
            "heLowerOffDiffTempSetting",
            &st.he_lower_off_diff_temp_setting.in_unit(u),
        )?;

        m.serialize_entry("currentDhwFlowRate", &st.current_dhw_flow_rate.in_unit(u))?;
        m.serialize_entry("recircDhwFlowRate", &st.recirc_dhw_flow_rate.in_unit(u))?;
        m.serialize_entry(
            "cumulatedDhwFlowRate",
            &st.cumulated_dhw_flow_rate.in_unit(u),
        )?;
        m.serialize_entry("totalEnergyCapacity", &st.full_recovery_energy_wh())?;
        m.serialize_entry("availableEnergyCapacity", &st.energy_to_setpoint_wh())?;
        m.serialize_entry("usableEnergy", &st.usable_energy_wh())?;
        m.serialize_entry("targetFanRpm", &st.target_fan_rpm)?;
        m.serialize_entry("currentFanRpm", &st.current_fan_rpm)?;
        m.serialize_entry("fanPwm", &st.fan_pwm)?;
        m.serialize_entry("eevStep", &st.eev_step)?;
        m.serialize_entry("mixingRate", &st.mixing_rate)?;
        m.serialize_entry("airFilterAlarmUse", &st.air_filter_alarm_use)?;
        m.serialize_entry("airFilterAlarmPeriod", &st.air_filter_alarm_period)?;
        m.serialize_entry("airFilterAlarmElapsed", &st.air_filter_alarm_elapsed)?;
        m.serialize_entry("cumulatedOpTimeEvaFan", &st.cumulated_op_time_eva_fan)?;

        m.serialize_entry("antiLegionellaUse", &st.anti_legionella_use)?;
        m.serialize_entry("antiLegionellaPeriod", &st.anti_legionella_period)?;
        m.serialize_entry(
            "antiLegionellaOperationBusy",
            &st.anti_legionella_operation_busy,
        )?;
        m.serialize_entry("vacationDaySetting", &st.vacation_day_setting)?;
        m.serialize_entry("vacationDayElapsed", &st.vacation_day_elapsed)?;
        m.serialize_entry("drEventStatus", &st.dr_event_status)?;
        m.serialize_entry("drOverrideStatus", &st.dr_override_status)?;
        m.serialize_entry("touStatus", &st.tou_status)?;
        m.serialize_entry("touOverrideStatus", &st.tou_override_status)?;
        m.serialize_entry("recircOperationMode", &st.recirc_operation_mode)?;
        m.serialize_entry(
            "recircPumpOperationStatus",
            &st.recirc_pump_operation_status,
        )?;
        m.serialize_entry("recircHotBtnReady", &st.recirc_hot_btn_ready)?;
        m.serialize_entry("recircOperationReason", &st.recirc_operation_reason)?;
        m.serialize_entry("recircErrorStatus", &st.recirc_error_status)?;
        m.serialize_entry("recircOperationBusy", &st.recirc_operation_busy)?;
        m.serialize_entry("recircReservationUse", &st.recirc_reservation_use)?;
        m.end()
    }
}
