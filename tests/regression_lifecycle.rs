//! Regression tests for the reference client's lifecycle bugs (docs/reference-client-bugs.md):
//! recovery signals on every path, stale or duplicate interruptions, stale timers, repeated
//! starts, the stability window, client ids and a disconnect on a half-open link. End to end
//! against nwp500-sim with sub-second timings.

#[path = "recovery_support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use nwp500::client::Client;
use nwp500::connection::{ConnectionEvent, GetStatus, LinkError};
use nwp500::events::{AttemptKind, Event, RenewalMethod};
use nwp500::reconnector::Start;
use nwp500::subscriptions::GetSubscriptionStats;
use nwp500_sim::{SimConfig, Simulator};
use support::{assert_invariants, connected, fast, Recorder};

const MIN: Duration = Duration::from_millis(100);
const WAIT: Duration = Duration::from_secs(15);

fn count(events: &[Event], name: &str) -> usize {
    events.iter().filter(|e| e.name() == name).count()
}

/// After a recovery that started at `mark`: exactly one `recovered`, the client reports the
/// link as up, diagnostics agree, and device data flows again.
async fn assert_restored(client: &Client, rec: &Recorder, mark: usize, outages: u64) {
    let events = rec.since(mark);
    assert_eq!(count(&events, "recovered"), 1, "{events:?}");
    assert_eq!(count(&events, "interrupted"), 1, "{events:?}");
    assert!(client.is_connected().await, "recovered but not marked up");
    let diagnostics = client.diagnostics().await.unwrap();
    assert!(diagnostics.connected);
    assert_eq!(diagnostics.outages, outages);
    let after = rec.len();
    rec.wait_for(after, "status", 1, WAIT).await;
}

/// P-8, L-3, P-11: a quick recovery and a recovery through an immediate credential renewal
/// (upgrade refused with 403) each end in exactly one `recovered`, with the single phase the
/// client reports set to up and data flowing. No callback has to fire for that: the state is
/// the supervisor's own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quick_and_renewal_recoveries_each_signal_once_and_mark_the_link_up() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| b).await;

    let mark = rec.len();
    sim.drop_all_connections();
    rec.wait_for(mark, "recovered", 1, WAIT).await;
    assert_restored(&client, &rec, mark, 1).await;

    let mark = rec.len();
    sim.expire_credentials();
    sim.drop_all_connections();
    rec.wait_for(mark, "recovered", 1, WAIT).await;
    assert!(rec
        .since(mark)
        .iter()
        .any(|e| matches!(e, Event::CredentialsRenewed { .. })));
    assert_restored(&client, &rec, mark, 2).await;

    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

/// P-8, L-3, P-11: a deep recovery (forced renewal, Connection actor restarted, old transport
/// closed on purpose) ends in exactly one `recovered` and one `interrupted`: closing the old
/// transport never counts as a second interruption.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_recovery_signals_once_and_marks_the_link_up() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| b.deep_reconnect_every(1)).await;
    let mark = rec.len();
    sim.drop_all_connections();
    rec.wait_for(mark, "recovered", 1, WAIT).await;
    let events = rec.since(mark);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Connecting {
            kind: AttemptKind::Deep,
            ..
        }
    )));
    assert!(events.iter().any(|e| matches!(
        e,
        Event::CredentialsRenewed {
            method: RenewalMethod::Refresh | RenewalMethod::SignIn
        }
    )));
    assert_restored(&client, &rec, mark, 1).await;
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

