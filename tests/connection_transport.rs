//! The Connection actor against a real local broker (mosquitto) and small fake servers:
//! transports by URL, acknowledged operations, connect error classification, presigning
//! at the upgrade, silent close, restarts, server-side close.

#[path = "support/connection.rs"]
mod connection;
#[path = "support/events.rs"]
mod events;
#[path = "support/mosquitto.rs"]
mod mosquitto;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use connection::{publish, settings, start_connected};
use events::{command_events, Events};
use mosquitto::Mosquitto;
use nwp500::clock::ManualClock;
use nwp500::connection::{
    Close, CommandEvent, Connect, ConnectError, ConnectErrorKind, Connected, Connection,
    ConnectionEvent, FlushQueue, GetStatus, LinkPhase, PublishOutcome, Restart, Subscribe,
    Unsubscribe,
};
use nwp500::credentials::AwsCredentials;
use nwp500::sigv4::{presign_query, AWS_REGION, IOT_SERVICE};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn unused_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[actix::test]
async fn websocket_transport_connects_subscribes_in_batches_publishes_and_receives() {
    let broker = Mosquitto::start();
    let mut sink = Events::start();
    let conn = Connection::new(
        settings(&broker.ws_url(), "nwp-test-ws"),
        sink.events_recipient(),
        sink.incoming_recipient(),
    )
    .unwrap()
    .start_supervised();

    let connected = conn
        .send(Connect {
            generation: 1,
            credentials: None,
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        connected,
        Connected {
            generation: 1,
            session_present: false
        }
    );
    assert!(sink
        .wait_for(Duration::from_secs(1), |e| matches!(
            e,
            ConnectionEvent::Connected { generation: 1, .. }
        ))
        .await
        .is_some());

    // Ten filters: two SUBSCRIBE packets (at most 8 filters each), one outcome per filter.
    let filters: Vec<String> = (0..10).map(|i| format!("nwp/test/{i}")).collect();
    let outcomes = conn
        .send(Subscribe {
            filters: filters.clone(),
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        outcomes
            .iter()
            .map(|o| o.filter.clone())
            .collect::<Vec<_>>(),
        filters
    );
    assert!(outcomes.iter().all(|o| o.result.is_ok()), "{outcomes:?}");
    assert_eq!(broker.log_count("Received SUBSCRIBE from nwp-test-ws"), 2);

    // Restoring until the flush: the publish queues, then goes out with the flush.
    let queued = conn.send(publish("nwp/test/0", "queued")).await.unwrap();
    assert_eq!(queued, Ok(PublishOutcome::Queued { queue_len: 1 }));
    let report = conn.send(FlushQueue).await.unwrap().unwrap();
    assert_eq!((report.sent, report.expired, report.complete), (1, 0, true));

    let live = conn.send(publish("nwp/test/0", "live")).await.unwrap();
    assert_eq!(live, Ok(PublishOutcome::Acknowledged));

    let mut received = Vec::new();
    for _ in 0..2 {
        let msg = tokio::time::timeout(Duration::from_secs(2), sink.incoming.recv())
            .await
            .expect("incoming publish in time")
            .expect("sink alive");
        assert_eq!(msg.generation, 1);
        assert_eq!(msg.topic, "nwp/test/0");
        received.push(msg.payload);
    }
    assert_eq!(received, vec![Bytes::from("queued"), Bytes::from("live")]);

    let outcomes = conn
        .send(Unsubscribe {
            filters: vec!["nwp/test/0".into(), "nwp/test/1".into()],
        })
        .await
        .unwrap()
        .unwrap();
    assert!(outcomes.iter().all(|o| o.result.is_ok()), "{outcomes:?}");
    assert_eq!(broker.log_count("Received UNSUBSCRIBE from nwp-test-ws"), 2);

    let invalid = conn
        .send(Subscribe {
            filters: vec!["bad/#/filter".into()],
        })
        .await
        .unwrap()
        .unwrap();
    assert!(invalid[0].result.is_err());
    assert!(broker.log_count("New client connected") >= 1);
}

#[actix::test]
async fn plain_tcp_transport_publishes_with_acknowledgement() {
    let broker = Mosquitto::start();
    let sink = Events::start();
    let conn = start_connected(settings(&broker.tcp_url(), "nwp-test-tcp"), &sink, 7).await;
    conn.send(FlushQueue).await.unwrap().unwrap();
    let outcome = conn.send(publish("nwp/tcp", "x")).await.unwrap();
    assert_eq!(outcome, Ok(PublishOutcome::Acknowledged));
    let status = conn.send(GetStatus).await.unwrap();
    assert_eq!(status.phase, LinkPhase::Connected);
    assert_eq!(status.generation, Some(7));
    assert_eq!(status.pending_acks, 0);
}

#[actix::test]
async fn refused_connection_is_a_network_error_and_leaves_no_transport() {
    let mut sink = Events::start();
    let url = format!("ws://127.0.0.1:{}/mqtt", unused_port());
    let conn = Connection::new(
        settings(&url, "nwp-test-refused"),
        sink.events_recipient(),
        sink.incoming_recipient(),
    )
    .unwrap()
    .start_supervised();
    let err = conn
        .send(Connect {
            generation: 1,
            credentials: None,
        })
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind(), ConnectErrorKind::Unreachable, "{err:?}");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let status = conn.send(GetStatus).await.unwrap();
    assert_eq!(status.phase, LinkPhase::Idle);
    assert_eq!(status.live_transports, 0);
    // A failed attempt is answered, never reported as an interruption.
    assert!(sink
        .drain()
        .iter()
        .all(|e| !matches!(e, ConnectionEvent::Interrupted { .. })));
}

#[actix::test]
async fn silent_server_hits_the_connect_timeout() {
    // Accepts TCP and then says nothing: the upgrade never completes.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let sink = Events::start();
    let mut s = settings(&format!("ws://127.0.0.1:{port}/mqtt"), "nwp-test-timeout");
    s.connect_timeout = Duration::from_millis(300);
    let conn = Connection::new(s, sink.events_recipient(), sink.incoming_recipient())
        .unwrap()
        .start_supervised();
    let started = tokio::time::Instant::now();
    let err = conn
        .send(Connect {
            generation: 1,
            credentials: None,
        })
        .await
        .unwrap()
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(matches!(err, ConnectError::Timeout { .. }), "{err:?}");
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
    holder.abort();
}

/// 2026-01-02 03:04:05 UTC, the docs/protocol.md §3.2 vector time.
fn vector_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_767_323_045)
}

