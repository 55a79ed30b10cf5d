//! `Restart` really restarts the Connection actor: a new incarnation with nothing of the
//! old one but the offline queue and the settings, counted in `GetStatus`; and a deep
//! reconnect of a running client goes through such a restart.

#[path = "support/connection.rs"]
mod connection;
#[path = "support/events.rs"]
mod events;
#[path = "support/mosquitto.rs"]
mod mosquitto;
#[path = "recovery_support/mod.rs"]
mod support;

use std::time::Duration;

use connection::{settings, start_connected};
use events::Events;
use mosquitto::Mosquitto;
use nwp500::connection::{
    Connect, ConnectionEvent, FlushQueue, GetStatus, LinkPhase, Publish, PublishOutcome, Restart,
    Subscribe,
};
use nwp500::events::Event;
use nwp500::AttemptKind;
use nwp500_sim::SimConfig;
use support::{assert_invariants, connected};

const WAIT: Duration = Duration::from_secs(15);

fn publish(payload: &str) -> Publish {
    connection::publish("nwp/restart", payload)
}

#[actix::test]
async fn restart_starts_a_new_incarnation_that_keeps_only_the_queue_and_settings() {
    let broker = Mosquitto::start();
    let mut sink = Events::start();
    let conn = start_connected(settings(&broker.ws_url(), "nwp-test-incarnation"), &sink, 1).await;
    // A SUBACK gives the link a round-trip estimate; publishes queue until a flush.
    let outcomes = conn
        .send(Subscribe {
            filters: vec!["nwp/restart".into()],
        })
        .await
        .unwrap()
        .unwrap();
    assert!(outcomes.iter().all(|o| o.result.is_ok()));
    for i in 0..3 {
        let outcome = conn.send(publish(&i.to_string())).await.unwrap();
        assert_eq!(outcome, Ok(PublishOutcome::Queued { queue_len: i + 1 }));
    }
    let before = conn.send(GetStatus).await.unwrap();
    assert_eq!(before.restarts, 0);
    assert_eq!(before.generation, Some(1));
    assert!(before.smoothed_rtt.is_some(), "{before:?}");

    conn.send(Restart).await.unwrap();
    let after = conn.send(GetStatus).await.unwrap();
    // A new incarnation, not the old one without its link.
    assert_eq!(after.restarts, 1, "{after:?}");
    assert_eq!(after.generation, None);
    assert_eq!(after.phase, LinkPhase::Idle);
    assert_eq!(after.pending_acks, 0);
    assert_eq!(after.smoothed_rtt, None);
    assert_eq!(after.ack_timeout, None);
    // What survives: the queue (and the lifetime totals, counted since creation).
    assert_eq!(after.queue_len, 3);
    assert_eq!(after.transports_opened, before.transports_opened);

    // The same address drives the new incarnation; a publish queues behind the backlog.
    assert_eq!(
        conn.send(publish("3")).await.unwrap(),
        Ok(PublishOutcome::Queued { queue_len: 4 })
    );
    conn.send(Restart).await.unwrap();
    let again = conn.send(GetStatus).await.unwrap();
    assert_eq!((again.restarts, again.queue_len), (2, 4));

    conn.send(Connect {
        generation: 2,
        credentials: None,
    })
    .await
    .unwrap()
    .unwrap();
    let report = conn.send(FlushQueue).await.unwrap().unwrap();
    assert_eq!((report.sent, report.complete), (4, true));
    let status = conn.send(GetStatus).await.unwrap();
    assert_eq!(status.phase, LinkPhase::Connected);
    assert_eq!(status.max_live_transports, 1);
    let events = sink.drain();
    assert!(events
        .iter()
        .all(|e| !matches!(e, ConnectionEvent::Interrupted { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deep_reconnect_restarts_the_connection_and_a_quick_one_does_not() {
    for (deep_every, restarts) in [(1, 1), (100, 0)] {
        let (sim, client, rec) =
            connected(SimConfig::default(), |b| b.deep_reconnect_every(deep_every)).await;
        let connection = client.internal_actors().connection.clone();
        assert_eq!(connection.send(GetStatus).await.unwrap().restarts, 0);
        let mark = rec.len();
        sim.drop_all_connections();
        rec.wait_for(mark, "recovered", 1, WAIT).await;
        let deep = rec.since(mark).iter().any(|e| {
            matches!(
                e,
                Event::Connecting {
                    kind: AttemptKind::Deep,
                    ..
                }
            )
        });
        assert_eq!(deep, restarts > 0);
        let status = connection.send(GetStatus).await.unwrap();
        assert_eq!(status.restarts, restarts, "deep every {deep_every}");
        assert_eq!(status.phase, LinkPhase::Connected);
        // Data flows through the restarted actor.
        let after = rec.len();
        rec.wait_for(after, "status", 1, WAIT).await;
        support::disconnect(&client, &rec).await;
        assert_invariants(&sim, &client, &rec.all(), Duration::from_millis(100));
    }
}
