//! Recovery at every edge, against the simulator's outage forms: every form of outage is
//! watched by the probe, credential rejections at the MQTT level renew the credentials,
//! a restore that never completes still counts attempts, a slow renewal cannot bring two
//! CONNECTs closer than the minimum interval, a kick loop backs off and a flaky link
//! does not.

mod recovery_support;

use std::time::{Duration, Instant};

use nwp500::config::ClientConfigBuilder;
use nwp500::events::{AttemptKind, Event};
use nwp500::policy::FailureKind;
use nwp500_sim::{RestOutage, SimConfig, Simulator};
use recovery_support::{assert_invariants, connected};

const WAIT: Duration = Duration::from_secs(20);

/// Attempts at 1 s, 3 s and 7 s: an outage ending at 4.5 s is left at 7 s without a probe.
const FOUR_AND_A_HALF: Duration = Duration::from_millis(4_500);

/// Realistic backoff (1, 2, 4, 8 s, no jitter): without the probe, an outage that ends
/// 4.5 s in is left 2.5 s later at the earliest.
fn realistic(b: ClientConfigBuilder) -> ClientConfigBuilder {
    b.client_id(TEST_CLIENT)
        .initial_reconnect_delay(Duration::from_secs(1))
        .max_reconnect_delay(Duration::from_secs(8))
        .reconnect_jitter(0.0)
        .min_connect_interval(Duration::from_millis(100))
        .probe_interval(Duration::from_millis(200))
}

