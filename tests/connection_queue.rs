//! The offline command queue through the Connection actor, against mosquitto: bounded with
//! drop-oldest, age expiry at flush, order, exactly-once delivery, publishes during the
//! flush queue behind the backlog, interrupted publishes go back to the head.

#[path = "support/events.rs"]
mod events;
#[path = "support/mosquitto.rs"]
mod mosquitto;
#[path = "support/observer.rs"]
mod observer;
#[path = "support/proxy.rs"]
mod proxy;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use events::{command_events, Events};
use mosquitto::Mosquitto;
use nwp500::clock::ManualClock;
use nwp500::config::KeepAlive;
use nwp500::connection::{
    CommandEvent, CommandLabel, Connect, Connection, ConnectionEvent, ConnectionSettings,
    FlushQueue, FlushReport, GetStatus, LinkPhase, Publish, PublishOutcome, RequestError,
};
use observer::Observer;
use proxy::BlackHoleProxy;

const TOPIC: &str = "cmd/52/navilink-aabbccddeeff/ctrl";

fn label(n: u32) -> CommandLabel {
    CommandLabel {
        device: nwp500::MacAddress::new("aabbccddeeff").unwrap(),
        command: n,
    }
}

fn command(n: u32) -> Publish {
    Publish {
        topic: TOPIC.into(),
        payload: Bytes::from(n.to_string()),
        label: Some(label(n)),
    }
}

fn numbers(payloads: &[Vec<u8>]) -> Vec<u32> {
    payloads
        .iter()
        .map(|p| String::from_utf8_lossy(p).parse().unwrap())
        .collect()
}

fn commands_of(events: &[CommandEvent], pick: fn(&CommandEvent) -> Option<u32>) -> Vec<u32> {
    events.iter().filter_map(pick).collect()
}

#[actix::test]
async fn five_hundred_offline_publishes_bounded_expired_and_delivered_once_in_order() {
    let broker = Mosquitto::start();
    let mut observer = Observer::start(broker.tcp_port, "nwp-test-observer", TOPIC).await;
    let clock = ManualClock::new(SystemTime::now());
    let mut sink = Events::start();
    let mut settings = ConnectionSettings::new(&broker.ws_url(), "nwp-test-queue").unwrap();
    settings.clock = Arc::new(clock.clone());
    settings.operation_timeout = Duration::from_secs(5);
    let conn = Connection::new(settings, sink.events_recipient(), sink.incoming_recipient())
        .unwrap()
        .start_supervised();

    // 500 publishes while disconnected: 450 now, 50 more 200 s later.
    for n in 0..500u32 {
        if n == 450 {
            clock.advance(Duration::from_secs(200));
        }
        let outcome = conn.send(command(n)).await.unwrap();
        let expected_len = (n as usize + 1).min(100);
        assert_eq!(
            outcome,
            Ok(PublishOutcome::Queued {
                queue_len: expected_len
            })
        );
    }
    // 150 s later the 50 entries queued first (now 350 s old) are past the 300 s limit.
    clock.advance(Duration::from_secs(150));

    conn.send(Connect {
        generation: 1,
        credentials: None,
    })
    .await
    .unwrap()
    .unwrap();
    let report = conn.send(FlushQueue).await.unwrap().unwrap();
    assert_eq!(
        report,
        FlushReport {
            sent: 50,
            expired: 50,
            requeued: 0,
            complete: true
        }
    );

    let delivered = observer.collect(50, Duration::from_secs(5)).await;
    assert_eq!(numbers(&delivered), (450..500).collect::<Vec<_>>());
    assert!(
        observer.extra(Duration::from_millis(300)).await.is_empty(),
        "duplicates"
    );

    let events = command_events(&sink.drain());
    let dropped = commands_of(&events, |e| match e {
        CommandEvent::Dropped { label: Some(l) } => Some(l.command),
        _ => None,
    });
    assert_eq!(dropped, (0..400).collect::<Vec<_>>());
    let expired: Vec<(u32, Duration)> = events
        .iter()
        .filter_map(|e| match e {
            CommandEvent::Expired {
                label: Some(l),
                age,
            } => Some((l.command, *age)),
            _ => None,
        })
        .collect();
    assert_eq!(
        expired,
        (400..450)
            .map(|n| (n, Duration::from_secs(350)))
            .collect::<Vec<_>>()
    );
    let sent = commands_of(&events, |e| match e {
        CommandEvent::Sent { label: Some(l) } => Some(l.command),
        _ => None,
    });
    assert_eq!(sent, (450..500).collect::<Vec<_>>());
    assert_eq!(conn.send(GetStatus).await.unwrap().queue_len, 0);
}

