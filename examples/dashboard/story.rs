//! The connection's story: what the client went through, as episodes with wall-clock
//! times, derived from its events. An outage runs from the interruption (or, for a start
//! during an outage, the first failed attempt) to its recovery, the client giving up, or
//! a disconnection, and lists its quick and deep attempts and credential renewals; a
//! renewal outside an outage is an episode of its own. Bounded by count and by the
//! history window; an outage in progress is always kept.

use std::collections::VecDeque;

use serde::Serialize;

use nwp500::events::{AttemptKind, Event, FailureReason, RenewalMethod};
use nwp500::FailureKind;

/// Most episodes kept.
pub const MAX_EPISODES: usize = 200;

/// Most attempts and renewals listed per outage (the most recent; the counts are whole).
pub const MAX_MARKS: usize = 100;

/// An attempt that starts this much before its scheduled time was not started by its
/// timer but by the reachability probe: the endpoint answered again.
const EARLY_BY_MS: u64 = 250;

/// One connection attempt within an outage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// When it started (ms since the Unix epoch).
    pub at: u64,
    /// Its number within the outage.
    pub number: u64,
    /// Quick or deep (or initial, for a start during an outage).
    pub kind: AttemptKind,
    /// Started before its scheduled time, because the probe saw the endpoint again.
    pub early: bool,
}

/// A credential renewal.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Renewal {
    /// When (ms since the Unix epoch).
    pub at: u64,
    /// Refresh or sign-in.
    pub method: RenewalMethod,
}

/// How an outage ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Still under way.
    Ongoing,
    /// Connected, resubscribed and flushed again.
    Recovered,
    /// The client stopped trying.
    Failed,
    /// The application disconnected.
    Disconnected,
}

/// An outage.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outage {
    /// Start (ms since the Unix epoch).
    pub start: u64,
    /// End, `None` while it lasts.
    pub end: Option<u64>,
    /// What started it: the interruption's error or the first failure.
    pub cause: String,
    /// Class of the latest failed attempt (`unreachable`, `credentials`, …).
    pub class: Option<FailureKind>,
    /// What the latest failed attempt ran into.
    pub last_reason: Option<String>,
    /// The latest attempts, oldest first (at most [`MAX_MARKS`]).
    pub attempts: VecDeque<Attempt>,
    /// Every attempt made.
    pub attempt_count: u64,
    /// Of which deep.
    pub deep_count: u64,
    /// Credential renewals during the outage (at most [`MAX_MARKS`]).
    pub renewals: VecDeque<Renewal>,
    /// How it ended.
    pub outcome: Outcome,
    /// The outage length the client reported with its recovery.
    pub outage_ms: Option<u64>,
    /// When the probe saw the endpoint answer again, if the successful attempt was
    /// started by it.
    pub network_back: Option<u64>,
    /// From the start of the successful attempt to the recovery.
    pub back_after_ms: Option<u64>,
    /// Why the client gave up, when it did.
    pub failure: Option<FailureReason>,
    /// When the next attempt is due, per the latest `reconnect_scheduled`.
    #[serde(skip)]
    due: Option<u64>,
}

impl Outage {
    fn new(start: u64, cause: String) -> Self {
        Self {
            start,
            end: None,
            cause,
            class: None,
            last_reason: None,
            attempts: VecDeque::new(),
            attempt_count: 0,
            deep_count: 0,
            renewals: VecDeque::new(),
            outcome: Outcome::Ongoing,
            outage_ms: None,
            network_back: None,
            back_after_ms: None,
            failure: None,
            due: None,
        }
    }

    fn attempt(&mut self, at: u64, number: u64, kind: AttemptKind) {
        let early = self
            .due
            .is_some_and(|due| at.saturating_add(EARLY_BY_MS) < due);
        self.due = None;
        self.attempt_count += 1;
        if kind == AttemptKind::Deep {
            self.deep_count += 1;
        }
        push_bounded(
            &mut self.attempts,
            Attempt {
                at,
                number,
                kind,
                early,
            },
        );
    }

    fn close(&mut self, at: u64, outcome: Outcome) {
        self.end = Some(at.max(self.start));
        self.outcome = outcome;
        self.due = None;
    }
}

/// One entry of the story.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Episode {
    /// The link was down (boxed: far larger than a renewal).
    Outage(Box<Outage>),
    /// Credentials were renewed while the link was up.
    Renewal(Renewal),
}

