//! Turning SUBSCRIBE answers into per-filter states and a replay result (pure).

use actix::MailboxError;

use super::error::ReplayError;
use super::messages::{BrokerState, ReplayReport};
use crate::connection::{FilterOutcome, RequestError};
use crate::registry::SubscriptionState;

/// What a `Subscribe` request to the Connection actor answered.
pub(crate) type SubscribeAnswer = Result<Result<Vec<FilterOutcome>, RequestError>, MailboxError>;

/// Whether an error is the broker refusing one filter (the link itself is fine) rather
/// than a missing acknowledgement (the link is not healthy).
pub(crate) fn is_refusal(error: &RequestError) -> bool {
    matches!(error, RequestError::Rejected | RequestError::InvalidTopic)
}

/// Per-filter results of one SUBSCRIBE request for `filters`, in order. Filters the answer
/// does not mention count as unacknowledged.
pub(crate) fn filter_results(
    filters: &[String],
    answer: SubscribeAnswer,
) -> Vec<(String, Result<(), RequestError>)> {
    let outcomes = match answer {
        Ok(Ok(outcomes)) => outcomes,
        Ok(Err(e)) => {
            return filters
                .iter()
                .map(|f| (f.clone(), Err(e.clone())))
                .collect()
        }
        Err(_) => {
            return filters
                .iter()
                .map(|f| (f.clone(), Err(RequestError::ActorStopped)))
                .collect()
        }
    };
    filters
        .iter()
        .map(|f| {
            let result = outcomes
                .iter()
                .find(|o| &o.filter == f)
                .map_or(Err(RequestError::Interrupted), |o| o.result.clone());
            (f.clone(), result)
        })
        .collect()
}

/// The registry state a filter result leads to.
pub(crate) fn state_of(result: &Result<(), RequestError>) -> SubscriptionState {
    match result {
        Ok(()) => SubscriptionState::Acked,
        Err(_) => SubscriptionState::Failed,
    }
}

/// The combined broker state of a registration's filters.
pub(crate) fn broker_state(results: &[(String, Result<(), RequestError>)]) -> BrokerState {
    match results.iter().find_map(|(_, r)| r.as_ref().err()) {
        Some(e) => BrokerState::Failed(e.clone()),
        None => BrokerState::Acked,
    }
}

/// Counts of a replay in progress.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    restored: usize,
    refused: usize,
    unacknowledged: usize,
    cause: Option<RequestError>,
}

impl Tally {
    pub(crate) fn add(&mut self, result: &Result<(), RequestError>) {
        match result {
            Ok(()) => self.restored += 1,
            Err(e) if is_refusal(e) => self.refused += 1,
            Err(e) => {
                self.unacknowledged += 1;
                self.cause.get_or_insert_with(|| e.clone());
            }
        }
    }

    /// `Ok` when every filter was answered (acknowledged or refused), else the error.
    pub(crate) fn finish(self) -> Result<ReplayReport, ReplayError> {
        match self.cause {
            None => Ok(ReplayReport {
                restored: self.restored,
                failed: self.refused,
            }),
            Some(cause) => Err(ReplayError {
                restored: self.restored,
                failed: self.refused + self.unacknowledged,
                cause,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn filters(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("t/{i}")).collect()
    }

    #[test]
    fn per_filter_results_follow_the_answer() {
        let f = filters(3);
        let answer: SubscribeAnswer = Ok(Ok(vec![
            FilterOutcome {
                filter: "t/1".into(),
                result: Err(RequestError::Rejected),
            },
            FilterOutcome {
                filter: "t/0".into(),
                result: Ok(()),
            },
        ]));
        let r = filter_results(&f, answer);
        assert_eq!(r[0], ("t/0".into(), Ok(())));
        assert_eq!(r[1], ("t/1".into(), Err(RequestError::Rejected)));
        assert_eq!(r[2], ("t/2".into(), Err(RequestError::Interrupted)));
        assert_eq!(
            broker_state(&r),
            BrokerState::Failed(RequestError::Rejected)
        );
        assert_eq!(broker_state(&r[..1]), BrokerState::Acked);
    }

    #[test]
    fn whole_request_failures_fail_every_filter() {
        let f = filters(2);
        let r = filter_results(&f, Ok(Err(RequestError::NotConnected)));
        assert!(r.iter().all(|(_, x)| x == &Err(RequestError::NotConnected)));
        let r = filter_results(&f, Err(MailboxError::Closed));
        assert!(r.iter().all(|(_, x)| x == &Err(RequestError::ActorStopped)));
    }

    #[test]
    fn refusals_are_reported_timeouts_are_errors() {
        let mut t = Tally::default();
        t.add(&Ok(()));
        t.add(&Err(RequestError::Rejected));
        assert_eq!(
            t.finish(),
            Ok(ReplayReport {
                restored: 1,
                failed: 1
            })
        );

        let mut t = Tally::default();
        t.add(&Ok(()));
        t.add(&Err(RequestError::Rejected));
        let timeout = RequestError::Timeout {
            after: Duration::from_secs(30),
        };
        t.add(&Err(timeout.clone()));
        t.add(&Err(RequestError::Interrupted));
        assert_eq!(
            t.finish(),
            Err(ReplayError {
                restored: 1,
                failed: 3,
                cause: timeout
            })
        );
    }

    #[test]
    fn states() {
        assert_eq!(state_of(&Ok(())), SubscriptionState::Acked);
        assert_eq!(
            state_of(&Err(RequestError::Rejected)),
            SubscriptionState::Failed
        );
    }
}
