//! Command codes (docs/protocol.md §5.3).

/// Device info / feature request.
pub(crate) const FEATURE: u64 = 16_777_217;
/// Status request.
pub(crate) const STATUS: u64 = 16_777_219;
/// Reservation read.
pub(crate) const RESERVATION_READ: u64 = 16_777_222;
/// Energy usage query.
pub(crate) const ENERGY_USAGE: u64 = 16_777_225;
/// Reservation write.
pub(crate) const RESERVATION_WRITE: u64 = 16_777_226;

pub(crate) const POWER_OFF: u64 = 33_554_433;
pub(crate) const POWER_ON: u64 = 33_554_434;
pub(crate) const DHW_MODE: u64 = 33_554_437;
pub(crate) const WEEKLY_RESERVATION: u64 = 33_554_438;
/// TOU schedule read/write (answered on the TOU response topic, not with a status).
pub(crate) const TOU_SCHEDULE: u64 = 33_554_439;
pub(crate) const RECIRCULATION_SCHEDULE: u64 = 33_554_440;
pub(crate) const RESERVATION_MODE: u64 = 33_554_441;
pub(crate) const RECIRCULATION_MODE: u64 = 33_554_445;
pub(crate) const FREEZE_PROTECTION_TEMPERATURE: u64 = 33_554_451;
pub(crate) const DHW_TEMPERATURE: u64 = 33_554_464;
pub(crate) const INTELLIGENT_OFF: u64 = 33_554_467;
pub(crate) const INTELLIGENT_ON: u64 = 33_554_468;
pub(crate) const DR_OFF: u64 = 33_554_469;
pub(crate) const DR_ON: u64 = 33_554_470;
pub(crate) const ANTI_LEGIONELLA_OFF: u64 = 33_554_471;
pub(crate) const ANTI_LEGIONELLA_ON: u64 = 33_554_472;
pub(crate) const AIR_FILTER_RESET: u64 = 33_554_473;
pub(crate) const TOU_OFF: u64 = 33_554_475;
pub(crate) const TOU_ON: u64 = 33_554_476;

/// Whether `code` is in the control family (0x0200_0000 + n).
pub(crate) fn is_control(code: u64) -> bool {
    (0x0200_0000..0x0300_0000).contains(&code)
}
