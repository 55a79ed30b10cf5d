//! Regression tests for the reference client's periodic-request bugs
//! (docs/reference-client-bugs.md): polling that dies on a publish error, and polling that
//! goes on (and warns) after the client gave up reconnecting.

#[path = "recovery_support/mod.rs"]
mod support;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::{Actor, Context, Handler};
use nwp500::connection::{GetStatus, Publish, PublishOutcome, RequestError};
use nwp500::events::{Event, FailureReason};
use nwp500::periodic::{GetPollingStats, PeriodicRequests, PollKind, Resume, StartPolling};
use nwp500::protocol::{ClientIdentity, DeviceRef, MacAddress};
use nwp500_sim::SimConfig;
use support::{assert_invariants, connected};

const WAIT: Duration = Duration::from_secs(15);

/// Stands in for the Connection actor: answers publishes from a script, then acknowledges.
struct Publisher {
    script: VecDeque<Result<PublishOutcome, RequestError>>,
    calls: Arc<AtomicUsize>,
}

impl Actor for Publisher {
    type Context = Context<Self>;
}

impl Handler<Publish> for Publisher {
    type Result = Result<PublishOutcome, RequestError>;
    fn handle(&mut self, _: Publish, _: &mut Context<Self>) -> Self::Result {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.script
            .pop_front()
            .unwrap_or(Ok(PublishOutcome::Acknowledged))
    }
}

/// P-19: every kind of publish failure (not connected, timeout, interrupted, channel full,
/// connection gone, invalid topic) and every "queued" answer is counted, and the schedule
/// goes on polling.
#[actix::test]
async fn polling_survives_every_publish_error() {
    let calls = Arc::new(AtomicUsize::new(0));
    let timeout = RequestError::Timeout {
        after: Duration::from_secs(2),
    };
    let script = VecDeque::from(vec![
        Err(RequestError::NotConnected),
        Err(timeout),
        Err(RequestError::Interrupted),
        Err(RequestError::Busy),
        Err(RequestError::ActorStopped),
        Err(RequestError::InvalidTopic),
        Ok(PublishOutcome::Queued { queue_len: 1 }),
        Ok(PublishOutcome::Requeued { queue_len: 1 }),
    ]);
    let publisher = Publisher {
        script,
        calls: calls.clone(),
    }
    .start();
    let poller = PeriodicRequests::new(publisher.recipient(), ClientIdentity::random()).start();
    let device = DeviceRef::nwp500(MacAddress::new("aabbccddeeff").unwrap(), "1234");
    poller
        .send(StartPolling {
            device,
            kind: PollKind::Status,
            interval: Duration::from_millis(20),
        })
        .await
        .unwrap()
        .unwrap();
    poller.send(Resume).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while calls.load(Ordering::SeqCst) < 12 {
        assert!(
            Instant::now() < deadline,
            "polling stopped after {calls:?} calls"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let stats = poller.send(GetPollingStats).await.unwrap();
    let schedule = &stats.schedules[0];
    assert_eq!(schedule.errors, 6);
    assert_eq!(schedule.queued, 2);
    assert!(schedule.acknowledged >= 3, "{schedule:?}");
    assert!(!stats.paused);
}

/// P-5, L-19: once the client gives up (here: an attempt limit), polling is paused — ticks
/// are skipped and counted, nothing is published or queued — and no attempt follows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_pauses_quietly_after_the_client_gives_up() {
    let (sim, client, rec) =
        connected(SimConfig::default(), |b| b.max_reconnect_attempts(Some(2))).await;
    let mark = rec.len();
    sim.set_refuse_connections(true);
    sim.drop_all_connections();
    rec.wait_for(mark, "reconnection_failed", 1, WAIT).await;
    assert!(rec.since(mark).iter().any(|e| matches!(
        e,
        Event::ReconnectionFailed {
            attempts: 2,
            reason: FailureReason::AttemptLimit
        }
    )));
    let after_failure = rec.len();
    let periodic = client.actors().polling_stats.clone();
    let connection = client.actors().link_status.clone();
    let before = periodic.send(GetPollingStats).await.unwrap();
    let queued_before = connection.send(GetStatus).await.unwrap().queue_len;
    assert!(before.paused);

    // Three status intervals (500 ms each).
    tokio::time::sleep(Duration::from_millis(1_600)).await;
    let after = periodic.send(GetPollingStats).await.unwrap();
    assert!(after.paused);
    let sent = |s: &nwp500::periodic::PollingStats| s.schedules.iter().map(|x| x.sent).sum::<u64>();
    assert_eq!(sent(&after), sent(&before));
    assert!(
        after.skipped_this_outage >= before.skipped_this_outage + 2,
        "{before:?} → {after:?}"
    );
    assert_eq!(
        connection.send(GetStatus).await.unwrap().queue_len,
        queued_before
    );
    let later = rec.since(after_failure);
    assert!(
        later
            .iter()
            .all(|e| !matches!(e.name(), "command_queued" | "connecting")),
        "{later:?}"
    );
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), Duration::from_millis(100));
}
