//! AWS IoT Core drops publishes beyond 100 per second on one connection, without a PUBACK
//! (the simulator does the same by default). The client paces its publishes per
//! connection: a burst of requests is sent in full, each caller getting its PUBACK, and
//! the link stays up.

#[path = "recovery_support/mod.rs"]
mod support;

use std::time::Duration;

use nwp500::client::Client;
use nwp500::events::Event;
use nwp500::PublishOutcome;
use nwp500_sim::{SimConfig, Simulator};
use support::connected;

const WAIT: Duration = Duration::from_secs(30);
const BURST: usize = 300;

/// Sends `BURST` status requests at once; answers how many were acknowledged and how
/// many failed.
async fn burst(client: &Client, mac: &str) -> (usize, usize) {
    let outcomes = futures::future::join_all((0..BURST).map(|_| client.request_status(mac))).await;
    let acknowledged = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(PublishOutcome::Acknowledged)))
        .count();
    (acknowledged, outcomes.iter().filter(|o| o.is_err()).count())
}

fn throttled(sim: &Simulator, client: &Client) -> u32 {
    sim.connections_of(client.client_id())
        .iter()
        .map(|r| r.publishes_throttled)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_beyond_the_quota_is_paced_and_sent_in_full() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| {
        b.queue_capacity(1_000)
            .poll_interval(Duration::from_secs(600))
    })
    .await;
    let mac = sim.devices()[0].mac().to_owned();
    let mark = rec.len();
    let (acknowledged, failed) = burst(&client, &mac).await;
    // Each caller waits its turn and gets its PUBACK, as on an idle connection.
    assert_eq!((acknowledged, failed), (BURST, 0));
    let events = rec.since(mark);
    assert_eq!(
        throttled(&sim, &client),
        0,
        "the simulator dropped publishes"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::Interrupted { .. })),
        "{events:?}"
    );
    assert_eq!(
        rec.count("command_dropped") + rec.count("command_queued"),
        0
    );
    support::disconnect(&client, &rec).await;
}

/// The control: without pacing (a rate far above the quota), the same burst is throttled
/// by the simulator, so the test above would see it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_pacing_the_same_burst_is_throttled() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| {
        b.queue_capacity(1_000)
            .poll_interval(Duration::from_secs(600))
            .publish_rate(100_000)
    })
    .await;
    let mac = sim.devices()[0].mac().to_owned();
    burst(&client, &mac).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while throttled(&sim, &client) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no publish throttled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    support::disconnect(&client, &rec).await;
}

#[test]
fn a_rate_of_zero_is_refused() {
    let refused = nwp500::ClientConfig::builder()
        .publish_rate(0)
        .build()
        .unwrap_err();
    assert_eq!(refused.option(), "publish_rate");
}

/// Publishes still waiting for the pacer when the link drops were never sent: they move to
/// the offline queue, in order, and go out after the recovery.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishes_waiting_for_the_pacer_survive_an_interruption() {
    let (sim, client, rec) = connected(SimConfig::default(), |b| {
        b.queue_capacity(1_000)
            .poll_interval(Duration::from_secs(600))
    })
    .await;
    let mac = sim.devices()[0].mac().to_owned();
    let mark = rec.len();
    let requests = futures::future::join_all((0..BURST).map(|_| client.request_status(&mac)));
    let drop_soon = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        sim.drop_all_connections();
    };
    let (outcomes, ()) = tokio::join!(requests, drop_soon);
    let requeued = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(PublishOutcome::Requeued { .. })))
        .count();
    assert!(
        requeued > 0,
        "nothing was waiting at the drop: {outcomes:?}"
    );
    assert!(outcomes.iter().all(|o| o.is_ok()), "{outcomes:?}");
    rec.wait_for(mark, "recovered", 1, WAIT).await;
    rec.wait_for(mark, "command_sent", requeued, WAIT).await;
    assert_eq!(rec.count("command_dropped"), 0);
    support::disconnect(&client, &rec).await;
}
