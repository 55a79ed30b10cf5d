//! Unit tests of the reconnect policy. Time moves through a [`ManualClock`] on top of
//! tokio's paused clock; nothing sleeps for real.

use std::num::NonZeroU64;
use std::time::{Duration, SystemTime};

use proptest::prelude::*;

use super::*;
use crate::clock::{Clock, ManualClock};

const SEC: Duration = Duration::from_secs(1);

fn no_jitter() -> PolicyConfig {
    PolicyConfig {
        jitter: 0.0,
        ..PolicyConfig::default()
    }
}

fn attempt(decision: Decision) -> Attempt {
    match decision {
        Decision::Attempt(a) => a,
        other => panic!("expected an attempt, got {other:?}"),
    }
}

fn clock() -> ManualClock {
    ManualClock::new(SystemTime::UNIX_EPOCH)
}

#[tokio::test(start_paused = true)]
async fn default_delays_without_jitter_follow_the_table() {
    let c = clock();
    let mut p = ReconnectPolicy::with_seed(no_jitter(), 1);
    p.on_interrupted(c.now());
    let got: Vec<(u64, u64, AttemptKind)> = (0..21)
        .map(|_| {
            let a = attempt(p.next_attempt(c.now()));
            (a.number, a.delay.as_secs(), a.kind)
        })
        .collect();
    let secs = [
        1, 2, 4, 8, 16, 32, 64, 120, 120, 120, 120, 120, 120, 120, 120, 120, 120, 120, 120, 120,
        120,
    ];
    for (i, (number, delay, kind)) in got.into_iter().enumerate() {
        assert_eq!(number, i as u64 + 1);
        assert_eq!(delay, secs[i], "attempt {number}");
        let deep = number == 10 || number == 20;
        assert_eq!(kind == AttemptKind::Deep, deep, "attempt {number}");
    }
}

#[tokio::test(start_paused = true)]
async fn fixed_seed_gives_a_reproducible_jittered_sequence() {
    let c = clock();
    let run = |seed| {
        let mut p = ReconnectPolicy::with_seed(PolicyConfig::default(), seed);
        (0..30)
            .map(|_| attempt(p.next_attempt(c.now())).delay)
            .collect::<Vec<_>>()
    };
    let a = run(42);
    assert_eq!(a, run(42));
    assert_ne!(a, run(43));
    let mut base = SEC;
    for (i, d) in a.iter().enumerate() {
        let capped = base.min(120 * SEC);
        assert!(
            *d >= capped / 2,
            "attempt {}: {d:?} < half of {capped:?}",
            i + 1
        );
        assert!(
            *d <= (capped * 3 / 2).min(120 * SEC),
            "attempt {}: {d:?}",
            i + 1
        );
        base = capped * 2;
    }
    // Jitter is real: the capped attempts do not all sit on the cap.
    assert!(a[10..].iter().any(|d| *d < 120 * SEC));
}

#[tokio::test(start_paused = true)]
async fn deep_exactly_every_nth_attempt() {
    let c = clock();
    let config = PolicyConfig {
        deep_every: NonZeroU64::new(7).unwrap(),
        ..PolicyConfig::default()
    };
    let mut p = ReconnectPolicy::with_seed(config, 3);
    for n in 1..=2000u64 {
        let a = attempt(p.next_attempt(c.now()));
        p.on_attempt_failed(FailureKind::Unreachable);
        assert_eq!(a.number, n);
        assert_eq!(a.kind == AttemptKind::Deep, n % 7 == 0, "attempt {n}");
        assert_eq!(a.renew_credentials, n % 7 == 0, "attempt {n}");
    }
}

