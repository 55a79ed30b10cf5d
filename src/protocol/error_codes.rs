//! Device error codes (`errorCode` / `subErrorCode`, docs/protocol.md §12) with human text.
//!
//! `errorCode` is the decimal number of the E-code (E799 → 799). Unknown codes are kept
//! as raw integers.

use super::enums::wire_enum;

wire_enum! {
    /// A device error (E-code).
    pub enum ErrorCode {
        /// No error.
        NoError = 0 => ("NO_ERROR", "No error"),
        /// E096: upper electric element abnormal.
        E096UpperHeater = 96 => ("E096_UPPER_HEATER", "Upper electric element abnormal"),
        /// E097: lower electric element abnormal.
        E097LowerHeater = 97 => ("E097_LOWER_HEATER", "Lower electric element abnormal"),
        /// E326: dry fire (tank not full).
        E326DryFire = 326 => ("E326_DRY_FIRE", "Dry fire (tank not full)"),
        /// E407: DHW temperature sensor.
        E407DhwTempSensor = 407 => ("E407_DHW_TEMP_SENSOR", "DHW temperature sensor fault"),
        /// E445: mixing valve.
        E445MixingValve = 445 => ("E445_MIXING_VALVE", "Mixing valve fault"),
        /// E480: tank upper temperature sensor.
        E480TankUpperTempSensor = 480 => ("E480_TANK_UPPER_TEMP_SENSOR", "Tank upper temperature sensor fault"),
        /// E481: tank lower temperature sensor.
        E481TankLowerTempSensor = 481 => ("E481_TANK_LOWER_TEMP_SENSOR", "Tank lower temperature sensor fault"),
        /// E515: relay fault.
        E515RelayFault = 515 => ("E515_RELAY_FAULT", "Relay fault"),
        /// E517: DIP switch settings.
        E517DipSwitch = 517 => ("E517_DIP_SWITCH", "DIP switch setting error"),
        /// E593: panel key.
        E593PanelKey = 593 => ("E593_PANEL_KEY", "Panel key error"),
        /// E594: EEPROM.
        E594Eeprom = 594 => ("E594_EEPROM", "EEPROM error"),
        /// E595: power meter.
        E595PowerMeter = 595 => ("E595_POWER_METER", "Power meter error"),
        /// E596: Wi-Fi connection.
        E596Wifi = 596 => ("E596_WIFI", "Wi-Fi connection error"),
        /// E598: real-time clock.
        E598Rtc = 598 => ("E598_RTC", "Real-time clock error"),
        /// E615: feedback / ADC.
        E615Feedback = 615 => ("E615_FEEDBACK", "Feedback / ADC error"),
        /// E781: CTA-2045 communication.
        E781Cta2045 = 781 => ("E781_CTA2045", "CTA-2045 communication error"),
        /// E798: shut-off valve.
        E798ShutoffValve = 798 => ("E798_SHUTOFF_VALVE", "Shut-off valve error"),
        /// E799: water leak detected.
        E799WaterLeak = 799 => ("E799_WATER_LEAK", "Water leak detected"),
        /// E901: ECO (high limit).
        E901Eco = 901 => ("E901_ECO", "ECO high-limit cut-out"),
        /// E907: compressor power line.
        E907CompressorPower = 907 => ("E907_COMPRESSOR_POWER", "Compressor power line error"),
        /// E908: compressor operation.
        E908Compressor = 908 => ("E908_COMPRESSOR", "Compressor operation error"),
        /// E909: evaporator fan.
        E909EvaporatorFan = 909 => ("E909_EVAPORATOR_FAN", "Evaporator fan error"),
        /// E910: discharge temperature sensor.
        E910DischargeTempSensor = 910 => ("E910_DISCHARGE_TEMP_SENSOR", "Discharge temperature sensor fault"),
        /// E911: discharge temperature too high.
        E911DischargeTempHigh = 911 => ("E911_DISCHARGE_TEMP_HIGH", "Discharge temperature too high"),
        /// E912: suction temperature sensor.
        E912SuctionTempSensor = 912 => ("E912_SUCTION_TEMP_SENSOR", "Suction temperature sensor fault"),
        /// E913: suction temperature too low.
        E913SuctionTempLow = 913 => ("E913_SUCTION_TEMP_LOW", "Suction temperature too low"),
        /// E914: evaporator temperature sensor.
        E914EvaporatorTempSensor = 914 => ("E914_EVAPORATOR_TEMP_SENSOR", "Evaporator temperature sensor fault"),
        /// E915: discharge − suction difference abnormal.
        E915TempDifference = 915 => ("E915_TEMP_DIFFERENCE", "Discharge/suction temperature difference abnormal"),
        /// E916: evaporator temperature abnormal.
        E916EvaporatorTemp = 916 => ("E916_EVAPORATOR_TEMP", "Evaporator temperature abnormal"),
        /// E920: ambient temperature sensor.
        E920AmbientTempSensor = 920 => ("E920_AMBIENT_TEMP_SENSOR", "Ambient temperature sensor fault"),
        /// E940: refrigerant line blockage.
        E940RefrigerantBlockage = 940 => ("E940_REFRIGERANT_BLOCKAGE", "Refrigerant line blockage"),
        /// E990: condensate overflow.
        E990CondensateOverflow = 990 => ("E990_CONDENSATE_OVERFLOW", "Condensate overflow"),
    }
}

