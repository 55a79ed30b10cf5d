//! The invariant checker of the recovery tests holds each outage to its contract: one
//! outcome per outage, before the next one begins. A checker that accepted everything
//! would make every recovery test pass by construction.

mod recovery_support;

use std::time::Duration;

use nwp500::events::Event;
use nwp500::policy::{AttemptKind, FailureKind};
use recovery_support::check_outcomes;

fn interrupted() -> Event {
    Event::Interrupted {
        error: "transport failed: connection reset".into(),
    }
}

fn recovered() -> Event {
    Event::Recovered {
        attempts: 1,
        outage: Duration::from_millis(300),
    }
}

fn scheduled() -> Event {
    Event::ReconnectScheduled {
        attempt: 2,
        kind: AttemptKind::Quick,
        delay: Duration::from_secs(1),
        class: FailureKind::Unreachable,
        reason: "connect: network error: connection refused".into(),
    }
}

fn connected() -> Event {
    Event::Connected {
        client_id: "navien-client-0".into(),
        session_present: false,
        attempt: 1,
    }
}

#[test]
fn two_interruptions_before_one_recovery_are_rejected() {
    let events = [
        connected(),
        interrupted(),
        interrupted(),
        recovered(),
        Event::Disconnected,
    ];
    let error = check_outcomes(&events).unwrap_err();
    assert!(error.contains("interrupted while the outage"), "{error}");
}

#[test]
fn a_recovery_without_an_outage_is_rejected() {
    let events = [connected(), recovered()];
    assert!(check_outcomes(&events).is_err());
}

#[test]
fn an_outage_left_open_is_rejected() {
    let events = [connected(), interrupted(), scheduled()];
    assert!(check_outcomes(&events).is_err());
}

#[test]
fn each_outage_with_its_one_outcome_passes() {
    let events = [
        connected(),
        interrupted(),
        scheduled(),
        connected(),
        recovered(),
        interrupted(),
        Event::Disconnected,
    ];
    assert_eq!(check_outcomes(&events), Ok(()));
}

#[test]
fn a_start_during_an_outage_is_an_outage_that_must_end() {
    let start = [
        Event::Connecting {
            attempt: 1,
            kind: nwp500::events::AttemptKind::Initial,
        },
        scheduled(),
        connected(),
    ];
    assert!(check_outcomes(&start).is_err());
    let mut whole = start.to_vec();
    whole.push(recovered());
    assert_eq!(check_outcomes(&whole), Ok(()));
}
