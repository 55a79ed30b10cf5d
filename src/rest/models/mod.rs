//! Typed REST answers: devices, firmware, TOU plans.

pub mod device;
pub mod firmware;
pub mod tou;