impl ErrorCode {
    /// Whether this is an error (anything but 0).
    pub fn is_error(self) -> bool {
        self != Self::NoError
    }

    /// The E-code as the display shows it (`E799`); `None` for "no error".
    pub fn e_code(self) -> Option<String> {
        match self {
            Self::NoError => None,
            other => Some(format!("E{:03}", other.raw())),
        }
    }

    /// Text for a `subErrorCode` of this error, where §12 documents one.
    pub fn sub_code_text(self, sub: i64) -> Option<&'static str> {
        use ErrorCode::*;
        match (self, sub) {
            (E407DhwTempSensor | E480TankUpperTempSensor | E481TankLowerTempSensor, 1)
            | (E910DischargeTempSensor | E912SuctionTempSensor, 1)
            | (E914EvaporatorTempSensor | E920AmbientTempSensor, 1) => Some("low limit"),
            (E407DhwTempSensor | E480TankUpperTempSensor | E481TankLowerTempSensor, 2)
            | (E910DischargeTempSensor | E912SuctionTempSensor, 2)
            | (E914EvaporatorTempSensor | E920AmbientTempSensor, 2) => Some("high limit"),
            (E445MixingValve, 1) => Some("open"),
            (E445MixingValve, 2) => Some("close"),
            (E515RelayFault, 25) => Some("upper element"),
            (E515RelayFault, 26) => Some("lower element"),
            (E515RelayFault, 27) => Some("compressor"),
            (E615Feedback, 4) => Some("ADC reference"),
            (E615Feedback, 27) => Some("ECO feedback"),
            (E615Feedback, 28) => Some("compressor feedback"),
            (E615Feedback, 29) => Some("upper element feedback"),
            (E615Feedback, 30) => Some("lower element feedback"),
            _ => None,
        }
    }

    /// A one-line description, e.g. `"E910 Discharge temperature sensor fault (high limit)"`.
    pub fn describe(self, sub: i64) -> String {
        let main = self.to_string();
        let head = match self.e_code() {
            Some(code) if self.is_known() => format!("{code} {main}"),
            Some(code) => format!("{code} (unknown error code)"),
            None => main,
        };
        match self.sub_code_text(sub) {
            Some(s) => format!("{head} ({s})"),
            None => head,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_codes() {
        assert_eq!(ErrorCode::from_raw(799).e_code().as_deref(), Some("E799"));
        assert_eq!(ErrorCode::from_raw(96).e_code().as_deref(), Some("E096"));
        assert_eq!(
            ErrorCode::from_raw(910).describe(2),
            "E910 Discharge temperature sensor fault (high limit)"
        );
        assert_eq!(ErrorCode::from_raw(0).describe(0), "No error");
        assert_eq!(
            ErrorCode::from_raw(123).describe(0),
            "E123 (unknown error code)"
        );
        assert!(!ErrorCode::from_raw(0).is_error());
        assert!(ErrorCode::from_raw(123).is_error());
    }
}
