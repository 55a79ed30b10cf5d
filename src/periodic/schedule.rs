//! The decisions of one polling schedule and of an outage, as plain data.

/// What a tick does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TickDecision {
    /// Publish a request.
    Send,
    /// The link is down: skip.
    SkipPaused,
    /// The previous request is still unanswered: skip (never pile requests up on a
    /// half-open link).
    SkipInFlight,
}

/// How a published request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PollOutcome {
    /// PUBACK received.
    Acknowledged,
    /// The connection queued it (the link dropped as it was sent).
    Queued,
    /// Any error.
    Failed,
}

/// What to log about an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutcomeLog {
    /// Nothing worth more than a debug line.
    Quiet,
    /// The first failure of a streak (warn).
    FirstFailure,
    /// A further failure of a streak (debug).
    RepeatedFailure,
    /// A success ending a streak of this many failures (info).
    Recovered(u64),
}

/// Counters and in-flight state of one schedule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ScheduleState {
    /// A request is out (or waiting for a send slot) and not answered yet.
    pub(crate) in_flight: bool,
    /// The request of the last due tick waits for a slot of the send window.
    pub(crate) waiting: bool,
    pub(crate) sent: u64,
    pub(crate) acknowledged: u64,
    pub(crate) queued: u64,
    pub(crate) errors: u64,
    pub(crate) skipped_paused: u64,
    pub(crate) skipped_in_flight: u64,
    failure_streak: u64,
}

impl ScheduleState {
    /// A tick (or the immediate request of a start or resume).
    pub(crate) fn on_tick(&mut self, paused: bool) -> TickDecision {
        if paused {
            self.skipped_paused = self.skipped_paused.saturating_add(1);
            TickDecision::SkipPaused
        } else if self.in_flight {
            self.skipped_in_flight = self.skipped_in_flight.saturating_add(1);
            TickDecision::SkipInFlight
        } else {
            TickDecision::Send
        }
    }

    /// The request waits for a slot of the send window; later ticks count as in flight.
    pub(crate) fn on_waiting(&mut self) {
        self.in_flight = true;
        self.waiting = true;
    }

    /// The waiting request was dropped from the window (the link went down); the next
    /// tick after a resume requests afresh.
    pub(crate) fn on_wait_cancelled(&mut self) {
        if self.waiting {
            self.waiting = false;
            self.in_flight = false;
        }
    }

    /// A request was handed to the connection.
    pub(crate) fn on_sent(&mut self) {
        self.in_flight = true;
        self.waiting = false;
        self.sent = self.sent.saturating_add(1);
    }

    /// The request could not even be built (never expected for status/feature requests).
    pub(crate) fn on_build_error(&mut self) {
        self.errors = self.errors.saturating_add(1);
    }

    /// The connection answered.
    pub(crate) fn on_outcome(&mut self, outcome: PollOutcome) -> OutcomeLog {
        self.in_flight = false;
        match outcome {
            PollOutcome::Acknowledged => {
                self.acknowledged = self.acknowledged.saturating_add(1);
                match std::mem::take(&mut self.failure_streak) {
                    0 => OutcomeLog::Quiet,
                    n => OutcomeLog::Recovered(n),
                }
            }
            PollOutcome::Queued => {
                self.queued = self.queued.saturating_add(1);
                OutcomeLog::Quiet
            }
            PollOutcome::Failed => {
                self.errors = self.errors.saturating_add(1);
                self.failure_streak = self.failure_streak.saturating_add(1);
                if self.failure_streak == 1 {
                    OutcomeLog::FirstFailure
                } else {
                    OutcomeLog::RepeatedFailure
                }
            }
        }
    }
}

/// Skips during one outage: logged once (P-5), counted always.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Outage {
    pub(crate) skipped: u64,
    logged: bool,
}

impl Outage {
    /// A new outage begins.
    pub(crate) fn begin(&mut self) {
        *self = Self::default();
    }

    /// A poll was skipped; `true` if this is the one to log.
    pub(crate) fn on_skip(&mut self) -> bool {
        self.skipped = self.skipped.saturating_add(1);
        !std::mem::replace(&mut self.logged, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks() {
        let mut s = ScheduleState::default();
        assert_eq!(s.on_tick(true), TickDecision::SkipPaused);
        assert_eq!(s.on_tick(false), TickDecision::Send);
        s.on_sent();
        assert_eq!(s.on_tick(false), TickDecision::SkipInFlight);
        assert_eq!(s.on_outcome(PollOutcome::Acknowledged), OutcomeLog::Quiet);
        assert_eq!(s.on_tick(false), TickDecision::Send);
        assert_eq!(
            (
                s.skipped_paused,
                s.skipped_in_flight,
                s.sent,
                s.acknowledged
            ),
            (1, 1, 1, 1)
        );
    }

    #[test]
    fn failure_streaks_are_logged_once_and_their_end_is_reported() {
        let mut s = ScheduleState::default();
        s.on_sent();
        assert_eq!(s.on_outcome(PollOutcome::Failed), OutcomeLog::FirstFailure);
        s.on_sent();
        assert_eq!(
            s.on_outcome(PollOutcome::Failed),
            OutcomeLog::RepeatedFailure
        );
        s.on_sent();
        assert_eq!(s.on_outcome(PollOutcome::Queued), OutcomeLog::Quiet);
        s.on_sent();
        assert_eq!(
            s.on_outcome(PollOutcome::Acknowledged),
            OutcomeLog::Recovered(2)
        );
        s.on_sent();
        assert_eq!(s.on_outcome(PollOutcome::Failed), OutcomeLog::FirstFailure);
        assert_eq!((s.errors, s.queued, s.acknowledged, s.sent), (3, 1, 1, 5));
        assert!(!s.in_flight);
    }

    #[test]
    fn a_waiting_request_counts_as_in_flight_until_sent_or_cancelled() {
        let mut s = ScheduleState::default();
        assert_eq!(s.on_tick(false), TickDecision::Send);
        s.on_waiting();
        assert_eq!(s.on_tick(false), TickDecision::SkipInFlight);
        s.on_sent();
        assert!(s.in_flight && !s.waiting);
        s.on_wait_cancelled();
        assert!(s.in_flight, "a request that went out stays in flight");
        s.on_outcome(PollOutcome::Acknowledged);
        s.on_waiting();
        s.on_wait_cancelled();
        assert_eq!(s.on_tick(false), TickDecision::Send);
        assert_eq!(s.sent, 1);
    }

    #[test]
    fn one_log_per_outage() {
        let mut o = Outage::default();
        o.begin();
        assert!(o.on_skip());
        assert!(!o.on_skip());
        assert!(!o.on_skip());
        assert_eq!(o.skipped, 3);
        o.begin();
        assert!(o.on_skip());
        assert_eq!(o.skipped, 1);
    }
}