#[tokio::test(start_paused = true)]
async fn attempt_ten_million_waits_exactly_max() {
    let c = clock();
    let mut p = ReconnectPolicy::with_seed(no_jitter(), 5);
    let mut last = None;
    for _ in 0..10_000_000u64 {
        last = Some(attempt(p.next_attempt(c.now())));
    }
    let last = last.unwrap();
    assert_eq!(last.number, 10_000_000);
    assert_eq!(last.delay, 120 * SEC);
    assert_eq!(last.kind, AttemptKind::Deep);
}

#[tokio::test(start_paused = true)]
async fn counter_saturates_at_u64_max() {
    let c = clock();
    let mut p = ReconnectPolicy::with_seed(PolicyConfig::default(), 5);
    p.set_attempts_for_test(u64::MAX - 1);
    let a = attempt(p.next_attempt(c.now()));
    assert_eq!(a.number, u64::MAX);
    let b = attempt(p.next_attempt(c.now()));
    assert_eq!(b.number, u64::MAX);
    assert!(b.delay <= 120 * SEC);
}

#[tokio::test(start_paused = true)]
async fn min_interval_since_last_connect_is_respected() {
    let c = clock();
    let config = PolicyConfig {
        initial_delay: Duration::from_millis(100),
        min_connect_interval: SEC,
        jitter: 0.0,
        ..PolicyConfig::default()
    };
    let mut p = ReconnectPolicy::with_seed(config, 1);
    p.on_connect_started(c.now());
    c.advance(Duration::from_millis(50));
    p.on_attempt_failed(FailureKind::Unreachable);
    // Backoff says 100 ms, but the previous CONNECT was only 50 ms ago.
    let a = attempt(p.next_attempt(c.now()));
    assert_eq!(a.delay, Duration::from_millis(950));
    c.advance(a.delay);
    p.on_connect_started(c.now());
    c.advance(Duration::from_millis(10));
    let b = attempt(p.next_attempt(c.now()));
    assert_eq!(b.delay, Duration::from_millis(990));
    // Long after the last CONNECT the backoff alone decides.
    c.advance(10 * SEC);
    let d = attempt(p.next_attempt(c.now()));
    assert_eq!(d.delay, Duration::from_millis(400));
}

#[tokio::test(start_paused = true)]
async fn connect_then_drop_within_the_window_keeps_the_counter_and_pays_back_steps() {
    let c = clock();
    let mut p = ReconnectPolicy::with_seed(no_jitter(), 1);
    p.on_interrupted(c.now());
    for _ in 0..5 {
        let a = attempt(p.next_attempt(c.now()));
        c.advance(a.delay);
        p.on_connect_started(c.now());
        p.on_attempt_failed(FailureKind::Unreachable);
    }
    assert_eq!(p.backoff_step(), 5);
    p.on_connected(c.now());
    c.advance(12 * SEC);
    assert!(!p.on_stable_check(c.now()));
    p.on_interrupted(c.now());
    // 12 s in service: two 5 s periods halve step 5 twice, to 1; the counter is kept.
    assert_eq!(p.backoff_step(), 1);
    let a = attempt(p.next_attempt(c.now()));
    assert_eq!(a.number, 6);
    assert_eq!(a.delay, 2 * SEC);
}

#[tokio::test(start_paused = true)]
async fn a_kick_loop_backs_off_to_the_maximum() {
    let c = clock();
    let mut p = ReconnectPolicy::with_seed(no_jitter(), 1);
    p.on_interrupted(c.now());
    let mut delays = Vec::new();
    for _ in 0..10 {
        let a = attempt(p.next_attempt(c.now()));
        delays.push(a.delay.as_secs());
        c.advance(a.delay);
        p.on_connect_started(c.now());
        // CONNACK, restore done, kicked within a second.
        p.on_connected(c.now());
        c.advance(Duration::from_millis(900));
        p.on_interrupted(c.now());
    }
    assert_eq!(delays, [1, 2, 4, 8, 16, 32, 64, 120, 120, 120]);
}