impl Episode {
    /// When it ended (an outage under way has not).
    fn end(&self) -> Option<u64> {
        match self {
            Self::Outage(outage) => outage.end,
            Self::Renewal(renewal) => Some(renewal.at),
        }
    }
}

/// Every episode, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Story {
    episodes: VecDeque<Episode>,
    window_ms: u64,
}

impl Story {
    /// A story keeping episodes that ended within `window_ms` of now.
    pub fn new(window_ms: u64) -> Self {
        Self {
            episodes: VecDeque::new(),
            window_ms,
        }
    }

    /// The episodes, oldest first.
    pub fn episodes(&self) -> &VecDeque<Episode> {
        &self.episodes
    }

    /// The outage under way, if any.
    pub fn ongoing(&self) -> Option<&Outage> {
        match self.episodes.back() {
            Some(Episode::Outage(outage)) if outage.end.is_none() => Some(outage),
            _ => None,
        }
    }

    fn ongoing_mut(&mut self) -> Option<&mut Outage> {
        match self.episodes.back_mut() {
            Some(Episode::Outage(outage)) if outage.end.is_none() => Some(outage),
            _ => None,
        }
    }

    /// The outage under way, opened at `at` with `cause` when there is none (so always
    /// `Some`).
    fn outage_at(&mut self, at: u64, cause: &str) -> Option<&mut Outage> {
        if self.ongoing().is_none() {
            self.push(Episode::Outage(Box::new(Outage::new(at, cause.to_owned()))));
        }
        self.ongoing_mut()
    }

    fn push(&mut self, episode: Episode) {
        if self.episodes.len() == MAX_EPISODES {
            self.episodes.pop_front();
        }
        self.episodes.push_back(episode);
    }

    /// Applies the event that happened at `at` (ms since the Unix epoch); `true` when
    /// the story changed.
    pub fn apply(&mut self, at: u64, event: &Event) -> bool {
        match event {
            Event::Interrupted { error } => {
                if self.ongoing().is_some() {
                    return false;
                }
                self.push(Episode::Outage(Box::new(Outage::new(at, error.clone()))));
            }
            Event::ReconnectScheduled {
                delay,
                class,
                reason,
                ..
            } => {
                // Without an outage under way: a start during an outage.
                let Some(outage) = self.outage_at(at, reason) else {
                    return false;
                };
                outage.class = Some(*class);
                outage.last_reason = Some(reason.clone());
                outage.due = Some(at.saturating_add(crate::history::millis(*delay)));
            }
            Event::Connecting { attempt, kind } => match self.ongoing_mut() {
                Some(outage) => outage.attempt(at, *attempt, *kind),
                None => return false,
            },
            Event::CredentialsRenewed { method } => {
                let renewal = Renewal {
                    at,
                    method: *method,
                };
                match self.ongoing_mut() {
                    Some(outage) => push_bounded(&mut outage.renewals, renewal),
                    None => self.push(Episode::Renewal(renewal)),
                }
            }
            Event::Recovered { outage, .. } => {
                let outage_ms = crate::history::millis(*outage);
                let Some(recovered) = self.outage_at(at.saturating_sub(outage_ms), "interrupted")
                else {
                    return false;
                };
                let last = recovered.attempts.back().copied();
                recovered.close(at, Outcome::Recovered);
                recovered.outage_ms = Some(outage_ms);
                if let Some(last) = last {
                    recovered.back_after_ms = Some(at.saturating_sub(last.at));
                    recovered.network_back = last.early.then_some(last.at);
                }
            }
            Event::ReconnectionFailed { reason, .. } => {
                let Some(failed) = self.outage_at(at, "the client could not connect") else {
                    return false;
                };
                failed.close(at, Outcome::Failed);
                failed.failure = Some(*reason);
            }
            Event::Disconnected => match self.ongoing_mut() {
                Some(outage) => outage.close(at, Outcome::Disconnected),
                None => return false,
            },
            _ => return false,
        }
        true
    }

    /// Forgets the episodes that ended more than the window before `now_ms`.
    pub fn prune(&mut self, now_ms: u64) {
        let oldest = now_ms.saturating_sub(self.window_ms);
        self.episodes
            .retain(|episode| episode.end().is_none_or(|end| end >= oldest));
    }
}

