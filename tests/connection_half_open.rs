//! Half-open links: a black-holed transport (socket open, nothing gets through) is reported
//! as interrupted by the PINGRESP watchdog within two keep-alive periods, or by the
//! operation timeout of a pending acknowledgement.

#[path = "support/events.rs"]
mod events;
#[path = "support/mosquitto.rs"]
mod mosquitto;
#[path = "support/proxy.rs"]
mod proxy;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use events::Events;
use mosquitto::Mosquitto;
use nwp500::config::KeepAlive;
use nwp500::connection::{
    Connect, Connection, ConnectionEvent, ConnectionSettings, FlushQueue, GetStatus, LinkError,
    LinkPhase, Operation, Publish, RequestError,
};
use proxy::BlackHoleProxy;

async fn connected_through_proxy(
    settings: impl FnOnce(&mut ConnectionSettings),
) -> (Mosquitto, BlackHoleProxy, Events, actix::Addr<Connection>) {
    let broker = Mosquitto::start();
    let proxy = BlackHoleProxy::start(SocketAddr::from(([127, 0, 0, 1], broker.tcp_port))).await;
    let sink = Events::start();
    let mut s = ConnectionSettings::new(&proxy.tcp_url(), "nwp-test-halfopen").unwrap();
    s.connect_timeout = Duration::from_secs(2);
    s.close_timeout = Duration::from_millis(200);
    settings(&mut s);
    let conn = Connection::new(s, sink.events_recipient(), sink.incoming_recipient())
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
    (broker, proxy, sink, conn)
}

#[actix::test]
async fn black_holed_link_is_interrupted_within_two_keep_alives() {
    let keep_alive = Duration::from_secs(1);
    let (_broker, proxy, mut sink, conn) = connected_through_proxy(|s| {
        s.keep_alive = KeepAlive::new(keep_alive).unwrap();
        s.ping_timeout = Duration::from_millis(300);
        s.operation_timeout = Duration::from_secs(10);
    })
    .await;

    proxy.set_blackhole(true);
    let started = tokio::time::Instant::now();
    let event = sink
        .wait_for(keep_alive * 3, |e| {
            matches!(e, ConnectionEvent::Interrupted { .. })
        })
        .await
        .expect("the black hole must be detected");
    let elapsed = started.elapsed();
    assert!(elapsed <= keep_alive * 2, "detected after {elapsed:?}");
    assert_eq!(
        event,
        ConnectionEvent::Interrupted {
            generation: 1,
            error: LinkError::PingTimeout {
                after: Duration::from_millis(300)
            }
        }
    );
    let status = conn.send(GetStatus).await.unwrap();
    assert_eq!(status.phase, LinkPhase::Idle);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(conn.send(GetStatus).await.unwrap().live_transports, 0);
}

#[actix::test]
async fn missing_puback_times_out_and_ends_the_generation() {
    let op_timeout = Duration::from_millis(300);
    let (_broker, proxy, mut sink, conn) = connected_through_proxy(|s| {
        s.keep_alive = KeepAlive::new(Duration::from_secs(30)).unwrap();
        s.operation_timeout = op_timeout;
    })
    .await;

    proxy.set_blackhole(true);
    let started = tokio::time::Instant::now();
    let outcome = conn
        .send(Publish {
            topic: "nwp/halfopen".into(),
            payload: Bytes::from_static(b"{}"),
            label: None,
        })
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(outcome, Err(RequestError::Timeout { after: op_timeout }));
    assert!(elapsed >= op_timeout, "{elapsed:?}");
    assert!(elapsed < op_timeout * 3, "{elapsed:?}");
    let event = sink
        .wait_for(Duration::from_secs(1), |e| {
            matches!(e, ConnectionEvent::Interrupted { .. })
        })
        .await
        .expect("half-open link reported");
    assert_eq!(
        event,
        ConnectionEvent::Interrupted {
            generation: 1,
            error: LinkError::AckTimeout {
                operation: Operation::Publish,
                after: op_timeout
            }
        }
    );
    assert_eq!(conn.send(GetStatus).await.unwrap().phase, LinkPhase::Idle);
}
