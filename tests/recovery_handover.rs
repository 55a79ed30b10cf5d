//! The planned handover before the server's lifetime cut, end to end against
//! nwp500-sim with lifetimes of seconds: make-before-break, no outage, every status once,
//! and the invariants per client id (one live connection each, at most two at once).

#[path = "recovery_support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use nwp500::config::ClientConfigBuilder;
use nwp500::events::Event;
use nwp500::protocol::ClientId;
use nwp500_sim::{ConnectionOutcome, SimConfig};
use support::{assert_invariants, connected};

const MIN: Duration = Duration::from_millis(100);
const STATUS_REQUEST: u64 = 16_777_219;

fn sim_with_lifetime(lifetime: Duration) -> SimConfig {
    SimConfig {
        max_connection_lifetime: lifetime,
        ..SimConfig::default()
    }
}

/// Hands over 1.2 s to 1.5 s before a 3.5 s lifetime.
fn handing_over(b: ClientConfigBuilder) -> ClientConfigBuilder {
    b.connection_lifetime(Some(Duration::from_millis(3_500)))
        .handover_margin(Duration::from_millis(1_200))
        .handover_jitter(Duration::from_millis(300))
}

fn names(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(Event::name).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifetime_cuts_are_handed_over_without_an_outage_and_every_status_arrives_once() {
    let (sim, client, rec) = connected(
        sim_with_lifetime(Duration::from_millis(3_500)),
        handing_over,
    )
    .await;
    let device = sim.devices()[0].clone();
    let mark = rec.len();
    rec.wait_for(mark, "handed_over", 4, Duration::from_secs(30))
        .await;
    let d = client.diagnostics().await.unwrap();
    assert!(d.handovers >= 4 && d.outages == 0, "{d:?}");
    let requests_before_stop = device.command_count(STATUS_REQUEST);
    support::disconnect(&client, &rec).await;

    let timed = rec.timed();
    let events: Vec<Event> = timed.iter().map(|(_, e)| e.clone()).collect();
    for name in [
        "interrupted",
        "recovered",
        "reconnect_scheduled",
        "handover_failed",
    ] {
        assert_eq!(rec.count(name), 0, "no {name}: {:?}", names(&events));
    }
    // Alternating client ids, each handover quick.
    let id = client.client_id().to_owned();
    let peer = ClientId::new(id.as_str()).unwrap().handover_peer();
    let handovers: Vec<(&String, &String, Duration)> = events
        .iter()
        .filter_map(|e| match e {
            Event::HandedOver {
                client_id,
                previous_client_id,
                took,
                ..
            } => Some((client_id, previous_client_id, *took)),
            _ => None,
        })
        .collect();
    for (i, (to, from, took)) in handovers.iter().enumerate() {
        let (want_to, want_from) = if i % 2 == 0 {
            (peer.as_str(), id.as_str())
        } else {
            (id.as_str(), peer.as_str())
        };
        assert_eq!((to.as_str(), from.as_str()), (want_to, want_from));
        assert!(*took < Duration::from_secs(2), "handover {i} took {took:?}");
    }
    // The server never had to cut: every connection was closed by the client first.
    let cut = sim
        .connection_log()
        .iter()
        .filter(|r| r.outcome == ConnectionOutcome::LifetimeExceeded)
        .count();
    assert_eq!(cut, 0, "{:?}", sim.connection_log());
    // Statuses kept coming: no gap much longer than the poll interval (500 ms).
    let status_times: Vec<Instant> = timed
        .iter()
        .filter(|(_, e)| e.name() == "status")
        .map(|(t, _)| *t)
        .collect();
    let longest = status_times
        .windows(2)
        .map(|w| w[1] - w[0])
        .max()
        .unwrap_or_default();
    assert!(
        longest < Duration::from_millis(1_500),
        "a gap of {longest:?}"
    );
    // Each request answered once: the copies arriving on both links during the overlap
    // are delivered once (without deduplication, about one status per handover more).
    let statuses = status_times.len();
    assert!(
        statuses <= requests_before_stop && statuses + 3 >= requests_before_stop,
        "{statuses} statuses for {requests_before_stop} requests"
    );
    assert_invariants(&sim, &client, &events, MIN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_planned_handover_the_lifetime_cut_is_an_ordinary_interruption() {
    let (sim, client, rec) = connected(sim_with_lifetime(Duration::from_millis(1_500)), |b| {
        b.connection_lifetime(None)
    })
    .await;
    let mark = rec.len();
    rec.wait_for(mark, "recovered", 2, Duration::from_secs(15))
        .await;
    let events = rec.since(mark);
    let interrupted = events.iter().filter(|e| e.name() == "interrupted").count();
    let recovered = events.iter().filter(|e| e.name() == "recovered").count();
    assert!(recovered >= 2 && interrupted - recovered <= 1, "{events:?}");
    assert_eq!(rec.count("handed_over"), 0);
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_handover_keeps_the_old_connection_and_is_retried() {
    let (sim, client, rec) = connected(sim_with_lifetime(Duration::from_secs(5)), |b| {
        b.connection_lifetime(Some(Duration::from_secs(5)))
            .handover_margin(Duration::from_millis(2_500))
            .handover_jitter(Duration::ZERO)
            .initial_reconnect_delay(Duration::from_millis(300))
    })
    .await;
    let mark = rec.len();
    // New connections are refused: the handover fails, the old link carries on.
    sim.set_refuse_connections(true);
    rec.wait_for(mark, "handover_failed", 1, Duration::from_secs(10))
        .await;
    let statuses = rec.count("status");
    rec.wait_since(
        mark,
        Duration::from_secs(5),
        "a status after the failure",
        |_| rec.count("status") > statuses,
    )
    .await;
    sim.set_refuse_connections(false);
    rec.wait_for(mark, "handed_over", 1, Duration::from_secs(10))
        .await;
    let events = rec.since(mark);
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::HandoverFailed {
                retry_in: Some(_),
                ..
            }
        )),
        "{:?}",
        names(&events)
    );
    assert_eq!(rec.count("interrupted"), 0, "{:?}", names(&events));
    assert_eq!(rec.count("recovered"), 0);
    let d = client.diagnostics().await.unwrap();
    assert!(d.handover_failures >= 1 && d.handovers >= 1, "{d:?}");
    assert_eq!(d.outages, 0, "{d:?}");
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_old_connection_dying_before_the_handover_is_an_ordinary_outage() {
    let (sim, client, rec) = connected(sim_with_lifetime(Duration::from_secs(4)), |b| {
        b.connection_lifetime(Some(Duration::from_secs(4)))
            .handover_margin(Duration::from_millis(2_000))
            .handover_jitter(Duration::ZERO)
            .initial_reconnect_delay(Duration::from_millis(400))
            .max_reconnect_delay(Duration::from_millis(400))
    })
    .await;
    let mark = rec.len();
    // The handover cannot connect; then the old link is cut before it could succeed.
    sim.set_refuse_connections(true);
    rec.wait_for(mark, "handover_failed", 1, Duration::from_secs(10))
        .await;
    sim.drop_all_connections();
    rec.wait_for(mark, "interrupted", 1, Duration::from_secs(5))
        .await;
    sim.set_refuse_connections(false);
    rec.wait_for(mark, "recovered", 1, Duration::from_secs(10))
        .await;
    let events = rec.since(mark);
    let interrupted = events.iter().filter(|e| e.name() == "interrupted").count();
    assert_eq!(interrupted, 1, "{:?}", names(&events));
    // A new connection plans its own handover, which succeeds.
    rec.wait_for(mark, "handed_over", 1, Duration::from_secs(10))
        .await;
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}
