//! Regression tests for the reference client's dispatch bugs
//! (docs/reference-client-bugs.md): a blocking handler stalling everything, and a unit
//! preference that did not reach the MQTT data. End to end against nwp500-sim.

#[path = "recovery_support/mod.rs"]
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use nwp500::client::Client;
use nwp500::events::Event;
use nwp500::protocol::UnitSystem;
use nwp500::subscriptions::{AddHandler, HandlerSink, StatusUpdate};
use nwp500_sim::{SimConfig, Simulator};
use support::{assert_invariants, connected, fast, Recorder};

const MIN: Duration = Duration::from_millis(100);
const WAIT: Duration = Duration::from_secs(15);

/// P-26: a callback that blocks (for seconds) delays only itself: another handler keeps
/// receiving every status, and the MQTT link (keep-alive 1 s) stays up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_callback_delays_only_itself() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| b).await;
    let device = client.devices()[0].device_ref().unwrap();
    let subscriptions = client.actors().add_handler.clone();
    let (release, blocker) = mpsc::channel::<()>();
    let blocker = Mutex::new(blocker);
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    subscriptions
        .send(AddHandler::status(
            device.clone(),
            HandlerSink::callback(move |_: &StatusUpdate| {
                counted.fetch_add(1, Ordering::SeqCst);
                let _ = blocker.lock().unwrap().recv_timeout(Duration::from_secs(4));
            }),
        ))
        .await
        .unwrap()
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<StatusUpdate>(64);
    subscriptions
        .send(AddHandler::status(device, HandlerSink::Channel(tx)))
        .await
        .unwrap()
        .unwrap();
    let mark = rec.len();
    // Statuses are polled every 500 ms: four of them span two keep-alive periods.
    for _ in 0..4 {
        tokio::time::timeout(Duration::from_secs(2), rx.recv())
            .await
            .expect("the healthy handler is fed")
            .expect("channel open");
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "the blocked callback is still in its first call"
    );
    assert_eq!(
        rec.since(mark)
            .iter()
            .filter(|e| e.name() == "interrupted")
            .count(),
        0
    );
    drop(release);
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

/// The `dhwTemperatureSetting` of the latest status event.
fn setpoint(rec: &Recorder) -> f64 {
    rec.all()
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::Status { status, .. } => status.to_json()["dhwTemperatureSetting"].as_f64(),
            _ => None,
        })
        .expect("a status with a setpoint")
}

/// P-28: the configured unit reaches every status decoded from MQTT — the event stream and
/// typed handlers alike — because it is passed explicitly to the dispatcher, not read from
/// ambient context.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configured_unit_applies_to_mqtt_data() {
    let sim = Simulator::start(SimConfig {
        random_draws: false,
        ..SimConfig::default()
    })
    .unwrap();
    let start = |unit| {
        let config = fast(&sim).unit_system(unit).build().unwrap();
        Client::start(config)
    };
    let fahrenheit = start(UnitSystem::UsCustomary).await.unwrap();
    let celsius = start(UnitSystem::Metric).await.unwrap();
    let (rec_f, rec_c) = (Recorder::attach(&fahrenheit), Recorder::attach(&celsius));
    rec_f.wait_for(0, "status", 1, WAIT).await;
    rec_c.wait_for(0, "status", 1, WAIT).await;
    let (f, c) = (setpoint(&rec_f), setpoint(&rec_c));
    assert!((f - (c * 9.0 / 5.0 + 32.0)).abs() < 1.0, "{f} °F vs {c} °C");
    assert!(f - c > 10.0, "{f} °F vs {c} °C");

    for (client, unit) in [
        (&fahrenheit, UnitSystem::UsCustomary),
        (&celsius, UnitSystem::Metric),
    ] {
        assert_eq!(client.unit(), unit);
        let device = client.devices()[0].device_ref().unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::channel::<StatusUpdate>(8);
        client
            .actors()
            .add_handler
            .send(AddHandler::status(device, HandlerSink::Channel(tx)))
            .await
            .unwrap()
            .unwrap();
        let update = tokio::time::timeout(Duration::from_secs(3), rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(update.unit, unit);
    }
    support::disconnect(&fahrenheit, &rec_f).await;
    support::disconnect(&celsius, &rec_c).await;
    assert_invariants(&sim, &fahrenheit, &rec_f.all(), MIN);
    assert_invariants(&sim, &celsius, &rec_c.all(), MIN);
}