#[tokio::test(start_paused = true)]
async fn a_flaky_link_that_serves_between_faults_keeps_short_delays() {
    let c = clock();
    let mut p = ReconnectPolicy::with_seed(PolicyConfig::default(), 7);
    let mut worst = Duration::ZERO;
    let mut deep = 0;
    for i in 0..60u64 {
        // A fault, then one attempt that succeeds after its delay; the link then
        // serves for 8–25 s before the next fault.
        p.on_interrupted(c.now());
        let a = attempt(p.next_attempt(c.now()));
        worst = worst.max(a.delay);
        deep += u64::from(a.kind == AttemptKind::Deep);
        c.advance(a.delay);
        p.on_connect_started(c.now());
        p.on_connected(c.now());
        c.advance(Duration::from_secs(8 + (i * 7) % 18));
    }
    assert!(worst <= 3 * SEC, "worst delay {worst:?}");
    // The counter keeps counting attempts: deep reconnects still happen.
    assert_eq!(deep, 6);
}

#[tokio::test(start_paused = true)]
async fn a_connection_lost_while_restoring_pays_nothing_back() {
    let c = clock();
    let mut p = ReconnectPolicy::with_seed(no_jitter(), 1);
    for _ in 0..4 {
        attempt(p.next_attempt(c.now()));
        p.on_connack();
        c.advance(60 * SEC);
        p.on_interrupted(c.now());
    }
    assert_eq!(p.backoff_step(), 4);
    assert_eq!(p.attempts(), 4);
}

#[tokio::test(start_paused = true)]
async fn stable_connection_resets_the_counter() {
    let c = clock();
    let mut p = ReconnectPolicy::with_seed(no_jitter(), 1);
    for _ in 0..5 {
        attempt(p.next_attempt(c.now()));
    }
    p.on_connected(c.now());
    assert_eq!(p.stable_at(), Some(c.now() + 30 * SEC));
    c.advance(30 * SEC);
    assert!(p.is_stable(c.now()));
    assert!(p.on_stable_check(c.now()));
    assert_eq!(p.attempts(), 0);
    c.advance(100 * SEC);
    p.on_interrupted(c.now());
    let a = attempt(p.next_attempt(c.now()));
    assert_eq!((a.number, a.delay), (1, SEC));
}

#[tokio::test(start_paused = true)]
async fn interruption_after_the_window_resets_without_a_check() {
    let c = clock();
    let mut p = ReconnectPolicy::with_seed(no_jitter(), 1);
    for _ in 0..8 {
        attempt(p.next_attempt(c.now()));
    }
    p.on_connected(c.now());
    c.advance(31 * SEC);
    p.on_interrupted(c.now());
    let a = attempt(p.next_attempt(c.now()));
    assert_eq!((a.number, a.delay), (1, SEC));
}

#[tokio::test(start_paused = true)]
async fn limit_gives_up_exactly_once() {
    let c = clock();
    let config = PolicyConfig {
        max_attempts: NonZeroU64::new(3),
        ..no_jitter()
    };
    let mut p = ReconnectPolicy::with_seed(config, 1);
    let mut give_ups = 0;
    let mut attempts = 0;
    for _ in 0..50 {
        match p.next_attempt(c.now()) {
            Decision::Attempt(_) => attempts += 1,
            Decision::GiveUp { attempts: n } => {
                assert_eq!(n, 3);
                give_ups += 1;
            }
            Decision::Stopped => {}
        }
    }
    assert_eq!((attempts, give_ups), (3, 1));
    assert!(p.has_given_up());
    p.reset();
    let a = attempt(p.next_attempt(c.now()));
    assert_eq!((a.number, a.delay), (1, SEC));
}