fn push_bounded<T>(list: &mut VecDeque<T>, item: T) {
    if list.len() == MAX_MARKS {
        list.pop_front();
    }
    list.push_back(item);
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use nwp500::AttemptKind;
    use serde_json::json;

    use super::*;

    const HOUR: u64 = 3_600_000;

    fn scheduled(attempt: u64, kind: AttemptKind, delay_ms: u64, class: FailureKind) -> Event {
        Event::ReconnectScheduled {
            attempt,
            kind,
            delay: Duration::from_millis(delay_ms),
            class,
            reason: format!("attempt {attempt} failed"),
        }
    }

    fn connecting(attempt: u64, kind: AttemptKind) -> Event {
        Event::Connecting { attempt, kind }
    }

    fn only_outage(story: &Story) -> &Outage {
        assert_eq!(story.episodes().len(), 1, "{:?}", story.episodes());
        match &story.episodes()[0] {
            Episode::Outage(outage) => outage,
            other => panic!("not an outage: {other:?}"),
        }
    }

    #[test]
    fn an_outage_from_interruption_to_recovery_noticed_by_the_probe() {
        let mut s = Story::new(HOUR);
        let t0 = 1_000_000;
        assert!(s.apply(
            t0,
            &Event::Interrupted {
                error: "keep-alive timeout".into()
            }
        ));
        assert!(s.ongoing().is_some());
        s.apply(
            t0 + 10,
            &scheduled(1, AttemptKind::Quick, 1_000, FailureKind::Interrupted),
        );
        s.apply(t0 + 1_010, &connecting(1, AttemptKind::Quick));
        s.apply(
            t0 + 1_020,
            &scheduled(2, AttemptKind::Deep, 120_000, FailureKind::Unreachable),
        );
        s.apply(
            t0 + 1_030,
            &Event::CredentialsRenewed {
                method: RenewalMethod::Refresh,
            },
        );
        // The probe saw the endpoint again long before the two minutes were up.
        s.apply(t0 + 60_000, &connecting(2, AttemptKind::Deep));
        assert!(s.apply(
            t0 + 61_200,
            &Event::Recovered {
                attempts: 2,
                outage: Duration::from_millis(61_200)
            }
        ));

        let outage = only_outage(&s);
        assert_eq!(outage.start, t0);
        assert_eq!(outage.end, Some(t0 + 61_200));
        assert_eq!(outage.cause, "keep-alive timeout");
        assert_eq!(outage.outcome, Outcome::Recovered);
        assert_eq!(outage.attempt_count, 2);
        assert_eq!(outage.deep_count, 1);
        assert_eq!(outage.class, Some(FailureKind::Unreachable));
        assert_eq!(outage.renewals.len(), 1);
        assert!(!outage.attempts[0].early, "the first attempt was on time");
        assert!(outage.attempts[1].early);
        assert_eq!(outage.network_back, Some(t0 + 60_000));
        assert_eq!(outage.back_after_ms, Some(1_200));
        assert_eq!(outage.outage_ms, Some(61_200));
        assert!(s.ongoing().is_none());

        let v = serde_json::to_value(s.episodes()).unwrap();
        assert_eq!(v[0]["kind"], "outage");
        assert_eq!(v[0]["outcome"], "recovered");
        assert_eq!(v[0]["backAfterMs"], 1_200);
        assert_eq!(
            v[0]["attempts"][1],
            json!({"at": t0 + 60_000, "number": 2, "kind": "deep", "early": true})
        );
        assert_eq!(v[0]["renewals"][0]["method"], "refresh");
        assert!(v[0].get("due").is_none());
    }

    #[test]
    fn an_attempt_on_its_timer_does_not_claim_the_network_came_back() {
        let mut s = Story::new(HOUR);
        s.apply(
            0,
            &Event::Interrupted {
                error: "reset".into(),
            },
        );
        s.apply(
            5,
            &scheduled(1, AttemptKind::Quick, 1_000, FailureKind::Interrupted),
        );
        s.apply(1_010, &connecting(1, AttemptKind::Quick));
        s.apply(
            1_300,
            &Event::Recovered {
                attempts: 1,
                outage: Duration::from_millis(1_300),
            },
        );
        let outage = only_outage(&s);
        assert_eq!(outage.network_back, None);
        assert_eq!(outage.back_after_ms, Some(290));
    }

    #[test]
    fn a_start_during_an_outage_opens_it_at_the_first_failure() {
        let mut s = Story::new(HOUR);
        assert!(
            !s.apply(0, &connecting(1, AttemptKind::Initial)),
            "no outage yet"
        );
        s.apply(
            50,
            &scheduled(2, AttemptKind::Quick, 1_000, FailureKind::Credentials),
        );
        let outage = s.ongoing().unwrap();
        assert_eq!(outage.start, 50);
        assert_eq!(outage.cause, "attempt 2 failed");
        s.apply(1_050, &connecting(2, AttemptKind::Quick));
        s.apply(
            1_500,
            &Event::Recovered {
                attempts: 2,
                outage: Duration::from_millis(1_450),
            },
        );
        assert_eq!(only_outage(&s).outcome, Outcome::Recovered);
    }

    #[test]
    fn giving_up_and_disconnecting_end_the_outage() {
        let mut s = Story::new(HOUR);
        s.apply(
            0,
            &Event::Interrupted {
                error: "reset".into(),
            },
        );
        s.apply(
            9,
            &Event::ReconnectionFailed {
                attempts: 3,
                reason: FailureReason::InvalidCredentials,
            },
        );
        let outage = only_outage(&s);
        assert_eq!(outage.outcome, Outcome::Failed);
        assert_eq!(outage.failure, Some(FailureReason::InvalidCredentials));

        let mut s = Story::new(HOUR);
        assert!(!s.apply(0, &Event::Disconnected), "nothing under way");
        s.apply(
            1,
            &Event::Interrupted {
                error: "reset".into(),
            },
        );
        s.apply(2, &Event::Disconnected);
        assert_eq!(only_outage(&s).outcome, Outcome::Disconnected);
        assert_eq!(only_outage(&s).end, Some(2));
    }

    #[test]
    fn a_recovery_without_its_start_is_placed_by_its_length() {
        let mut s = Story::new(HOUR);
        s.apply(
            10_000,
            &Event::Recovered {
                attempts: 4,
                outage: Duration::from_millis(4_000),
            },
        );
        let outage = only_outage(&s);
        assert_eq!((outage.start, outage.end), (6_000, Some(10_000)));
    }

    #[test]
    fn renewals_while_up_are_their_own_episodes() {
        let mut s = Story::new(HOUR);
        s.apply(
            7,
            &Event::CredentialsRenewed {
                method: RenewalMethod::SignIn,
            },
        );
        assert_eq!(
            serde_json::to_value(s.episodes()).unwrap(),
            json!([{"kind": "renewal", "at": 7, "method": "sign_in"}])
        );
    }

    #[test]
    fn bounded_by_count_by_window_and_never_losing_the_outage_under_way() {
        let mut s = Story::new(HOUR);
        for i in 0..(MAX_EPISODES as u64 + 10) {
            s.apply(
                i,
                &Event::CredentialsRenewed {
                    method: RenewalMethod::Refresh,
                },
            );
        }
        assert_eq!(s.episodes().len(), MAX_EPISODES);
        s.apply(
            500,
            &Event::Interrupted {
                error: "reset".into(),
            },
        );
        for i in 0..(MAX_MARKS as u64 + 5) {
            s.apply(600 + i, &connecting(i + 1, AttemptKind::Quick));
        }
        let ongoing = s.ongoing().unwrap();
        assert_eq!(ongoing.attempts.len(), MAX_MARKS);
        assert_eq!(ongoing.attempt_count, MAX_MARKS as u64 + 5);
        s.prune(10 * HOUR);
        assert_eq!(s.episodes().len(), 1, "only the outage under way is left");
        assert!(s.ongoing().is_some());
    }

    #[test]
    fn events_outside_the_story_change_nothing() {
        let mut s = Story::new(HOUR);
        for event in [
            Event::Connected {
                client_id: "c".into(),
                session_present: false,
                attempt: 1,
            },
            Event::Resubscribed {
                topics: 2,
                failed: 0,
            },
            Event::CommandSent {
                device: crate::test_reports::mac("aabbccddeeff"),
                command: 1,
            },
        ] {
            assert!(!s.apply(1, &event));
        }
        assert!(s.episodes().is_empty());
    }
}
