//! The "exactly one outcome per outage" rule, checked on one client's recorded events: every
//! `interrupted` is followed by exactly one `recovered` (or `reconnection_failed`, or the
//! application's `disconnected`) before the next `interrupted`.

use nwp500::events::Event;

/// What a client's event record says about its outages.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcomes {
    /// `interrupted` events.
    pub interruptions: usize,
    /// `recovered` events.
    pub recoveries: usize,
    /// Outages without an outcome, outcomes without an outage, and outages that began
    /// while another was still open.
    pub violations: usize,
}

impl Outcomes {
    /// Counts over `events` (in order), which begin with the link up and must end with it
    /// up or stopped.
    pub fn of<'a>(events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut out = Outcomes::default();
        let mut open = false;
        for event in events {
            match event {
                Event::Interrupted { .. } => {
                    out.interruptions += 1;
                    if open {
                        out.violations += 1;
                    }
                    open = true;
                }
                Event::Recovered { .. } | Event::ReconnectionFailed { .. } => {
                    if matches!(event, Event::Recovered { .. }) {
                        out.recoveries += 1;
                    }
                    if !open {
                        out.violations += 1;
                    }
                    open = false;
                }
                Event::Disconnected => open = false,
                _ => {}
            }
        }
        if open {
            out.violations += 1;
        }
        out
    }

    /// Sums two records.
    pub fn add(self, other: Self) -> Self {
        Outcomes {
            interruptions: self.interruptions + other.interruptions,
            recoveries: self.recoveries + other.recoveries,
            violations: self.violations + other.violations,
        }
    }
}