#[tokio::test(start_paused = true)]
async fn auth_rejection_retries_at_once_with_renewal_then_backs_off() {
    let c = clock();
    let mut p = ReconnectPolicy::with_seed(no_jitter(), 1);
    for _ in 0..4 {
        let a = attempt(p.next_attempt(c.now()));
        c.advance(a.delay);
        p.on_connect_started(c.now());
        p.on_attempt_failed(FailureKind::Unreachable);
    }
    let fifth = attempt(p.next_attempt(c.now()));
    assert_eq!(fifth.delay, 16 * SEC);
    c.advance(fifth.delay);
    p.on_connect_started(c.now());
    c.advance(Duration::from_millis(300));
    p.on_attempt_failed(FailureKind::AuthRejected);

    // Immediate retry (only the minimum interval) with forced renewal.
    let sixth = attempt(p.next_attempt(c.now()));
    assert_eq!(sixth.number, 6);
    assert!(sixth.renew_credentials);
    assert_eq!(sixth.kind, AttemptKind::Quick);
    assert_eq!(sixth.delay, Duration::from_millis(700));
    c.advance(sixth.delay);
    p.on_connect_started(c.now());
    p.on_attempt_failed(FailureKind::AuthRejected);

    // Renewed credentials rejected again: normal backoff, and it stays that way.
    let seventh = attempt(p.next_attempt(c.now()));
    assert_eq!((seventh.number, seventh.delay), (7, 64 * SEC));
    assert!(!seventh.renew_credentials);
    c.advance(seventh.delay);
    p.on_connect_started(c.now());
    p.on_attempt_failed(FailureKind::AuthRejected);
    let eighth = attempt(p.next_attempt(c.now()));
    assert_eq!((eighth.number, eighth.delay), (8, 120 * SEC));
    assert!(!eighth.renew_credentials);

    // A successful connection makes the shortcut available again.
    c.advance(eighth.delay);
    p.on_connect_started(c.now());
    p.on_connected(c.now());
    c.advance(5 * SEC);
    p.on_interrupted(c.now());
    let ninth = attempt(p.next_attempt(c.now()));
    c.advance(ninth.delay);
    p.on_connect_started(c.now());
    p.on_attempt_failed(FailureKind::AuthRejected);
    let tenth = attempt(p.next_attempt(c.now()));
    assert!(tenth.renew_credentials);
    assert_eq!(tenth.delay, SEC);
}

#[tokio::test(start_paused = true)]
async fn rejected_deep_attempt_falls_back_to_backoff() {
    let c = clock();
    let config = PolicyConfig {
        deep_every: NonZeroU64::new(2).unwrap(),
        ..no_jitter()
    };
    let mut p = ReconnectPolicy::with_seed(config, 1);
    attempt(p.next_attempt(c.now()));
    let deep = attempt(p.next_attempt(c.now()));
    assert_eq!(deep.kind, AttemptKind::Deep);
    p.on_auth_rejected();
    let next = attempt(p.next_attempt(c.now()));
    assert!(!next.renew_credentials);
    assert_eq!(next.delay, 4 * SEC);
}

#[tokio::test(start_paused = true)]
async fn rejection_of_the_first_connect_earns_the_shortcut() {
    let c = clock();
    let mut p = ReconnectPolicy::with_seed(no_jitter(), 1);
    p.on_connect_started(c.now());
    p.on_attempt_failed(FailureKind::AuthRejected);
    let a = attempt(p.next_attempt(c.now()));
    assert_eq!((a.number, a.delay), (1, SEC));
    assert!(a.renew_credentials);
}

#[tokio::test(start_paused = true)]
async fn a_renewal_the_rest_api_could_not_do_is_owed_to_the_next_attempt() {
    let c = clock();
    let mut p = ReconnectPolicy::with_seed(no_jitter(), 1);
    attempt(p.next_attempt(c.now()));
    p.on_attempt_failed(FailureKind::AuthRejected);
    let renewing = attempt(p.next_attempt(c.now()));
    assert!(renewing.renew_credentials);
    // The REST API failed: the renewal did not happen.
    p.on_attempt_failed(FailureKind::Credentials);
    let next = attempt(p.next_attempt(c.now()));
    assert!(next.renew_credentials, "would reuse refused credentials");
    assert!(
        next.delay > Duration::ZERO,
        "no immediate retry against a failing API"
    );
    p.on_attempt_failed(FailureKind::Credentials);
    assert!(attempt(p.next_attempt(c.now())).renew_credentials);
    // Renewed and connected: owed no more.
    p.on_connack();
    assert!(!attempt(p.next_attempt(c.now())).renew_credentials);
}