/// Starts `fault`, drops every connection, ends the fault `length` later with `clear`,
/// and returns how long after the end the client recovered, checking the failures' class.
async fn outage(
    fault: impl FnOnce(&Simulator),
    clear: impl FnOnce(&Simulator),
    class: FailureKind,
    length: Duration,
) -> Duration {
    let (sim, client, rec) = connected(SimConfig::default(), realistic).await;
    let from = rec.len();
    fault(&sim);
    sim.drop_all_connections();
    tokio::time::sleep(length).await;
    clear(&sim);
    let end = Instant::now();
    rec.wait_for(from, "recovered", 1, WAIT).await;
    let back = end.elapsed();
    let classes: Vec<FailureKind> = rec
        .since(from)
        .iter()
        .filter_map(|e| match e {
            Event::ReconnectScheduled { class, .. } => Some(*class),
            _ => None,
        })
        .collect();
    assert_eq!(
        classes.first(),
        Some(&FailureKind::Interrupted),
        "{classes:?}"
    );
    // (Expired credentials are first refused at the upgrade, then renewed.)
    assert!(
        classes[1..]
            .iter()
            .all(|c| *c == class || *c == FailureKind::AuthRejected),
        "{classes:?}"
    );
    assert!(
        classes.iter().filter(|c| **c == class).count() >= 2,
        "{classes:?}"
    );
    recovery_support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), Duration::from_millis(100));
    back
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_at_the_upgrade_is_an_outage_watched_by_the_probe() {
    let back = outage(
        |sim| sim.set_upgrade_status(Some(503)),
        |sim| sim.set_upgrade_status(None),
        FailureKind::Unreachable,
        FOUR_AND_A_HALF,
    )
    .await;
    assert!(
        back < Duration::from_millis(1_500),
        "back {back:?} after the 503s ended"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_during_the_handshake_is_an_outage_watched_by_the_probe() {
    let back = outage(
        |sim| sim.set_close_during_handshake(true),
        |sim| sim.set_close_during_handshake(false),
        FailureKind::Unreachable,
        FOUR_AND_A_HALF,
    )
    .await;
    assert!(
        back < Duration::from_millis(1_500),
        "back {back:?} after the closes ended"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connack_server_unavailable_is_an_outage_watched_by_the_probe() {
    // The upgrade answers while CONNACK says 3: the probe sees a healthy endpoint all
    // along, but a failed attempt of an outage class counts as having seen it down.
    let mut connects = Vec::new();
    let back = outage(
        |sim| sim.set_connack_refusal(Some(3)),
        |sim| {
            connects = sim.connect_times(TEST_CLIENT);
            sim.set_connack_refusal(None);
        },
        FailureKind::Unreachable,
        FOUR_AND_A_HALF,
    )
    .await;
    assert!(
        back < Duration::from_millis(1_500),
        "back {back:?} after CONNACK 3 ended"
    );
    // The outage's timeline as the server saw it. The probe cannot tell a broker that
    // answers CONNACK 3 from a healthy one (both answer the upgrade), so the refused
    // CONNECTs follow the probe's cadence (200 ms here, 2 s by default) instead of the
    // backoff, never closer than the minimum interval (100 ms).
    let gaps: Vec<Duration> = connects.windows(2).map(|w| w[1] - w[0]).collect();
    let refused = &gaps[1..];
    assert!(refused.len() >= 5, "{gaps:?}");
    assert!(
        refused
            .iter()
            .all(|g| *g >= Duration::from_millis(100) && *g <= Duration::from_millis(1_000)),
        "{gaps:?}"
    );
}

/// The client id of these tests (CONNECT times are read from the simulator by it).
const TEST_CLIENT: &str = "navien-client-forms";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rest_outage_during_a_renewal_is_watched_on_the_rest_api() {
    let back = outage(
        |sim| {
            // The next attempt must renew: the REST API answers 503 meanwhile.
            sim.expire_credentials();
            sim.set_rest_outage(Some(RestOutage::Status(503)));
        },
        |sim| sim.set_rest_outage(None),
        FailureKind::Credentials,
        // Renewal attempts at 1 s and 5 s fail; the next is due 8 s later.
        Duration::from_secs(7),
    )
    .await;
    assert!(
        back < Duration::from_millis(1_500),
        "back {back:?} after the REST outage"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connack_not_authorized_renews_the_credentials_before_the_next_attempt() {
    for code in [4u8, 5] {
        let (sim, client, rec) = connected(SimConfig::default(), |b| b).await;
        let from = rec.len();
        sim.set_connack_refusal(Some(code));
        sim.drop_all_connections();
        rec.wait_since(from, WAIT, "a rejection", |events| {
            events.iter().any(|e| {
                matches!(
                    e,
                    Event::ReconnectScheduled {
                        class: FailureKind::AuthRejected,
                        ..
                    }
                )
            })
        })
        .await;
        rec.wait_for(from, "credentials_renewed", 1, WAIT).await;
        sim.set_connack_refusal(None);
        rec.wait_for(from, "recovered", 1, WAIT).await;
        let names: Vec<&str> = rec.since(from).iter().map(Event::name).collect::<Vec<_>>();
        let rejected = names
            .iter()
            .position(|n| *n == "reconnect_scheduled")
            .unwrap();
        let renewed = names
            .iter()
            .position(|n| *n == "credentials_renewed")
            .unwrap();
        let next = names[rejected + 1..]
            .iter()
            .position(|n| *n == "connected")
            .map(|i| i + rejected + 1)
            .unwrap();
        assert!(
            renewed > rejected && renewed < next,
            "CONNACK {code}: {names:?}"
        );
        recovery_support::disconnect(&client, &rec).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_that_never_completes_keeps_counting_attempts_until_a_deep_one() {
    // The SUBACK wait (1.2 s) outlasts the stability window (1 s): counted from CONNACK,
    // the window would reset the counter at every attempt and never reach a deep one.
    let (sim, client, rec) = connected(SimConfig::default(), |b| {
        b.operation_timeout(Duration::from_millis(1_200))
            .stable_after(Duration::from_secs(1))
            .initial_reconnect_delay(Duration::from_millis(50))
            .max_reconnect_delay(Duration::from_millis(100))
    })
    .await;
    let from = rec.len();
    sim.set_withhold_suback(true);
    sim.drop_all_connections();
    rec.wait_since(from, Duration::from_secs(40), "attempt 10", |events| {
        events
            .iter()
            .any(|e| matches!(e, Event::Connecting { attempt: 10, .. }))
    })
    .await;
    let attempts: Vec<(u64, AttemptKind)> = rec
        .since(from)
        .iter()
        .filter_map(|e| match e {
            Event::Connecting { attempt, kind } => Some((*attempt, *kind)),
            _ => None,
        })
        .collect();
    let numbers: Vec<u64> = attempts.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, (1..=10).collect::<Vec<_>>(), "{attempts:?}");
    assert_eq!(attempts[9].1, AttemptKind::Deep);
    assert!(rec.since(from).iter().any(|e| matches!(
        e,
        Event::ReconnectScheduled {
            class: FailureKind::Restore,
            ..
        }
    )));
    // Never "connected" in the diagnostics' sense: no restore completed.
    assert_eq!(rec.count("recovered"), 0);
    let diagnostics = client.diagnostics().await.unwrap();
    assert!(!diagnostics.connected, "{diagnostics:?}");
    assert!(diagnostics.current_outage_ms.is_some(), "{diagnostics:?}");
    sim.set_withhold_suback(false);
    rec.wait_for(from, "recovered", 1, WAIT).await;
    recovery_support::disconnect(&client, &rec).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_renewal_never_brings_two_connects_closer_than_the_minimum_interval() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| {
        b.min_connect_interval(Duration::from_secs(1))
            .initial_reconnect_delay(Duration::from_millis(50))
            .max_reconnect_delay(Duration::from_millis(100))
    })
    .await;
    let from = rec.len();
    // Every upgrade signed with the old credentials gets 403; the renewal takes 1.5 s;
    // every connection is kicked 50 ms after its CONNACK.
    sim.set_rest_latency(Duration::from_millis(1_500));
    sim.expire_credentials();
    sim.set_kick_after_connack(Some(Duration::from_millis(50)));
    sim.drop_all_connections();
    rec.wait_for(from, "credentials_renewed", 1, WAIT).await;
    rec.wait_for(from, "connected", 3, WAIT).await;
    let id = client.client_id();
    let times = sim.connect_times(id);
    assert!(times.len() >= 4, "{times:?}");
    let gap = sim.min_connect_gap(id).unwrap();
    assert!(
        gap >= Duration::from_millis(995),
        "two CONNECTs {gap:?} apart, as the server saw them"
    );
    sim.set_kick_after_connack(None);
    sim.set_rest_latency(Duration::ZERO);
    recovery_support::disconnect(&client, &rec).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kick_loop_backs_off_to_the_maximum_as_the_server_sees_it() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| {
        b.initial_reconnect_delay(Duration::from_millis(100))
            .max_reconnect_delay(Duration::from_millis(800))
            .reconnect_jitter(0.0)
            .min_connect_interval(Duration::from_millis(50))
    })
    .await;
    let id = client.client_id().to_owned();
    let before = sim.connect_times(&id).len();
    sim.set_kick_after_connack(Some(Duration::from_millis(50)));
    sim.drop_all_connections();
    let deadline = Instant::now() + WAIT;
    while sim.connect_times(&id).len() < before + 7 {
        assert!(Instant::now() < deadline, "{:?}", sim.connect_times(&id));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sim.set_kick_after_connack(None);
    // CONNECT times as the server saw them: gaps grow to the 800 ms cap.
    let times = sim.connect_times(&id)[before..].to_vec();
    let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.windows(2).take(2).all(|w| w[1] > w[0]), "{gaps:?}");
    assert!(
        gaps.last().unwrap() >= &Duration::from_millis(800),
        "{gaps:?}"
    );
    recovery_support::disconnect(&client, &rec).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flaky_link_that_serves_between_faults_is_back_fast_after_each() {
    // stable_after 6 s: each second in service pays back one backoff step. Faults every
    // 1.5 s would double the delay each time if nothing were paid back.
    let (sim, client, rec) = connected(SimConfig::default(), |b| {
        b.initial_reconnect_delay(Duration::from_millis(100))
            .max_reconnect_delay(Duration::from_secs(12))
            .reconnect_jitter(0.0)
            .min_connect_interval(Duration::from_millis(50))
            .stable_after(Duration::from_secs(6))
    })
    .await;
    let mut worst = Duration::ZERO;
    for _ in 0..8 {
        let from = rec.len();
        sim.drop_all_connections();
        let fault = Instant::now();
        rec.wait_for(from, "recovered", 1, WAIT).await;
        worst = worst.max(fault.elapsed());
        tokio::time::sleep(Duration::from_millis(1_500)).await;
    }
    assert!(
        worst < Duration::from_millis(800),
        "worst recovery {worst:?}"
    );
    recovery_support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), Duration::from_millis(50));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attempt_hanging_in_a_black_hole_is_abandoned_once_the_endpoint_answers() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| {
        realistic(b).connect_timeout(Duration::from_secs(10))
    })
    .await;
    let from = rec.len();
    sim.set_blackhole(true);
    sim.drop_all_connections();
    // The first attempt (1 s after the drop) hangs in the black hole.
    rec.wait_for(from, "connecting", 1, WAIT).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    sim.set_blackhole(false);
    let end = Instant::now();
    rec.wait_for(from, "recovered", 1, WAIT).await;
    let back = end.elapsed();
    assert!(
        back < Duration::from_millis(1_500),
        "back {back:?} after the black hole ended (the connect timeout is 10 s)"
    );
    recovery_support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), Duration::from_millis(100));
}
