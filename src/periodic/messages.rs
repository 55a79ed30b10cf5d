//! Messages the PeriodicRequests actor accepts.

use std::time::Duration;

use actix::Message;

use super::error::PollingError;
use super::stats::PollingStats;
use crate::protocol::{Command, DeviceRef, MacAddress};

/// What a schedule requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PollKind {
    /// A status request (16777219).
    Status,
    /// A feature / device info request (16777217).
    Feature,
}

impl PollKind {
    /// The command sent.
    pub fn command(self) -> Command {
        match self {
            Self::Status => Command::RequestStatus,
            Self::Feature => Command::RequestFeature,
        }
    }
}

/// Poll `device` for `kind` every `interval`. Replaces an existing schedule for the same
/// device and kind. While resumed, the first request goes out at once.
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<(), PollingError>")]
pub struct StartPolling {
    /// The device.
    pub device: DeviceRef,
    /// What to request.
    pub kind: PollKind,
    /// How often (non-zero).
    pub interval: Duration,
}

/// Stop polling `mac` for `kind` (`None`: every kind). Answers how many schedules stopped.
#[derive(Debug, Clone, Message)]
#[rtype(result = "usize")]
pub struct StopPolling {
    /// The device.
    pub mac: MacAddress,
    /// The kind, or `None` for all.
    pub kind: Option<PollKind>,
}

/// The link is down (or recovery gave up): skip polls, keep the schedules.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct Pause;

/// The link is restored (connected, resubscribed, queue flushed): send one request per
/// schedule at once, then continue on each schedule's interval from now.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct Resume;

/// Ask for statistics.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "PollingStats")]
pub struct GetPollingStats;

/// Stop every schedule and the actor (the client is shutting down). The actor also stops
/// by itself at its next tick once no address to it is left.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct Shutdown;