fn vector_creds() -> AwsCredentials {
    AwsCredentials {
        access_key_id: "ASIAFAKEACCESSKEY0001".into(),
        secret_access_key: "fakeSecretKey/0123456789+abcdefFAKE".into(),
        session_token: Some("FAKE/Session+Token==".into()),
        expires_at: None,
    }
}

#[actix::test]
async fn every_attempt_is_presigned_afresh_for_the_host_as_sent_and_403_is_an_auth_rejection() {
    // A fake gateway: records each upgrade request and refuses it with 403.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, mut requests) = tokio::sync::mpsc::unbounded_channel::<String>();
    let server = tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let _ = tx.send(String::from_utf8_lossy(&buf).into_owned());
            let _ = s
                .write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                .await;
        }
    });

    let clock = ManualClock::new(vector_time());
    let sink = Events::start();
    let mut s = settings(&format!("ws://127.0.0.1:{port}/mqtt"), "nwp-test-sign");
    s.clock = Arc::new(clock.clone());
    let conn = Connection::new(s, sink.events_recipient(), sink.incoming_recipient())
        .unwrap()
        .start_supervised();

    let mut queries = Vec::new();
    for generation in 1..=2u64 {
        let err = conn
            .send(Connect {
                generation,
                credentials: Some(vector_creds()),
            })
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(err, ConnectError::UpgradeRejected { status: 403 });
        assert!(err.is_auth_rejection());

        let request = requests.recv().await.unwrap();
        let request_line = request.lines().next().unwrap().to_owned();
        let host = request
            .lines()
            .find_map(|l| {
                l.strip_prefix("Host: ")
                    .or_else(|| l.strip_prefix("host: "))
            })
            .unwrap()
            .to_owned();
        assert_eq!(host, format!("127.0.0.1:{port}"));
        assert!(request
            .to_ascii_lowercase()
            .contains("sec-websocket-protocol: mqtt"));
        let when = vector_time() + Duration::from_secs(generation - 1);
        let expected = presign_query(
            &host,
            "/mqtt",
            &vector_creds(),
            AWS_REGION,
            IOT_SERVICE,
            when,
        )
        .unwrap();
        assert_eq!(request_line, format!("GET /mqtt?{expected} HTTP/1.1"));
        queries.push(expected);
        clock.advance(Duration::from_secs(1));
    }
    assert_ne!(queries[0], queries[1], "each attempt must be signed afresh");
    server.abort();
}