#[test]
fn only_unreachable_endpoints_and_apis_are_outages() {
    assert!(FailureKind::Unreachable.is_outage());
    assert!(FailureKind::Credentials.is_outage());
    for kind in [
        FailureKind::Interrupted,
        FailureKind::AuthRejected,
        FailureKind::Restore,
        FailureKind::Other,
    ] {
        assert!(!kind.is_outage(), "{kind}");
    }
    let mut p = ReconnectPolicy::with_seed(PolicyConfig::default(), 1);
    assert_eq!(p.last_failure(), None);
    p.on_attempt_failed(FailureKind::Unreachable);
    assert_eq!(p.last_failure(), Some(FailureKind::Unreachable));
    p.on_connack();
    assert_eq!(p.last_failure(), None);
}

#[tokio::test(start_paused = true)]
async fn odd_settings_are_sanitised_instead_of_panicking() {
    let c = clock();
    let config = PolicyConfig {
        initial_delay: 10 * SEC,
        max_delay: SEC,
        multiplier: f64::NAN,
        jitter: 7.0,
        deep_every: NonZeroU64::MIN,
        ..PolicyConfig::default()
    };
    let mut p = ReconnectPolicy::with_seed(config, 9);
    assert_eq!(p.config().max_delay, 10 * SEC);
    assert_eq!(p.config().multiplier, 1.0);
    assert_eq!(p.config().jitter, 1.0);
    for _ in 0..100 {
        let a = attempt(p.next_attempt(c.now()));
        assert!(a.delay <= 10 * SEC);
        assert_eq!(a.kind, AttemptKind::Deep);
    }
    let huge = PolicyConfig {
        initial_delay: Duration::MAX,
        max_delay: Duration::MAX,
        multiplier: f64::MAX,
        ..PolicyConfig::default()
    };
    let mut p = ReconnectPolicy::with_seed(huge, 9);
    for _ in 0..10 {
        attempt(p.next_attempt(c.now()));
    }
}

proptest! {
    #[test]
    fn jitter_stays_within_bounds(
        seed in any::<u64>(),
        jitter in 0.0f64..=1.0,
        initial_ms in 1u64..5_000,
        max_ms in 1u64..600_000,
        multiplier in 1.0f64..4.0,
        attempts in 1usize..60,
    ) {
        let max_ms = max_ms.max(initial_ms);
        let config = PolicyConfig {
            initial_delay: Duration::from_millis(initial_ms),
            max_delay: Duration::from_millis(max_ms),
            multiplier,
            jitter,
            min_connect_interval: Duration::ZERO,
            ..PolicyConfig::default()
        };
        let mut p = ReconnectPolicy::with_seed(config, seed);
        let now = tokio::time::Instant::now();
        let max = Duration::from_millis(max_ms);
        let mut base = Duration::from_millis(initial_ms).as_secs_f64();
        for _ in 0..attempts {
            let capped = base.min(max.as_secs_f64());
            let a = attempt(p.next_attempt(now));
            let d = a.delay.as_secs_f64();
            prop_assert!(a.delay <= max);
            // 1 µs of slack for float rounding.
            prop_assert!(d >= capped * (1.0 - jitter) - 1e-6, "{} < {}", d, capped * (1.0 - jitter));
            prop_assert!(d <= capped * (1.0 + jitter) + 1e-6, "{} > {}", d, capped * (1.0 + jitter));
            base = capped * multiplier;
        }
    }
}
