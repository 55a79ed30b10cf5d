//! Regression tests for the reference client's telemetry bugs
//! (docs/reference-client-bugs.md): attempts never counted, a diagnostics export that
//! failed on a non-JSON number, counters that were never fed. End to end against
//! nwp500-sim.

#[path = "recovery_support/mod.rs"]
mod support;

use std::time::Duration;

use nwp500::connection::PublishOutcome;
use nwp500::protocol::{Command, DhwMode};
use nwp500_sim::SimConfig;
use serde_json::Value;
use support::{assert_invariants, connected};

const MIN: Duration = Duration::from_millis(100);
const WAIT: Duration = Duration::from_secs(15);

/// P-15: after an outage with several failed attempts, the diagnostics count every attempt
/// (the initial connection included), the outage and its length, and export to JSON with
/// integers only (no float, so no infinity).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempts_and_outages_are_counted_and_export_as_plain_json() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| b).await;
    let mark = rec.len();
    sim.set_refuse_connections(true);
    sim.drop_all_connections();
    rec.wait_for(mark, "reconnect_scheduled", 3, WAIT).await;
    sim.set_refuse_connections(false);
    rec.wait_for(mark, "recovered", 1, WAIT).await;
    let attempts = rec
        .since(mark)
        .iter()
        .filter(|e| e.name() == "connecting")
        .count() as u64;
    assert!(attempts >= 3);

    let d = client.diagnostics().await.unwrap();
    assert_eq!(d.total_attempts, 1 + attempts);
    assert_eq!(d.connects, 2);
    assert_eq!(d.outages, 1);
    assert!(d.connected);
    assert!(d.longest_outage_ms > 0 && d.total_downtime_ms >= d.longest_outage_ms);
    assert!(d.last_error.is_some());

    let json = serde_json::to_value(&d).unwrap();
    let fields = json.as_object().expect("an object");
    for (name, value) in fields {
        match value {
            Value::Number(n) => assert!(n.is_u64(), "{name} = {n} is not an integer"),
            Value::Bool(_) | Value::String(_) | Value::Null => {}
            other => panic!("{name} = {other}"),
        }
    }
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

/// L-25: messages received from the broker are counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn received_messages_are_counted() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| b).await;
    rec.wait_for(0, "status", 2, WAIT).await;
    let d = client.diagnostics().await.unwrap();
    assert!(d.messages_in >= 2, "messages_in = {}", d.messages_in);
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

/// L-25: a command published on a healthy link and acknowledged is counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_commands_are_counted_as_published() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| b).await;
    rec.wait_for(0, "feature", 1, WAIT).await;
    let mac = sim.devices()[0].mac().to_owned();
    let outcome = client
        .send(
            &mac,
            Command::SetDhwMode {
                mode: DhwMode::EnergySaver,
            },
        )
        .await
        .unwrap();
    assert_eq!(outcome, PublishOutcome::Acknowledged);
    let d = client.diagnostics().await.unwrap();
    assert!(d.messages_out >= 1, "messages_out = {}", d.messages_out);
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

/// L-25: a credential renewal (here: the forced one of a deep reconnect) is counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credential_renewals_are_counted() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| b.deep_reconnect_every(1)).await;
    let mark = rec.len();
    sim.drop_all_connections();
    rec.wait_for(mark, "recovered", 1, WAIT).await;
    assert_eq!(rec.count("credentials_renewed"), 1);
    let d = client.diagnostics().await.unwrap();
    assert_eq!(d.credential_renewals, 1);
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}