#[actix::test]
async fn close_is_graceful_and_never_reported_as_an_interruption() {
    let broker = Mosquitto::start();
    let mut sink = Events::start();
    let conn = start_connected(settings(&broker.ws_url(), "nwp-test-close"), &sink, 3).await;
    // A Close for another generation is a no-op.
    conn.send(Close { generation: 2 }).await.unwrap();
    assert_eq!(conn.send(GetStatus).await.unwrap().generation, Some(3));

    conn.send(Close { generation: 3 }).await.unwrap();
    let status = conn.send(GetStatus).await.unwrap();
    assert_eq!(status.phase, LinkPhase::Idle);
    assert_eq!(status.live_transports, 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let events = sink.drain();
    assert!(
        events
            .iter()
            .all(|e| !matches!(e, ConnectionEvent::Interrupted { .. })),
        "{events:?}"
    );
    // mosquitto logs a DISCONNECT as "disconnected." (a dropped socket would be
    // "closed its connection.").
    assert_eq!(broker.log_count("Client nwp-test-close disconnected."), 1);
    // Publishing after close queues.
    let outcome = conn.send(publish("nwp/x", "y")).await.unwrap();
    assert_eq!(outcome, Ok(PublishOutcome::Queued { queue_len: 1 }));
}

#[actix::test]
async fn restart_drops_the_transport_and_keeps_the_queue() {
    let broker = Mosquitto::start();
    let mut sink = Events::start();
    let conn = start_connected(settings(&broker.ws_url(), "nwp-test-restart"), &sink, 1).await;
    for i in 0..3 {
        let outcome = conn
            .send(publish("nwp/restart", &i.to_string()))
            .await
            .unwrap();
        assert_eq!(outcome, Ok(PublishOutcome::Queued { queue_len: i + 1 }));
    }
    conn.send(Restart).await.unwrap();
    let status = conn.send(GetStatus).await.unwrap();
    assert_eq!(status.phase, LinkPhase::Idle);
    assert_eq!(status.queue_len, 3);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(conn.send(GetStatus).await.unwrap().live_transports, 0);

    conn.send(Connect {
        generation: 2,
        credentials: None,
    })
    .await
    .unwrap()
    .unwrap();
    let report = conn.send(FlushQueue).await.unwrap().unwrap();
    assert_eq!((report.sent, report.complete), (3, true));
    let events = sink.drain();
    assert!(events
        .iter()
        .all(|e| !matches!(e, ConnectionEvent::Interrupted { .. })));
    let sent = command_events(&events)
        .into_iter()
        .filter(|c| matches!(c, CommandEvent::Sent { .. }))
        .count();
    assert_eq!(sent, 3);
}

#[actix::test]
async fn broker_side_close_is_reported_as_interrupted_for_that_generation() {
    let broker = Mosquitto::start();
    let mut sink = Events::start();
    let conn = start_connected(settings(&broker.tcp_url(), "nwp-test-kicked"), &sink, 5).await;
    // Another client with the same id makes the broker drop ours.
    let mut options = rumqttc::MqttOptions::new("nwp-test-kicked", "127.0.0.1", broker.tcp_port);
    options.set_keep_alive(Duration::from_secs(30));
    let (_intruder, mut eventloop) = rumqttc::AsyncClient::new(options, 10);
    let intruder = tokio::spawn(async move { while eventloop.poll().await.is_ok() {} });
    let event = sink
        .wait_for(Duration::from_secs(3), |e| {
            matches!(e, ConnectionEvent::Interrupted { .. })
        })
        .await
        .expect("interruption reported");
    assert!(matches!(
        event,
        ConnectionEvent::Interrupted { generation: 5, .. }
    ));
    let status = conn.send(GetStatus).await.unwrap();
    assert_eq!(status.phase, LinkPhase::Idle);
    intruder.abort();
}

#[actix::test]
async fn secure_websocket_against_a_plain_server_fails_cleanly() {
    // Speaks plain HTTP where TLS is expected: the wss:// path (root store, rustls) must
    // end in an ordinary classified error, not a panic.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        }
    });
    let sink = Events::start();
    let conn = Connection::new(
        settings(&format!("wss://127.0.0.1:{port}/mqtt"), "nwp-test-wss"),
        sink.events_recipient(),
        sink.incoming_recipient(),
    )
    .unwrap()
    .start_supervised();
    let err = conn
        .send(Connect {
            generation: 1,
            credentials: Some(vector_creds()),
        })
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, ConnectError::Tls(_)), "{err:?}");
    assert_eq!(err.kind(), ConnectErrorKind::Unreachable);
    let status = conn.send(GetStatus).await.unwrap();
    assert_eq!(status.phase, LinkPhase::Idle);
    server.abort();
}
