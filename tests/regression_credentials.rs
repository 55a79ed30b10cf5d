//! Regression tests for the reference client's credential bugs
//! (docs/reference-client-bugs.md): AWS credentials that expire on their own, an outage
//! across token expiry with the refresh refused, and an auth server that is down while the
//! AWS credentials are still good. End to end against nwp500-sim.

#[path = "recovery_support/mod.rs"]
mod support;

use std::time::Duration;

use nwp500::events::{AttemptKind, Event, RenewalMethod};
use nwp500_sim::{SignInFault, SimConfig};
use support::{assert_invariants, connected};

const MIN: Duration = Duration::from_millis(100);
const WAIT: Duration = Duration::from_secs(15);

fn renewals(events: &[Event]) -> Vec<RenewalMethod> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::CredentialsRenewed { method } => Some(*method),
            _ => None,
        })
        .collect()
}

/// P-3, L-14: the AWS credentials expire while the client still believes them valid (and a
/// refresh brings no new AWS keys). The upgrade refused with 403 renews them at once — the
/// next attempt comes after the minimum interval, not after the backoff or a deep attempt —
/// through a sign-in, because a refresh without AWS keys cannot help.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_upgrade_renews_aws_credentials_at_once_by_signing_in() {
    let sim_config = SimConfig {
        refresh_returns_aws_credentials: false,
        ..SimConfig::default()
    };
    let (sim, client, rec) = connected(sim_config, |b| b).await;
    let sign_ins = sim.sign_in_count();
    let mark = rec.len();
    sim.expire_credentials();
    sim.drop_all_connections();
    rec.wait_for(mark, "recovered", 1, WAIT).await;
    let events = rec.since(mark);

    let kinds: Vec<AttemptKind> = events
        .iter()
        .filter_map(|e| match e {
            Event::Connecting { kind, .. } => Some(*kind),
            _ => None,
        })
        .collect();
    assert!(kinds.iter().all(|k| *k == AttemptKind::Quick), "{kinds:?}");
    assert!(kinds.len() <= 3, "{kinds:?}");
    assert_eq!(renewals(&events), vec![RenewalMethod::SignIn]);
    assert_eq!(sim.sign_in_count(), sign_ins + 1);
    // The attempt after the 403 waits only for the minimum interval.
    let scheduled: Vec<(u64, Duration)> = events
        .iter()
        .filter_map(|e| match e {
            Event::ReconnectScheduled { attempt, delay, .. } => Some((*attempt, *delay)),
            _ => None,
        })
        .collect();
    let (attempt, delay) = scheduled[1];
    assert_eq!(attempt, 2);
    assert!(delay <= MIN, "{delay:?}");
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

/// P-16, P-25: an outage overlaps the expiry of the tokens and of the AWS credentials, the
/// refresh is refused and the auth server fails for a while. No auth error escapes the
/// loop: the attempts go on and the client signs in again and recovers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_across_token_expiry_with_refresh_refused_recovers_by_signing_in() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| b.deep_reconnect_every(2)).await;
    let mark = rec.len();
    sim.expire_access_tokens();
    sim.expire_credentials();
    sim.set_reject_refresh(true);
    // The first renewal (refresh, then sign-in) fails with HTTP 500.
    sim.fail_next_rest_requests(2);
    sim.drop_all_connections();
    rec.wait_for(mark, "recovered", 1, WAIT).await;
    let events = rec.since(mark);
    assert_eq!(rec.count("reconnection_failed"), 0);
    assert!(
        events
            .iter()
            .filter(|e| e.name() == "reconnect_scheduled")
            .count()
            >= 3,
        "the failed renewal must have cost an attempt: {events:?}"
    );
    assert_eq!(renewals(&events), vec![RenewalMethod::SignIn]);
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

/// L-16: the auth server is down (sign-in fails, refresh refused) and the access token is
/// stale, but the AWS credentials are valid: the reconnect uses them and succeeds at the
/// first attempt instead of insisting on a fresh token first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_needs_only_valid_aws_credentials_not_the_auth_server() {
    let sim_config = SimConfig {
        access_token_lifetime: Duration::from_secs(2),
        ..SimConfig::default()
    };
    let (sim, client, rec) = connected(sim_config, |b| b).await;
    // The access token is now stale for the client (its margin is capped at half the
    // 2 s lifetime); the AWS credentials are good for an hour.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    sim.set_sign_in_fault(SignInFault::ServerError);
    sim.set_reject_refresh(true);
    let asked = sim.counters();
    let mark = rec.len();
    sim.drop_all_connections();
    rec.wait_for(mark, "recovered", 1, WAIT).await;
    let recovered = rec.since(mark).into_iter().find_map(|e| match e {
        Event::Recovered { attempts, .. } => Some(attempts),
        _ => None,
    });
    assert_eq!(recovered, Some(1));
    // The auth server was asked (and failed) during that attempt.
    let now = sim.counters();
    assert!(
        now.refresh_attempts + now.sign_in_attempts
            > asked.refresh_attempts + asked.sign_in_attempts
    );
    assert_eq!(now.sign_ins, asked.sign_ins);
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}