#[actix::test]
async fn publishes_during_restore_and_flush_go_behind_the_backlog() {
    let broker = Mosquitto::start();
    let mut observer = Observer::start(broker.tcp_port, "nwp-test-observer2", TOPIC).await;
    let sink = Events::start();
    let conn = Connection::new(
        ConnectionSettings::new(&broker.tcp_url(), "nwp-test-restore").unwrap(),
        sink.events_recipient(),
        sink.incoming_recipient(),
    )
    .unwrap()
    .start_supervised();

    for n in 0..20 {
        conn.send(command(n)).await.unwrap().unwrap();
    }
    conn.send(Connect {
        generation: 1,
        credentials: None,
    })
    .await
    .unwrap()
    .unwrap();
    // Connected but restoring: still queued.
    for n in 20..25 {
        let outcome = conn.send(command(n)).await.unwrap();
        assert!(matches!(outcome, Ok(PublishOutcome::Queued { .. })));
    }
    assert_eq!(
        conn.send(GetStatus).await.unwrap().phase,
        LinkPhase::Restoring
    );
    // These reach the actor while the flush is running.
    let flush = conn.send(FlushQueue);
    let during: Vec<_> = (25..30).map(|n| conn.send(command(n))).collect();
    let report = flush.await.unwrap().unwrap();
    for outcome in futures::future::join_all(during).await {
        assert!(matches!(
            outcome.unwrap(),
            Ok(PublishOutcome::Queued { .. })
        ));
    }
    assert_eq!((report.sent, report.complete), (30, true));
    assert_eq!(
        conn.send(GetStatus).await.unwrap().phase,
        LinkPhase::Connected
    );
    // Flushed: now publishes go straight out.
    assert_eq!(
        conn.send(command(30)).await.unwrap(),
        Ok(PublishOutcome::Acknowledged)
    );

    let delivered = observer.collect(31, Duration::from_secs(5)).await;
    assert_eq!(numbers(&delivered), (0..31).collect::<Vec<_>>());
    assert!(observer.extra(Duration::from_millis(200)).await.is_empty());
}

#[actix::test]
async fn publishes_cut_off_by_an_interruption_go_back_to_the_head_in_order() {
    let broker = Mosquitto::start();
    let mut observer = Observer::start(broker.tcp_port, "nwp-test-observer3", TOPIC).await;
    let proxy = BlackHoleProxy::start(SocketAddr::from(([127, 0, 0, 1], broker.tcp_port))).await;
    let mut sink = Events::start();
    let op_timeout = Duration::from_millis(400);
    let mut settings = ConnectionSettings::new(&proxy.tcp_url(), "nwp-test-requeue").unwrap();
    settings.operation_timeout = op_timeout;
    settings.keep_alive = KeepAlive::new(Duration::from_secs(30)).unwrap();
    let conn = Connection::new(settings, sink.events_recipient(), sink.incoming_recipient())
        .unwrap()
        .start_supervised();
    conn.send(Connect {
        generation: 1,
        credentials: None,
    })
    .await
    .unwrap()
    .unwrap();
    conn.send(FlushQueue).await.unwrap().unwrap();

    proxy.set_blackhole(true);
    let first = conn.send(command(1));
    tokio::time::sleep(op_timeout / 2).await;
    let second = conn.send(command(2));
    let third = conn.send(command(3));
    // The first one's own deadline passes: its caller gets the timeout, the link is
    // declared half-open, and the two younger publishes go back to the queue in order.
    assert_eq!(
        first.await.unwrap(),
        Err(RequestError::Timeout { after: op_timeout })
    );
    assert!(matches!(
        second.await.unwrap(),
        Ok(PublishOutcome::Requeued { .. })
    ));
    assert!(matches!(
        third.await.unwrap(),
        Ok(PublishOutcome::Requeued { .. })
    ));
    assert!(sink
        .wait_for(Duration::from_secs(1), |e| matches!(
            e,
            ConnectionEvent::Interrupted { generation: 1, .. }
        ))
        .await
        .is_some());
    // Issued while disconnected: behind the re-queued ones.
    assert_eq!(
        conn.send(command(4)).await.unwrap(),
        Ok(PublishOutcome::Queued { queue_len: 3 })
    );

    proxy.set_blackhole(false);
    conn.send(Connect {
        generation: 2,
        credentials: None,
    })
    .await
    .unwrap()
    .unwrap();
    let report = conn.send(FlushQueue).await.unwrap().unwrap();
    assert_eq!((report.sent, report.complete), (3, true));
    let delivered = observer.collect(3, Duration::from_secs(3)).await;
    assert_eq!(numbers(&delivered), vec![2, 3, 4]);
    assert!(observer.extra(Duration::from_millis(200)).await.is_empty());
}
