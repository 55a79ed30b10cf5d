//! What typed handlers receive: one decoded message, shared (`Arc`) between every handler
//! it is delivered to, so a delivery costs a few reference-count increments and no copy.

use std::fmt;
use std::sync::Arc;

use actix::Message;
use bytes::Bytes;

use crate::protocol::{
    EnergyUsage, Feature, MacAddress, RecirculationSchedule, ReservationSchedule, Status,
    TouSchedule, UnitSystem,
};

/// A status report of a subscribed device (answer to a poll, or a control's
/// acknowledgement: see [`Status::command`]).
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct StatusUpdate {
    /// The device the handler was registered for (the topic named it).
    pub device: Arc<MacAddress>,
    /// The decoded status.
    pub status: Arc<Status>,
    /// The configured unit system; `status.view(unit)` renders it for output.
    pub unit: UnitSystem,
}

/// A feature (device info) report of a subscribed device.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct FeatureUpdate {
    /// The device the handler was registered for (the topic named it).
    pub device: Arc<MacAddress>,
    /// The decoded feature payload.
    pub feature: Arc<Feature>,
    /// The configured unit system; `feature.view(unit)` renders it for output.
    pub unit: UnitSystem,
}

/// A schedule answer, by the client response topic it arrived on.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// `…/res/rsv/rd`: reservation read answer or write echo.
    Reservation(ReservationSchedule),
    /// `…/res/rsv-weekly/rd`: weekly reservation answer.
    WeeklyReservation(ReservationSchedule),
    /// `…/res/tou/rd`: TOU read answer or write echo.
    Tou(TouSchedule),
    /// `…/res/recirc-rsv/rd`: recirculation schedule answer.
    Recirculation(RecirculationSchedule),
}

/// A schedule answer (reservation, weekly reservation, TOU, recirculation).
///
/// Schedule answers arrive on the client's own response topics, which name no device.
/// When the answer's `response.macAddress` names one, only that device's handlers get
/// it (`confirmed` is `true`); an answer naming no device goes to the schedule handlers
/// of every device with `confirmed` set to `false`.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct ScheduleUpdate {
    /// The device the handler was registered for.
    pub device: Arc<MacAddress>,
    /// Whether the answer itself named this device.
    pub confirmed: bool,
    /// The decoded schedule.
    pub schedule: Arc<Schedule>,
}

/// An energy-usage answer. Device attribution works as for [`ScheduleUpdate`].
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct EnergyUpdate {
    /// The device the handler was registered for.
    pub device: Arc<MacAddress>,
    /// Whether the answer itself named this device.
    pub confirmed: bool,
    /// The decoded energy usage.
    pub usage: Arc<EnergyUsage>,
}

/// An undecoded message as the broker delivered it: every publish matching the raw
/// handler's filter, requests (echoes) and undecodable payloads included.
///
/// `Debug` shows only lengths: topics carry device MACs.
#[derive(Clone, Message)]
#[rtype(result = "()")]
pub struct RawMessage {
    /// The topic.
    pub topic: Arc<str>,
    /// The payload.
    pub payload: Bytes,
}

impl fmt::Debug for RawMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawMessage")
            .field("topic_len", &self.topic.len())
            .field("payload_len", &self.payload.len())
            .finish()
    }
}