/// P-10, L-11: interruption reports of other generations are ignored, and a burst of
/// duplicate reports for the live generation starts exactly one reconnect cycle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_and_duplicate_interruptions_start_at_most_one_cycle() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| b).await;
    let reconnector = client.internal_actors().reconnector.clone();
    let live = client
        .internal_actors()
        .connection
        .send(GetStatus)
        .await
        .unwrap()
        .generation
        .expect("a live generation");
    let interrupted = |generation| ConnectionEvent::Interrupted {
        generation,
        error: LinkError::TransportEnded,
    };
    let connections = sim.connections_of(client.client_id()).len();
    let mark = rec.len();
    for generation in (0..live).chain(live + 1..live + 50) {
        reconnector.do_send(interrupted(generation));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let events = rec.since(mark);
    assert_eq!(count(&events, "interrupted"), 0, "{events:?}");
    assert_eq!(count(&events, "connecting"), 0, "{events:?}");
    assert_eq!(sim.connections_of(client.client_id()).len(), connections);

    for _ in 0..50 {
        reconnector.do_send(interrupted(live));
    }
    rec.wait_for(mark, "recovered", 1, WAIT).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let events = rec.since(mark);
    assert_eq!(count(&events, "interrupted"), 1, "{events:?}");
    assert_eq!(count(&events, "connecting"), 1, "{events:?}");
    assert_eq!(count(&events, "recovered"), 1, "{events:?}");
    assert_eq!(
        sim.connections_of(client.client_id()).len(),
        connections + 1
    );
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

/// P-13: once recovered, no timer, probe or attempt left over from the outage wakes up and
/// tears the healthy link down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_left_over_from_an_outage_tears_down_the_recovered_link() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| b).await;
    let mark = rec.len();
    sim.set_refuse_connections(true);
    sim.drop_all_connections();
    rec.wait_for(mark, "reconnect_scheduled", 4, WAIT).await;
    sim.set_refuse_connections(false);
    rec.wait_for(mark, "recovered", 1, WAIT).await;
    let after = rec.len();
    let connections = sim.connections_of(client.client_id()).len();
    // Far longer than the longest backoff (0.4 s × 1.5) and many probe intervals.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let later = rec.since(after);
    for name in ["connecting", "interrupted", "reconnect_scheduled"] {
        assert_eq!(count(&later, name), 0, "{name} after recovery: {later:?}");
    }
    assert_eq!(sim.connections_of(client.client_id()).len(), connections);
    assert!(client.is_connected().await);
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

/// L-7, L-22: asking the supervisor to start again, many times at once, while connected or
/// while waiting out a backoff, never opens another transport, never starts a second loop
/// and never touches the registry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_concurrent_starts_never_open_a_second_transport() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| b).await;
    let reconnector = client.internal_actors().reconnector.clone();
    let subscriptions = client.internal_actors().subscriptions.clone();
    let filters = subscriptions
        .send(GetSubscriptionStats)
        .await
        .unwrap()
        .filters;
    let connections = sim.connections_of(client.client_id()).len();
    let mark = rec.len();
    let starts = (0..20).map(|_| reconnector.send(Start));
    for result in futures::future::join_all(starts).await {
        result.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(count(&rec.since(mark), "connecting"), 0);
    assert_eq!(sim.connections_of(client.client_id()).len(), connections);

    // The same while a reconnect cycle is running.
    let mark = rec.len();
    sim.set_refuse_connections(true);
    sim.drop_all_connections();
    rec.wait_for(mark, "reconnect_scheduled", 1, WAIT).await;
    let starts = (0..20).map(|_| reconnector.send(Start));
    for result in futures::future::join_all(starts).await {
        result.unwrap();
    }
    sim.set_refuse_connections(false);
    rec.wait_for(mark, "recovered", 1, WAIT).await;
    let events = rec.since(mark);
    // Every attempt was scheduled by the one loop: no extra, unscheduled attempt.
    assert_eq!(
        count(&events, "connecting"),
        count(&events, "reconnect_scheduled"),
        "{events:?}"
    );
    let stats = subscriptions.send(GetSubscriptionStats).await.unwrap();
    assert_eq!(stats.filters, filters);
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

/// L-1: after a slow recovery the link stays up for the stability window, so the next
/// outage starts again at attempt 1 with the initial delay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stable_link_starts_the_next_outage_at_attempt_one() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| {
        b.stable_after(Duration::from_millis(400))
    })
    .await;
    let mark = rec.len();
    sim.set_refuse_connections(true);
    sim.drop_all_connections();
    rec.wait_for(mark, "reconnect_scheduled", 4, WAIT).await;
    sim.set_refuse_connections(false);
    rec.wait_for(mark, "recovered", 1, WAIT).await;
    // Longer than the stability window.
    tokio::time::sleep(Duration::from_millis(1_000)).await;

    let mark = rec.len();
    sim.drop_all_connections();
    rec.wait_for(mark, "reconnect_scheduled", 1, WAIT).await;
    let first = rec.since(mark).into_iter().find_map(|e| match e {
        Event::ReconnectScheduled { attempt, delay, .. } => Some((attempt, delay)),
        _ => None,
    });
    let (attempt, delay) = first.unwrap();
    assert_eq!(attempt, 1);
    // Initial delay 100 ms with ±50 % jitter.
    assert!(delay <= Duration::from_millis(150), "{delay:?}");
    rec.wait_for(mark, "recovered", 1, WAIT).await;
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

