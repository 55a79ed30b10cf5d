//! `disconnect()` in every state: returns within the operation timeout, emits
//! `disconnected` and never a failure, and no connection attempt happens afterwards.

#[path = "recovery_support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use nwp500::client::Client;
use nwp500::events::Event;
use nwp500_sim::{SimConfig, Simulator};
use support::{connected, fast, Recorder};

const WAIT: Duration = Duration::from_secs(15);

/// After `disconnect`, nothing more happens: no attempt, no failure, one `disconnected`.
async fn assert_quiet_after(sim: &Simulator, client: &Client, rec: &Recorder) {
    rec.wait_for(0, "disconnected", 1, Duration::from_secs(2))
        .await;
    let connections = sim.connections_of(client.client_id()).len();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(
        sim.connections_of(client.client_id()).len(),
        connections,
        "a connection attempt after disconnect"
    );
    let events = rec.all();
    let later: Vec<_> = events
        .iter()
        .skip_while(|e| **e != Event::Disconnected)
        .skip(1)
        .collect();
    assert!(later.is_empty(), "events after disconnect: {later:?}");
    assert_eq!(rec.count("disconnected"), 1);
    assert_eq!(rec.count("reconnection_failed"), 0);
    assert!(sim
        .live_connections()
        .iter()
        .all(|c| c.client_id.as_deref() != Some(client.client_id())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_while_healthy() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| b).await;
    let started = Instant::now();
    client.disconnect().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_quiet_after(&sim, &client, &rec).await;
    // A second call is harmless.
    client.disconnect().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_during_backoff() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| {
        b.initial_reconnect_delay(Duration::from_secs(5))
            .max_reconnect_delay(Duration::from_secs(5))
    })
    .await;
    let mark = rec.len();
    sim.set_refuse_connections(true);
    sim.drop_all_connections();
    rec.wait_for(mark, "reconnect_scheduled", 1, WAIT).await;
    let started = Instant::now();
    client.disconnect().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    sim.set_refuse_connections(false);
    assert_quiet_after(&sim, &client, &rec).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_during_a_connect() {
    let sim = Simulator::start(SimConfig::default()).unwrap();
    // A black hole makes the upgrade hang: the client is stuck mid-connect.
    sim.set_blackhole(true);
    let config = fast(&sim)
        .connect_timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let client = Client::start(config).await.unwrap();
    let rec = Recorder::attach(&client);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    client.disconnect().await.unwrap();
    // Bounded by the operation timeout (2 s), far below the connect timeout.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    sim.set_blackhole(false);
    assert_quiet_after(&sim, &client, &rec).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_during_a_deep_reconnect() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| b.deep_reconnect_every(1)).await;
    let mark = rec.len();
    // Sign-ins hang long enough (latency) that the deep renewal is in progress.
    sim.expire_credentials();
    sim.set_latency(Duration::from_millis(300));
    sim.drop_all_connections();
    rec.wait_since(mark, WAIT, "a deep attempt", |events| {
        events.iter().any(|e| {
            matches!(
                e,
                Event::Connecting {
                    kind: nwp500::events::AttemptKind::Deep,
                    ..
                }
            )
        })
    })
    .await;
    let started = Instant::now();
    client.disconnect().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    sim.set_latency(Duration::ZERO);
    assert_quiet_after(&sim, &client, &rec).await;
}
