//! Stress and isolation: 2 000 consecutive failed attempts with a tiny policy, 1 000
//! topics replayed after a deep reconnect, and a panicking handler.

#[path = "recovery_support/mod.rs"]
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use nwp500::client::Client;
use nwp500::config::ClientConfig;
use nwp500::events::{AttemptKind, Event};
use nwp500::subscriptions::{AddFilterHandler, AddHandler, HandlerSink, StatusUpdate};
use nwp500_sim::{AwsQuotas, SimConfig};
use support::{assert_invariants, connected, Recorder};

const WAIT: Duration = Duration::from_secs(60);

fn resident_kib() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_failed_attempts_deep_every_seventh_no_overflow() {
    // A port nobody listens on: every attempt is refused at once.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config = ClientConfig::builder()
        .mqtt_url(format!("mqtt://127.0.0.1:{port}"))
        .devices(["aabbccddeeff"])
        .initial_reconnect_delay(Duration::from_millis(1))
        .max_reconnect_delay(Duration::from_millis(1))
        .reconnect_jitter(0.0)
        .min_connect_interval(Duration::ZERO)
        .deep_reconnect_every(7)
        .build()
        .unwrap();
    let client = Client::start(config).await.unwrap();
    let rec = Recorder::attach(&client);
    rec.wait_for(0, "connecting", 300, WAIT).await;
    let before = resident_kib();
    rec.wait_for(0, "connecting", 2_001, Duration::from_secs(120))
        .await;
    let after = resident_kib();
    client.disconnect().await.unwrap();
    let kinds: Vec<(u64, AttemptKind)> = rec
        .all()
        .iter()
        .filter_map(|e| match e {
            Event::Connecting { attempt, kind } => Some((*attempt, *kind)),
            _ => None,
        })
        .collect();
    // The initial connection is attempt 1; then attempts 2, 3, 4 … of the same cycle.
    assert_eq!(kinds[0], (1, AttemptKind::Initial));
    for (n, (attempt, kind)) in kinds.iter().skip(1).take(2_000).enumerate() {
        let expected = n as u64 + 2;
        assert_eq!(*attempt, expected);
        let deep = expected % 7 == 0;
        assert_eq!(*kind == AttemptKind::Deep, deep, "attempt {expected}");
    }
    assert_eq!(rec.count("reconnection_failed"), 0);
    if let (Some(before), Some(after)) = (before, after) {
        // Flat memory: 1 700 more attempts may not cost more than a few MiB.
        assert!(
            after < before + 8 * 1024,
            "RSS grew from {before} KiB to {after} KiB"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_topics_are_replayed_after_a_deep_reconnect() {
    let sim_config = SimConfig {
        // 1 002 filters on one connection (a test of replay, past AWS's 50): that quota is lifted.
        quotas: AwsQuotas {
            max_subscriptions_per_connection: None,
            ..AwsQuotas::default()
        },
        ..SimConfig::default()
    };
    let (sim, client, rec) = connected(sim_config, |b| b.deep_reconnect_every(1)).await;
    let subscriptions = client.actors().add_filter_handler.clone();
    for i in 0..1_000 {
        let (tx, _rx) = tokio::sync::mpsc::channel(1);
        subscriptions
            .send(AddFilterHandler {
                filter: format!("test/replay/{i}"),
                handler: HandlerSink::Channel(tx),
            })
            .await
            .unwrap()
            .unwrap();
    }
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
    let replayed = events.iter().find_map(|e| match e {
        Event::Resubscribed { topics, failed } => Some((*topics, *failed)),
        _ => None,
    });
    // 1 000 test filters + the device wildcard + the client response wildcard.
    assert_eq!(replayed, Some((1_002, 0)));
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), Duration::from_millis(100));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_harms_no_other_handler() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| b).await;
    let device = client.devices()[0].device_ref().unwrap();
    let subscriptions = client.actors().add_handler.clone();
    let panics = Arc::new(AtomicUsize::new(0));
    let counted = panics.clone();
    subscriptions
        .send(AddHandler::status(
            device.clone(),
            HandlerSink::callback(move |_: &StatusUpdate| {
                counted.fetch_add(1, Ordering::SeqCst);
                panic!("handler bug");
            }),
        ))
        .await
        .unwrap()
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<StatusUpdate>(16);
    subscriptions
        .send(AddHandler::status(device.clone(), HandlerSink::Channel(tx)))
        .await
        .unwrap()
        .unwrap();
    // Two statuses reach the healthy handler although the other one panicked.
    for _ in 0..2 {
        client.request_status(device.mac.as_str()).await.unwrap();
        let update = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("status delivered")
            .expect("channel open");
        assert_eq!(update.device.as_str(), device.mac.as_str());
    }
    assert!(panics.load(Ordering::SeqCst) >= 1);
    // And the connection is untouched.
    assert_eq!(rec.count("interrupted"), 0);
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), Duration::from_millis(100));
}

/// With 1 000 devices the first connection answers 1 000 status and 1 000 feature requests
/// at once. Every one must arrive (the poller's send window keeps the burst out of the
/// bounded offline queue, which would drop most of it, and away from the PUBACK deadline,
/// which would call the busy link half-open), and an application that takes `events()`
/// and reads it only later (still setting up) must find them all, not a `Lagged` error
/// (the bus is sized from the device count).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_connection_burst_of_a_thousand_devices_waits_unread_on_the_bus() {
    const DEVICES: usize = 1_000;
    let sim = nwp500_sim::Simulator::start(SimConfig {
        quotas: AwsQuotas {
            // A test of the event bus, not of the pool: one connection carries the 1 000
            // devices, and its first connection sends 2 000 requests at once (40 s at the
            // default publish rate). The subscription and inbound quotas and the client's
            // pacing are lifted.
            max_subscriptions_per_connection: None,
            max_inbound_publishes_per_second: None,
            ..AwsQuotas::default()
        },
        ..SimConfig::with_devices(DEVICES)
    })
    .unwrap();
    let config = support::fast(&sim)
        .poll_interval(Duration::from_secs(600))
        .publish_rate(100_000)
        .subscriptions_per_connection(DEVICES + 1)
        .build()
        .unwrap();
    let client = Client::start(config).await.unwrap();
    let mut unread = client.events();
    // A second receiver, read at once, tells when every answer has been published.
    let mut watcher = client.events();
    // Distinct devices that reported a status and a feature (a device may answer twice:
    // the poll that starts with it and the first connection's resumption).
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        let mut reported = std::collections::HashSet::new();
        while let Ok(e) = watcher.recv().await {
            let key = match e.event {
                Event::Status { device, .. } => (device, true),
                Event::Feature { device, .. } => (device, false),
                _ => continue,
            };
            reported.insert(key);
            counter.store(reported.len(), Ordering::SeqCst);
        }
    });
    let deadline = tokio::time::Instant::now() + WAIT;
    while seen.load(Ordering::SeqCst) < 2 * DEVICES {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} reports in",
            seen.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut statuses = std::collections::HashSet::new();
    let mut features = std::collections::HashSet::new();
    loop {
        match unread.try_recv() {
            Ok(e) => match e.event {
                Event::Status { device, .. } => {
                    statuses.insert(device);
                }
                Event::Feature { device, .. } => {
                    features.insert(device);
                }
                _ => {}
            },
            Err(tokio::sync::broadcast::error::TryRecvError::Empty) => break,
            Err(other) => panic!("the unread receiver lost events: {other:?}"),
        }
    }
    assert_eq!(statuses.len(), DEVICES);
    assert_eq!(features.len(), DEVICES);
    client.disconnect().await.unwrap();
    drop(sim);
}