/// L-21, P-23: two clients built from one configuration get different client ids (no
/// mutual kicks), and after a shared outage they do not retry in lockstep (jitter is seeded
/// per client).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_from_one_configuration_neither_share_an_id_nor_retry_in_lockstep() {
    let sim = Simulator::start(SimConfig::default()).unwrap();
    let config = fast(&sim)
        .max_reconnect_delay(Duration::from_secs(2))
        .build()
        .unwrap();
    let a = Client::start(config.clone()).await.unwrap();
    let b = Client::start(config).await.unwrap();
    assert_ne!(a.client_id(), b.client_id());
    let (rec_a, rec_b) = (Recorder::attach(&a), Recorder::attach(&b));
    rec_a.wait_for(0, "status", 1, WAIT).await;
    rec_b.wait_for(0, "status", 1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(rec_a.count("interrupted") + rec_b.count("interrupted"), 0);
    for client in [&a, &b] {
        assert_eq!(sim.connections_of(client.client_id()).len(), 1);
    }

    let (mark_a, mark_b) = (rec_a.len(), rec_b.len());
    sim.set_refuse_connections(true);
    sim.drop_all_connections();
    rec_a.wait_for(mark_a, "reconnect_scheduled", 3, WAIT).await;
    rec_b.wait_for(mark_b, "reconnect_scheduled", 3, WAIT).await;
    sim.set_refuse_connections(false);
    let delays = |rec: &Recorder, mark: usize| -> Vec<Duration> {
        rec.since(mark)
            .into_iter()
            .filter_map(|e| match e {
                Event::ReconnectScheduled { delay, .. } => Some(delay),
                _ => None,
            })
            .take(3)
            .collect()
    };
    assert_ne!(delays(&rec_a, mark_a), delays(&rec_b, mark_b));
    rec_a.wait_for(mark_a, "recovered", 1, WAIT).await;
    rec_b.wait_for(mark_b, "recovered", 1, WAIT).await;
    support::disconnect(&a, &rec_a).await;
    support::disconnect(&b, &rec_b).await;
    assert_invariants(&sim, &a, &rec_a.all(), MIN);
    assert_invariants(&sim, &b, &rec_b.all(), MIN);
}

/// L-13: `disconnect()` on a half-open link (the DISCONNECT cannot be delivered) returns
/// within its bound, leaves the client reporting "not connected", and nothing reconnects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_on_a_half_open_link_is_bounded_and_final() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| {
        b.keep_alive(Duration::from_secs(30))
    })
    .await;
    sim.set_blackhole(true);
    let started = Instant::now();
    client.disconnect().await.unwrap();
    // The operation timeout is 2 s.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(!client.is_connected().await);
    rec.wait_for(0, "disconnected", 1, Duration::from_secs(2))
        .await;
    let connections = sim.connections_of(client.client_id()).len();
    sim.set_blackhole(false);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(sim.connections_of(client.client_id()).len(), connections);
    assert_eq!(rec.count("reconnection_failed"), 0);
    assert_eq!(rec.count("interrupted"), 0);
    assert_invariants(&sim, &client, &rec.all(), MIN);
}
