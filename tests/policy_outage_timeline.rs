//! Drives the reconnect policy the way the supervisor does, through whole outages,
//! on tokio's paused clock: real `sleep`s, virtual time.

use std::time::Duration;

use nwp500::clock::{Clock, TokioClock};
use nwp500::config::ClientConfig;
use nwp500::policy::{Attempt, AttemptKind, Decision, FailureKind, ReconnectPolicy};
use tokio::time::Instant;

const SEC: Duration = Duration::from_secs(1);

/// One simulated supervisor step: ask, sleep, CONNECT.
async fn attempt_now(policy: &mut ReconnectPolicy, clock: &TokioClock) -> (Attempt, Instant) {
    let attempt = match policy.next_attempt(clock.now()) {
        Decision::Attempt(a) => a,
        other => panic!("unexpected {other:?}"),
    };
    tokio::time::sleep(attempt.delay).await;
    let at = clock.now();
    policy.on_connect_started(at);
    (attempt, at)
}

fn assert_spaced(connects: &[Instant], min: Duration) {
    for pair in connects.windows(2) {
        assert!(
            pair[1] - pair[0] >= min,
            "two CONNECTs {:?} apart",
            pair[1] - pair[0]
        );
    }
}

#[tokio::test(start_paused = true)]
async fn long_outage_then_recovery_then_a_fresh_cycle() {
    let clock = TokioClock;
    let config = ClientConfig::builder().build().unwrap();
    let mut policy = ReconnectPolicy::with_seed(config.policy_config(), 2026);
    let outage_start = clock.now();
    policy.on_interrupted(outage_start);

    let mut connects = Vec::new();
    let mut deep = Vec::new();
    for n in 1..=25u64 {
        let (a, at) = attempt_now(&mut policy, &clock).await;
        assert_eq!(a.number, n);
        if a.kind == AttemptKind::Deep {
            deep.push(n);
        }
        connects.push(at);
        if n < 25 {
            policy.on_attempt_failed(FailureKind::Unreachable);
        }
    }
    assert_eq!(deep, [10, 20]);
    assert_spaced(&connects, SEC);
    // 25 attempts: 7 growing ones (0.5–1.5 × 1..64 s) and 18 at 60–120 s.
    let outage = clock.now() - outage_start;
    assert!(outage >= Duration::from_secs(63 + 18 * 60), "{outage:?}");
    assert!(outage <= Duration::from_secs(190 + 18 * 120), "{outage:?}");

    policy.on_connected(clock.now());
    let stable_at = policy.stable_at().unwrap();
    tokio::time::sleep_until(stable_at).await;
    assert!(policy.on_stable_check(clock.now()));
    assert_eq!(policy.attempts(), 0);

    // The next outage starts over: attempt 1, about a second.
    tokio::time::sleep(3600 * SEC).await;
    policy.on_interrupted(clock.now());
    let (a, _) = attempt_now(&mut policy, &clock).await;
    assert_eq!(a.number, 1);
    assert!(a.delay <= Duration::from_millis(1500));
}

#[tokio::test(start_paused = true)]
async fn accept_then_kick_loop_keeps_backing_off() {
    let clock = TokioClock;
    let config = ClientConfig::builder().build().unwrap();
    let mut policy = ReconnectPolicy::with_seed(config.policy_config(), 7);
    policy.on_connected(clock.now());
    tokio::time::sleep(3600 * SEC).await;

    let mut connects = Vec::new();
    let mut delays = Vec::new();
    for _ in 0..12 {
        // The broker accepts, then kicks us 100 ms later (e.g. duplicate client id).
        policy.on_interrupted(clock.now());
        let (a, at) = attempt_now(&mut policy, &clock).await;
        connects.push(at);
        delays.push(a.delay);
        policy.on_connected(clock.now());
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!policy.on_stable_check(clock.now()));
    }
    // The first interruption came after an hour of stability: cycle restarts at 1.
    // After that the counter keeps growing although every attempt "succeeded".
    assert_eq!(policy.attempts(), 12);
    assert_spaced(&connects, SEC);
    assert!(delays[8..].iter().all(|d| *d >= 60 * SEC), "{delays:?}");
}
