//! The NaviLink protocol layer: pure types and functions, no I/O.
//!
//! * identifiers and topics ([`ClientId`], [`SessionId`], [`MacAddress`], [`DeviceRef`],
//!   [`topics`]);
//! * every command of docs/protocol.md §5.3 as a typed [`Command`], validated (capability gates,
//!   parameter ranges, setpoint limits) and built into an [`OutgoingRequest`];
//! * [`classify`] for incoming messages, with full decoders for the status ([`Status`]),
//!   feature ([`Feature`]), reservation, TOU, energy and recirculation payloads;
//! * the value encodings of §6 (temperatures, flow, volume, tank energy, flags, bitfields,
//!   prices, reservation hex) and the enumerations and error codes of §11–§12.
//!
//! ```
//! use nwp500::protocol::{
//!     classify, ClientId, ClientIdentity, Command, DeviceRef, Incoming, MacAddress,
//!     SessionId, UnitSystem,
//! };
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let client = ClientIdentity::new(
//!     ClientId::new("navien-client-0a1b2c3d")?,
//!     SessionId::new("00112233445566778899aabbccddeeff")?,
//! );
//! let device = DeviceRef::nwp500(MacAddress::new("aabbccddeeff")?, "1234");
//!
//! // A status poll: subscribe to `subscribe_first`, then publish `payload` on `topic`.
//! let poll = Command::RequestStatus.build(&client, &device, None)?;
//! assert_eq!(poll.topic, "cmd/52/navilink-aabbccddeeff/st");
//! assert_eq!(poll.subscribe_first, ["cmd/52/navilink-aabbccddeeff/#"]);
//!
//! // Our own request comes back through the device wildcard: it is an echo, not an answer.
//! let echoed = classify(&poll.topic, &poll.payload_bytes())?;
//! assert!(matches!(echoed, Incoming::Echo(_)));
//! # let _ = UnitSystem::Metric;
//! # Ok(())
//! # }
//! ```

mod bitfields;
mod codes;
mod command;
mod energy;
mod enums;
mod error;
mod error_codes;
mod feature;
mod ids;
mod incoming;
pub(crate) mod lenient;
mod price;
mod recirculation;
mod request;
mod reservation;
mod status;
pub mod topics;
mod tou;
mod units;

pub use bitfields::{SeasonMonths, WeekDays, Weekday};
pub use codes::CommandCode;
pub use command::{Command, DhwMode};
pub use energy::{EnergyCounters, EnergyUsage, MonthlyEnergy};
pub use enums::{
    ConnectionStatus, CurrentOperationMode, DeviceType, DhwControlType, DhwOperationSetting,
    DrEvent, FilterChange, FirmwareType, HeatSource, RecirculationMode, TempFormulaType,
    TemperatureType, TouRateType, TouWeekType, UnitType, VolumeCode,
};
pub use error::{CommandError, DecodeError, HexError, IdError, ValidationError};
pub use error_codes::ErrorCode;
pub use feature::{Capability, Feature, FeatureView};
pub(crate) use ids::MAX_CLIENT_ID_LEN;
pub use ids::{
    redact_mac, ClientId, ClientIdentity, DeviceRef, MacAddress, SessionId, NWP500_DEVICE_TYPE,
};
pub use incoming::{classify, ControlRefusal, Incoming, RequestEcho, FAIL_CODE_TOO_SOON};
pub use price::{decode_price, encode_price, DEFAULT_DECIMAL_POINT, MAX_DECIMAL_POINT};
pub use recirculation::{RecirculationEntry, RecirculationSchedule, RecirculationScheduleView};
pub use request::{format_timestamp, AnswerKind, OutgoingRequest, PROTOCOL_VERSION};
pub use reservation::{
    decode_reservation_hex, devbool_encode, encode_reservation_hex, CanonicalReservations,
    ReservationEntry, ReservationSchedule, ReservationScheduleView, ReservationSpec,
    RESERVATION_ENABLED,
};
pub use status::{Status, StatusView};
pub use topics::{EventSuffix, RequestSuffix, ResponseSuffix};
pub use tou::{
    CanonicalTou, Price, TouInfo, TouInterval, TouPeriod, TouPeriodSpec, TouPlan, TouSchedule,
    TouSeason,
};
pub use units::{
    celsius_to_fahrenheit, round_decimals, DeciCelsius, DeciCelsiusDelta, FlowRate, HalfCelsius,
    OutsideTemperature, TankEnergy, UnitPreference, UnitSystem, UnknownUnit, Volume,
    TANK_ENERGY_WH_PER_COUNT,
};
