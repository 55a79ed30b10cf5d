//! Fault-injection tests of the two-tier recovery, end to end against nwp500-sim, each
//! asserting the invariants of ARCHITECTURE.md.

#[path = "recovery_support/mod.rs"]
mod support;

use std::time::Duration;

use nwp500::client::Client;
use nwp500::config::ClientConfigBuilder;
use nwp500::events::{AttemptKind, Event, FailureReason};
use nwp500::protocol::{Command, DhwMode};
use nwp500_sim::{InvalidCredentialsForm, SignInFault, SimConfig, Simulator};
use support::{assert_invariants, connected, fast, NetworkSwitch, Recorder};

const MIN: Duration = Duration::from_millis(100);
const WAIT: Duration = Duration::from_secs(15);

fn recovered_count(events: &[Event]) -> usize {
    events.iter().filter(|e| e.name() == "recovered").count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_dropped_while_healthy_recovers_once_with_subscriptions() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| b).await;
    let mark = rec.len();
    assert!(sim.drop_all_connections() >= 1);
    rec.wait_for(mark, "recovered", 1, WAIT).await;
    // Fresh statuses after the recovery prove the device wildcard was resubscribed.
    let after = rec.len();
    rec.wait_for(after, "status", 1, WAIT).await;
    let events = rec.since(mark);
    assert_eq!(recovered_count(&events), 1, "{events:?}");
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Resubscribed { topics, failed: 0 } if *topics >= 2)));
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_refusing_for_a_while_then_back() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| b).await;
    let mark = rec.len();
    sim.set_refuse_connections(true);
    sim.drop_all_connections();
    rec.wait_for(mark, "reconnect_scheduled", 3, WAIT).await;
    sim.set_refuse_connections(false);
    rec.wait_for(mark, "recovered", 1, WAIT).await;
    let events = rec.since(mark);
    assert_eq!(recovered_count(&events), 1);
    assert_eq!(rec.count("reconnection_failed"), 0);
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn black_holed_link_is_detected_and_recovered() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| b).await;
    let mark = rec.len();
    let cut = std::time::Instant::now();
    sim.set_blackhole(true);
    rec.wait_for(mark, "interrupted", 1, Duration::from_secs(5))
        .await;
    // keep-alive 1 s: detected within keep-alive × 2 (plus scheduling slack).
    assert!(
        cut.elapsed() < Duration::from_millis(2_500),
        "{:?}",
        cut.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    sim.set_blackhole(false);
    rec.wait_for(mark, "recovered", 1, WAIT).await;
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_expired_during_an_outage_are_renewed() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| b.deep_reconnect_every(3)).await;
    let mark = rec.len();
    let sign_ins = sim.sign_in_count();
    sim.set_refuse_connections(true);
    sim.drop_all_connections();
    sim.expire_credentials();
    rec.wait_for(mark, "reconnect_scheduled", 2, WAIT).await;
    sim.set_refuse_connections(false);
    rec.wait_for(mark, "recovered", 1, WAIT).await;
    let events = rec.since(mark);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::CredentialsRenewed { .. })),
        "no renewal: {events:?}"
    );
    assert!(sim.sign_in_count() + sim.refresh_count() > sign_ins);
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_sign_in_failures_do_not_stop_the_loop() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| b.deep_reconnect_every(2)).await;
    let mark = rec.len();
    sim.set_sign_in_fault(SignInFault::ServerError);
    sim.expire_credentials();
    sim.drop_all_connections();
    // Deep attempts need a renewal, which fails with 500s: the loop must go on.
    rec.wait_for(mark, "reconnect_scheduled", 5, WAIT).await;
    assert_eq!(rec.count("reconnection_failed"), 0);
    sim.set_sign_in_fault(SignInFault::None);
    rec.wait_for(mark, "recovered", 1, WAIT).await;
    assert_eq!(rec.count("reconnection_failed"), 0);
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_changed_during_an_outage_stops_without_a_storm() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| b.deep_reconnect_every(2)).await;
    let mark = rec.len();
    let sign_ins = sim.counters().sign_in_attempts;
    sim.set_sign_in_fault(SignInFault::InvalidCredentials(
        InvalidCredentialsForm::Http200InvalidPassword,
    ));
    sim.set_reject_refresh(true);
    sim.expire_credentials();
    sim.drop_all_connections();
    rec.wait_for(mark, "reconnection_failed", 1, WAIT).await;
    let events = rec.since(mark);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::ReconnectionFailed {
            reason: FailureReason::InvalidCredentials,
            ..
        }
    )));
    // The rejection is latched: one sign-in attempt, then nothing.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(sim.counters().sign_in_attempts - sign_ins, 1);
    let connecting_after = rec
        .since(mark)
        .iter()
        .skip_while(|e| e.name() != "reconnection_failed")
        .filter(|e| e.name() == "connecting")
        .count();
    assert_eq!(connecting_after, 0, "attempts after the failure");
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

