//! `disconnect()` leaves nothing running: after many clients were started and
//! disconnected, the process has as many threads and as many of the crate's actors as
//! before the first one started. Once inside one actix System (the actors live on the
//! caller's arbiter), once from plain tokio (each client on its own thread).
//!
//! Both counts are process-wide, so the tests take turns.

#[path = "recovery_support/mod.rs"]
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::join_all;
use nwp500::client::Client;
use nwp500::lifecycle::{live_actors, live_actors_of, ActorKind};
use nwp500::subscriptions::{AddHandler, HandlerSink};
use nwp500_sim::{SimConfig, Simulator};
use support::fast;

/// The counts are process-wide: one test at a time.
static SERIAL: Mutex<()> = Mutex::new(());

const WAIT: Duration = Duration::from_secs(30);
/// How long the counts may take to come back after the last `disconnect()` returned.
const SETTLE: Duration = Duration::from_secs(4);

fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

/// Threads and live actors, with the actors per kind for the failure message.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Census {
    threads: usize,
    actors: usize,
    per_kind: Vec<(ActorKind, usize)>,
}

fn census() -> Census {
    Census {
        threads: thread_count(),
        actors: live_actors(),
        per_kind: ActorKind::ALL
            .iter()
            .map(|k| (*k, live_actors_of(*k)))
            .collect(),
    }
}

/// Polls until the census is back at `baseline`, or fails with what is still there.
async fn assert_back_to(baseline: &Census) {
    let deadline = Instant::now() + SETTLE;
    loop {
        let now = census();
        if now == *baseline {
            return;
        }
        if Instant::now() > deadline {
            panic!("{SETTLE:?} after the last disconnect: {now:?}; before the first start: {baseline:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Starts a client with a callback status handler and waits until the callback ran.
async fn start_with_callback(sim: &Simulator) -> Client {
    let config = fast(sim)
        .poll_interval(Duration::from_millis(300))
        .build()
        .unwrap();
    let client = Client::start(config).await.unwrap();
    let device = client.devices()[0].device_ref().unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    client
        .actors()
        .add_handler
        .send(AddHandler::status(
            device,
            HandlerSink::callback(move |_| {
                seen.fetch_add(1, Ordering::SeqCst);
            }),
        ))
        .await
        .unwrap()
        .unwrap();
    let deadline = Instant::now() + WAIT;
    while calls.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "the callback never ran");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    client
}

/// Starts `total` clients, `batch` at a time, all kept running until every one is.
async fn start_many(sim: &Simulator, total: usize, batch: usize) -> Vec<Client> {
    let mut clients = Vec::with_capacity(total);
    while clients.len() < total {
        let n = batch.min(total - clients.len());
        clients.extend(join_all((0..n).map(|_| start_with_callback(sim))).await);
    }
    clients
}

async fn disconnect_all(clients: &[Client]) {
    for result in join_all(clients.iter().map(Client::disconnect)).await {
        result.unwrap();
    }
}

#[test]
fn a_hundred_clients_in_one_actix_system_leave_no_thread_and_no_actor() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    actix::System::new().block_on(async {
        let sim = Simulator::start(SimConfig::default()).unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let baseline = census();
        let clients = start_many(&sim, 100, 10).await;
        let peak = census();
        // Every client runs its five actors and a thread for its callback.
        assert!(peak.actors >= baseline.actors + 500, "{peak:?}");
        assert!(peak.threads >= baseline.threads + 100, "{peak:?}");
        disconnect_all(&clients).await;
        assert_back_to(&baseline).await;
        drop(clients);
    });
}

#[test]
fn clients_on_their_own_threads_leave_no_thread_and_no_actor() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let sim = Simulator::start(SimConfig::default()).unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let baseline = census();
        let clients = start_many(&sim, 20, 10).await;
        let peak = census();
        // Each client: its System's thread and its callback's thread.
        assert!(peak.threads >= baseline.threads + 40, "{peak:?}");
        assert!(peak.actors >= baseline.actors + 100, "{peak:?}");
        disconnect_all(&clients).await;
        assert_back_to(&baseline).await;
        drop(clients);
    });
}

/// A callback that does not return delays `disconnect()` only up to its bound; once it
/// returns, its thread ends as well.
#[test]
fn a_callback_that_does_not_return_bounds_disconnect_and_its_thread_ends_later() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    actix::System::new().block_on(async {
        let sim = Simulator::start(SimConfig::default()).unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let baseline = census();
        let client = Client::start(fast(&sim).build().unwrap()).await.unwrap();
        let device = client.devices()[0].device_ref().unwrap();
        let (entered_tx, entered_rx) = std::sync::mpsc::channel::<()>();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let release_rx = Mutex::new(release_rx);
        client
            .actors()
            .add_handler
            .send(AddHandler::status(
                device,
                HandlerSink::callback(move |_| {
                    let _ = entered_tx.send(());
                    let _ = release_rx.lock().unwrap().recv();
                }),
            ))
            .await
            .unwrap()
            .unwrap();
        let deadline = Instant::now() + WAIT;
        while entered_rx.try_recv().is_err() {
            assert!(Instant::now() < deadline, "the callback never ran");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let started = Instant::now();
        client.disconnect().await.unwrap();
        // Operation timeout 2 s, plus a second, plus a moment per step.
        assert!(
            started.elapsed() < Duration::from_millis(4_500),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            census().threads,
            baseline.threads + 1,
            "the blocked callback's thread"
        );
        drop(release_tx);
        assert_back_to(&baseline).await;
    });
}
