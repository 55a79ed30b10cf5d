//! Statistics of the PeriodicRequests actor.

use std::time::Duration;

use super::messages::PollKind;
use crate::protocol::MacAddress;

/// A snapshot of every schedule.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PollingStats {
    /// Whether polls are being skipped (link down).
    pub paused: bool,
    /// Polls skipped since the current (or last) pause began.
    pub skipped_this_outage: u64,
    /// Requests handed to the connection and not answered yet (at most the send window).
    pub requests_in_flight: usize,
    /// Due requests waiting for a slot of the send window.
    pub requests_waiting: usize,
    /// One entry per schedule, ordered by device then kind.
    pub schedules: Vec<ScheduleStats>,
}

/// Counters of one schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleStats {
    /// The device (`Debug` shows only its last four characters).
    pub device: MacAddress,
    /// What it requests.
    pub kind: PollKind,
    /// How often.
    pub interval: Duration,
    /// Requests handed to the connection.
    pub sent: u64,
    /// Requests the broker acknowledged.
    pub acknowledged: u64,
    /// Requests the connection queued (the link dropped just as they were sent).
    pub queued: u64,
    /// Requests that failed (not connected, timeout, connection gone, ...).
    pub errors: u64,
    /// Ticks skipped because the link was down.
    pub skipped_paused: u64,
    /// Ticks skipped because the previous request was still unanswered.
    pub skipped_in_flight: u64,
}