/// L-6: after `reconnection_failed` (password changed), `retry` with the new password
/// starts a new attempt cycle and the client connects again without being rebuilt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_a_rejected_password_recovers() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| b.deep_reconnect_every(1)).await;
    let mark = rec.len();
    sim.set_sign_in_fault(SignInFault::InvalidCredentials(
        InvalidCredentialsForm::Http401,
    ));
    sim.set_reject_refresh(true);
    sim.expire_credentials();
    sim.drop_all_connections();
    rec.wait_for(mark, "reconnection_failed", 1, WAIT).await;
    // Still refused: the retry reports the error and the client stays failed.
    assert!(client.retry(Some("still-wrong")).await.is_err());
    sim.set_sign_in_fault(SignInFault::None);
    sim.set_reject_refresh(false);
    let password = sim.config().account.password.clone();
    let before_retry = rec.len();
    assert!(client.retry(Some(&password)).await.unwrap());
    rec.wait_for(before_retry, "connected", 1, WAIT).await;
    rec.wait_for(before_retry, "status", 1, WAIT).await;
    // The failure was the outage's outcome: no second one.
    assert_eq!(rec.count("recovered"), 0);
    // Not failed any more: a second retry has nothing to do.
    assert!(!client.retry(None).await.unwrap());
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_client_id_kicks_back_off_instead_of_flapping() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| {
        b.initial_reconnect_delay(Duration::from_millis(100))
            .max_reconnect_delay(Duration::from_secs(5))
    })
    .await;
    let mark = rec.len();
    // Another party keeps taking our client id for 3 s.
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        sim.kick(client.client_id());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let events = rec.since(mark);
    let attempts = events.iter().filter(|e| e.name() == "connecting").count();
    // With a stability window of 30 s the counter keeps growing: 0.1+0.2+0.4+0.8+1.6 s
    // (±50 %) fit in 3 s, so a handful of attempts, not one per kick.
    assert!(attempts <= 8, "flapping: {attempts} attempts in 3 s");
    let max_attempt = events
        .iter()
        .filter_map(|e| match e {
            Event::ReconnectScheduled { attempt, .. } => Some(*attempt),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    assert!(
        max_attempt >= 3,
        "the counter was reset by a connect-then-kick"
    );
    rec.wait_for(mark, "recovered", 1, WAIT).await;
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_commands_arrive_once_in_order_after_resubscription() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| b).await;
    let device = sim.devices()[0].clone();
    let mac = device.mac().to_owned();
    device.clear_commands();
    let mark = rec.len();
    sim.set_refuse_connections(true);
    sim.drop_all_connections();
    rec.wait_for(mark, "interrupted", 1, WAIT).await;
    let modes = [DhwMode::HeatPump, DhwMode::Electric, DhwMode::HighDemand];
    for mode in modes {
        let outcome = client
            .send(&mac, Command::SetDhwMode { mode })
            .await
            .unwrap();
        assert!(matches!(
            outcome,
            nwp500::connection::PublishOutcome::Queued { .. }
        ));
    }
    rec.wait_for(mark, "command_queued", 3, WAIT).await;
    sim.set_refuse_connections(false);
    rec.wait_for(mark, "recovered", 1, WAIT).await;
    assert!(
        device
            .wait_for_commands(33_554_437, 3, Duration::from_secs(5))
            .await
    );
    let received: Vec<_> = device
        .commands_with_code(33_554_437)
        .iter()
        .map(|c| c.param().cloned().unwrap_or_default())
        .collect();
    assert_eq!(received.len(), 3, "exactly once: {received:?}");
    assert_eq!(
        received,
        modes
            .iter()
            .map(|m| vec![serde_json::json!(m.raw())])
            .collect::<Vec<_>>(),
        "in order"
    );
    // Sent after the replay: the resubscription event precedes the sent events.
    let events = rec.since(mark);
    let resub = events
        .iter()
        .position(|e| e.name() == "resubscribed")
        .unwrap();
    let first_sent = events
        .iter()
        .position(|e| e.name() == "command_sent")
        .unwrap();
    assert!(resub < first_sent);
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

/// Probe interval of the reachability tests.
const PROBE: Duration = Duration::from_millis(300);

/// A 10–30 s backoff and a fast probe: only the probe can bring the client back soon.
fn long_backoff_fast_probe(b: ClientConfigBuilder) -> ClientConfigBuilder {
    b.initial_reconnect_delay(Duration::from_secs(20))
        .max_reconnect_delay(Duration::from_secs(20))
        .probe_interval(PROBE)
}

/// Ends the outage with `end` and asserts that the client recovered within two probe
/// intervals plus `slack`, not at the end of its backoff.
async fn assert_back_soon_after(rec: &Recorder, mark: usize, slack: Duration, end: impl FnOnce()) {
    let back = std::time::Instant::now();
    end();
    rec.wait_for(mark, "recovered", 1, Duration::from_secs(10))
        .await;
    assert!(
        back.elapsed() < PROBE * 2 + slack,
        "back after {:?}",
        back.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reachability_probe_brings_the_client_back_quickly() {
    let sim = Simulator::start(SimConfig::default()).unwrap();
    let switch = NetworkSwitch::start(support::socket_of(sim.mqtt_ws_url())).await;
    let config = long_backoff_fast_probe(fast(&sim).mqtt_url(switch.ws_url()))
        .build()
        .unwrap();
    let client = Client::start(config).await.unwrap();
    let rec = Recorder::attach(&client);
    rec.wait_for(0, "status", 1, WAIT).await;
    let mark = rec.len();
    switch.set_up(false);
    rec.wait_for(mark, "reconnect_scheduled", 1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_back_soon_after(&rec, mark, Duration::from_millis(700), || {
        switch.set_up(true)
    })
    .await;
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

/// A gateway that accepts TCP and resets at once (a refusing front end) counts as
/// unreachable to the probe, so the end of the refusal is noticed without waiting out the
/// backoff either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reachability_probe_sees_the_end_of_a_refusal() {
    let (sim, client, rec) = connected(SimConfig::default(), long_backoff_fast_probe).await;
    let mark = rec.len();
    sim.set_refuse_connections(true);
    sim.drop_all_connections();
    rec.wait_for(mark, "reconnect_scheduled", 1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_back_soon_after(&rec, mark, Duration::from_millis(900), || {
        sim.set_refuse_connections(false)
    })
    .await;
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

/// An outage that ends right after a failed attempt, before the probe's first look: the
/// failed attempt already showed the endpoint unreachable, so the probe's first answer
/// starts the next attempt instead of the client sitting out a long backoff.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_ending_just_after_a_failed_attempt_is_noticed_by_the_first_probe() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| {
        // First wait 0.1 s (no probe: shorter than its interval), then 20 s.
        long_backoff_fast_probe(b)
            .initial_reconnect_delay(Duration::from_millis(100))
            .reconnect_multiplier(200.0)
            .reconnect_jitter(0.0)
            .min_connect_interval(Duration::ZERO)
    })
    .await;
    let mark = rec.len();
    sim.set_refuse_connections(true);
    sim.drop_all_connections();
    // The wait after the first failed attempt (20 s) has just been scheduled.
    rec.wait_for(mark, "reconnect_scheduled", 2, WAIT).await;
    assert_back_soon_after(&rec, mark, Duration::from_millis(900), || {
        sim.set_refuse_connections(false)
    })
    .await;
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), Duration::ZERO);
}

/// A gateway that accepts TCP and then answers nothing (a black hole, a hung front end)
/// looks alive to a bare TCP connect; the probe's unsigned upgrade request gets no answer
/// from it, so the end of the black hole is noticed without waiting out the backoff.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reachability_probe_sees_the_end_of_a_black_hole() {
    let (sim, client, rec) = connected(SimConfig::default(), long_backoff_fast_probe).await;
    let mark = rec.len();
    sim.set_blackhole(true);
    // The keep-alive (1 s) finds the silent link dead; the next attempt waits 10–30 s.
    rec.wait_for(mark, "reconnect_scheduled", 1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_back_soon_after(&rec, mark, Duration::from_millis(900), || {
        sim.set_blackhole(false)
    })
    .await;
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initial_connection_is_not_an_outage() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| b).await;
    let events = rec.all();
    assert!(matches!(
        events.first(),
        Some(Event::Connecting {
            attempt: 1,
            kind: AttemptKind::Initial
        })
    ));
    assert_eq!(recovered_count(&events), 0);
    support::disconnect(&client, &rec).await;
    assert_eq!(rec.all().last(), Some(&Event::Disconnected));
    assert_invariants(&sim, &client, &rec.all(), MIN);
}
