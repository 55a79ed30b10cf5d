//! Enumerations (docs/protocol.md §11). Every enum keeps values it does not know as
//! `Unknown(raw)` instead of failing the whole message (§0 pitfall 4).
//!
//! Each enum has a `name()` in SCREAMING_CASE (for the enums that appear in decoded status
//! and feature payloads these are the reference client's names, e.g. `HEAT_PUMP_MODE`) used
//! when serialising decoded models, and a human `label()`.

/// Defines a wire enum with known values, an `Unknown(i64)` catch-all, conversions, lenient
/// deserialization, and serialization as the wire name (or the raw integer when unknown).
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal => ($wire:literal, $label:literal) ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this library does not know, kept as received.
            Unknown(i64),
        }

        impl $name {
            /// Maps a raw wire value; unknown values are kept in `Unknown`.
            pub fn from_raw(raw: i64) -> Self {
                match raw {
                    $( $value => Self::$variant, )+
                    other => Self::Unknown(other),
                }
            }

            /// The raw wire value.
            pub fn raw(self) -> i64 {
                match self {
                    $( Self::$variant => $value, )+
                    Self::Unknown(v) => v,
                }
            }

            /// The SCREAMING_CASE name (e.g. `"HEAT_PUMP_MODE"`); `None` if unknown.
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $( Self::$variant => Some($wire), )+
                    Self::Unknown(_) => None,
                }
            }

            /// A human-readable label; `None` if unknown.
            pub fn label(self) -> Option<&'static str> {
                match self {
                    $( Self::$variant => Some($label), )+
                    Self::Unknown(_) => None,
                }
            }

            /// Whether the value is one this library knows.
            pub fn is_known(self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl From<i64> for $name {
            fn from(raw: i64) -> Self {
                Self::from_raw(raw)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok(Self::from_raw(<$crate::protocol::lenient::Int as serde::Deserialize>::deserialize(d)?.0))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self.name() {
                    Some(n) => s.serialize_str(n),
                    None => s.serialize_i64(self.raw()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self.label() {
                    Some(l) => f.write_str(l),
                    None => write!(f, "Unknown ({})", self.raw()),
                }
            }
        }
    };
}

pub(crate) use wire_enum;

wire_enum! {
    /// Device display unit (`temperatureType`).
    pub enum TemperatureType {
        /// Celsius.
        Celsius = 1 => ("CELSIUS", "Celsius"),
        /// Fahrenheit.
        Fahrenheit = 2 => ("FAHRENHEIT", "Fahrenheit"),
    }
}

wire_enum! {
    /// How `outsideTemperature` is rounded to whole °F (`tempFormulaType`, §6.2).
    pub enum TempFormulaType {
        /// Floor when the raw value ends in 9, else ceil.
        Asymmetric = 0 => ("ASYMMETRIC", "Asymmetric"),
        /// Round half to even.
        Standard = 1 => ("STANDARD", "Standard"),
    }
}

wire_enum! {
    /// Configured DHW operation mode (`dhwOperationSetting`, `dhw-mode` param, §5.4).
    pub enum DhwOperationSetting {
        /// Heat pump only.
        HeatPump = 1 => ("HEAT_PUMP", "Heat Pump"),
        /// Elements only (the device reverts after up to 72 h).
        Electric = 2 => ("ELECTRIC", "Electric"),
        /// Hybrid / efficiency (factory default).
        EnergySaver = 3 => ("ENERGY_SAVER", "Energy Saver"),
        /// Hybrid / boost.
        HighDemand = 4 => ("HIGH_DEMAND", "High Demand"),
        /// Vacation (sent with a day count).
        Vacation = 5 => ("VACATION", "Vacation"),
        /// Reported after power-off; never sent.
        PowerOff = 6 => ("POWER_OFF", "Power Off"),
    }
}

wire_enum! {
    /// What the unit is doing now (`operationMode`). Zero is a real value (standby).
    pub enum CurrentOperationMode {
        /// Standby.
        Standby = 0 => ("STANDBY", "Standby"),
        /// Heat pump running.
        HeatPumpMode = 32 => ("HEAT_PUMP_MODE", "Heat Pump"),
        /// Hybrid efficiency heating.
        HybridEfficiencyMode = 64 => ("HYBRID_EFFICIENCY_MODE", "Hybrid Efficiency"),
        /// Hybrid boost heating.
        HybridBoostMode = 96 => ("HYBRID_BOOST_MODE", "Hybrid Boost"),
    }
}

wire_enum! {
    /// Active heat source (`currentHeatUse`); an enum, not a flag (§13 item 13).
    pub enum HeatSource {
        /// None / not reported (the vendor app shows "-").
        NotReported = 0 => ("UNKNOWN", "-"),
        /// Heat pump.
        HeatPump = 1 => ("HEATPUMP", "Heat Pump"),
        /// Electric element.
        HeatElement = 2 => ("HEATELEMENT", "Heat Element"),
        /// Heat pump and element.
        HeatPumpAndElement = 3 => ("HEATPUMP_HEATELEMENT", "Heat Pump + Element"),
    }
}

wire_enum! {
    /// CTA-2045 demand-response event (`drEventStatus`).
    pub enum DrEvent {
        /// No event applied.
        NotApplied = 0 => ("UNKNOWN", "Not applied"),
        /// Run normal.
        RunNormal = 1 => ("RUN_NORMAL", "Run Normal"),
        /// Shed load.
        Shed = 2 => ("SHED", "Shed"),
        /// Load up.
        LoadUp = 3 => ("LOADUP", "Load Up"),
        /// Advance load up.
        AdvanceLoadUp = 4 => ("LOADUP_ADV", "Advance Load Up"),
        /// Customer peak event.
        CustomerPeakEvent = 5 => ("CPE", "Customer Peak Event"),
    }
}

wire_enum! {
    /// Recirculation mode (`recircOperationMode`, `recirc-mode` param, schedule `mode`).
    pub enum RecirculationMode {
        /// Not set / not fitted.
        Unspecified = 0 => ("UNKNOWN", "Unknown"),
        /// Always on.
        Always = 1 => ("ALWAYS", "Always"),
        /// Hot button only.
        Button = 2 => ("BUTTON", "Button"),
        /// By schedule.
        Schedule = 3 => ("SCHEDULE", "Schedule"),
        /// By loop temperature.
        Temperature = 4 => ("TEMPERATURE", "Temperature"),
    }
}

wire_enum! {
    /// Setpoint control capability (`dhwTemperatureSettingUse`, `DHWControlTypeFlag`).
    pub enum DhwControlType {
        /// Not reported.
        Unspecified = 0 => ("UNKNOWN", "Unknown"),
        /// Setpoint control disabled.
        Disabled = 1 => ("DISABLE", "Disabled"),
        /// 0.5 °C steps.
        HalfDegree = 2 => ("ENABLE_DOT_5_DEGREE", "0.5 °C steps"),
        /// 1 °C steps.
        OneDegree = 3 => ("ENABLE_1_DEGREE", "1 °C steps"),
        /// Three-stage control.
        ThreeStage = 4 => ("ENABLE_3_STAGE", "Three-stage"),
    }
}

impl DhwControlType {
    /// Whether setpoint commands may be sent. Upstream allows every value except 0 and 1;
    /// values unknown to this library are refused too (they may need another encoding).
    pub fn allows_setpoint_control(self) -> bool {
        matches!(self, Self::HalfDegree | Self::OneDegree | Self::ThreeStage)
    }
}

wire_enum! {
    /// Tank size (`volumeCode`).
    pub enum VolumeCode {
        /// 50 US gal (189.2 L).
        Gallons50 = 1 => ("VOLUME_50", "50 gal"),
        /// 65 US gal (246.0 L).
        Gallons65 = 2 => ("VOLUME_65", "65 gal"),
        /// 80 US gal (302.8 L).
        Gallons80 = 3 => ("VOLUME_80", "80 gal"),
    }
}

impl VolumeCode {
    /// Nominal capacity in US gallons.
    pub fn gallons(self) -> Option<f64> {
        match self {
            Self::Gallons50 => Some(50.0),
            Self::Gallons65 => Some(65.0),
            Self::Gallons80 => Some(80.0),
            Self::Unknown(_) => None,
        }
    }
    /// Nominal capacity in litres.
    pub fn litres(self) -> Option<f64> {
        match self {
            Self::Gallons50 => Some(189.2),
            Self::Gallons65 => Some(246.0),
            Self::Gallons80 => Some(302.8),
            Self::Unknown(_) => None,
        }
    }
}

wire_enum! {
    /// Product family (`modelTypeCode`, `UnitType`).
    pub enum UnitType {
        /// No device.
        NoDevice = 0 => ("NO_DEVICE", "No device"),
        /// NPE.
        Npe = 1 => ("NPE", "NPE"),
        /// NCB.
        Ncb = 2 => ("NCB", "NCB"),
        /// NHB.
        Nhb = 3 => ("NHB", "NHB"),
        /// Cascaded NPE.
        CasNpe = 4 => ("CAS_NPE", "CAS NPE"),
        /// Cascaded NHB.
        CasNhb = 5 => ("CAS_NHB", "CAS NHB"),
        /// NFB.
        Nfb = 6 => ("NFB", "NFB"),
        /// Cascaded NFB.
        CasNfb = 7 => ("CAS_NFB", "CAS NFB"),
        /// NFC.
        Nfc = 8 => ("NFC", "NFC"),
        /// NPN.
        Npn = 9 => ("NPN", "NPN"),
        /// Cascaded NPN.
        CasNpn = 10 => ("CAS_NPN", "CAS NPN"),
        /// NPE2.
        Npe2 = 11 => ("NPE2", "NPE2"),
        /// Cascaded NPE2.
        CasNpe2 = 12 => ("CAS_NPE2", "CAS NPE2"),
        /// NCB-H.
        NcbH = 13 => ("NCB_H", "NCB-H"),
        /// NVW.
        Nvw = 14 => ("NVW", "NVW"),
        /// Cascaded NVW.
        CasNvw = 15 => ("CAS_NVW", "CAS NVW"),
        /// NHB-H.
        NhbH = 16 => ("NHB_H", "NHB-H"),
        /// Cascaded NHB-H.
        CasNhbH = 17 => ("CAS_NHB_H", "CAS NHB-H"),
        /// NFB-700.
        Nfb700 = 20 => ("NFB_700", "NFB-700"),
        /// Cascaded NFB-700.
        CasNfb700 = 21 => ("CAS_NFB_700", "CAS NFB-700"),
        /// TWC.
        Twc = 257 => ("TWC", "TWC"),
        /// NPF heat-pump water heater (the NWP500).
        Npf = 513 => ("NPF", "NPF heat-pump water heater"),
    }
}

wire_enum! {
    /// REST `deviceType`.
    pub enum DeviceType {
        /// NaviLink.
        NaviLink = 1 => ("NAVILINK", "NaviLink"),
        /// NaviLink light.
        NaviLinkLight = 2 => ("NAVILINK_LIGHT", "NaviLink Light"),
        /// NPF700 main.
        Npf700Main = 50 => ("NPF700_MAIN", "NPF700 main"),
        /// NPF700 sub.
        Npf700Sub = 51 => ("NPF700_SUB", "NPF700 sub"),
        /// NPF700 Wi-Fi (NWP500).
        Npf700Wifi = 52 => ("NPF700_WIFI", "NPF700 Wi-Fi"),
    }
}

wire_enum! {
    /// REST `connected`.
    pub enum ConnectionStatus {
        /// Disconnected.
        Disconnected = 1 => ("DISCONNECTED", "Disconnected"),
        /// Connected.
        Connected = 2 => ("CONNECTED", "Connected"),
    }
}

wire_enum! {
    /// Firmware component (`curSwCode`, OTA `swCode`).
    pub enum FirmwareType {
        /// Not reported.
        Unspecified = 0 => ("UNKNOWN", "Unknown"),
        /// Controller.
        Controller = 1 => ("CONTROLLER", "Controller"),
        /// Panel.
        Panel = 2 => ("PANEL", "Panel"),
        /// Room controller.
        RoomController = 3 => ("ROOM_CON", "Room controller"),
        /// Communication (Wi-Fi) module.
        CommunicationModule = 4 => ("COMMUNICATION_MODULE", "Communication module"),
        /// Valve controller.
        ValveController = 5 => ("VALVE_CONTROLLER", "Valve controller"),
        /// Sub room controller.
        SubRoomController = 6 => ("SUB_ROOM_CON", "Sub room controller"),
    }
}

wire_enum! {
    /// Filter state (defined upstream, not seen in NWP500 payloads). Zero is "normal".
    pub enum FilterChange {
        /// Normal.
        Normal = 0 => ("NORMAL", "Normal"),
        /// Replace the filter.
        Replace = 1 => ("REPLACE_NEED", "Replace"),
        /// State not known.
        Unspecified = 2 => ("UNKNOWN", "Unknown"),
    }
}

wire_enum! {
    /// TOU week type (defined upstream, not seen in NWP500 payloads).
    pub enum TouWeekType {
        /// Weekday.
        Weekday = 0 => ("WEEK_DAY", "Weekday"),
        /// Weekend.
        Weekend = 1 => ("WEEKEND", "Weekend"),
    }
}

wire_enum! {
    /// TOU rate type (defined upstream, not seen in NWP500 payloads).
    pub enum TouRateType {
        /// Not set.
        Unspecified = 0 => ("UNKNOWN", "Unknown"),
        /// Off-peak.
        OffPeak = 1 => ("OFF_PEAK", "Off-peak"),
        /// Mid-peak.
        MidPeak = 2 => ("MID_PEAK", "Mid-peak"),
        /// On-peak.
        OnPeak = 3 => ("ON_PEAK", "On-peak"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_are_kept_raw() {
        assert_eq!(
            DhwOperationSetting::from_raw(3),
            DhwOperationSetting::EnergySaver
        );
        assert_eq!(
            DhwOperationSetting::from_raw(9),
            DhwOperationSetting::Unknown(9)
        );
        assert_eq!(DhwOperationSetting::Unknown(9).raw(), 9);
        assert_eq!(DhwOperationSetting::from_raw(9).to_string(), "Unknown (9)");
        assert_eq!(
            serde_json::to_value(CurrentOperationMode::from_raw(32)).ok(),
            Some(serde_json::json!("HEAT_PUMP_MODE"))
        );
        assert_eq!(
            serde_json::to_value(CurrentOperationMode::from_raw(33)).ok(),
            Some(serde_json::json!(33))
        );
        let v: Option<HeatSource> = serde_json::from_str("\"3\"").ok();
        assert_eq!(v, Some(HeatSource::HeatPumpAndElement));
    }
}
