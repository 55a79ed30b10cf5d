//! Probe results belong to their wait: a "reachable" that arrives after the wait it was
//! started in has ended must not replace the attempt scheduled since (it would repeat an
//! attempt number and turn a scheduled deep attempt into a quick one).

mod recovery_support;

use std::time::Duration;

use nwp500::client::Client;
use nwp500::config::ClientConfig;
use nwp500::events::{AttemptKind, Event};
use recovery_support::Recorder;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The fixed key of the library's reachability probe (a real client sends a random one).
const PROBE_KEY: &str = "bndwNTAwLXByb2JlLWtleQ==";

/// An endpoint that answers every connection attempt with 503 at once, and every probe
/// with a healthy 403 only after `probe_delay`: its probe results always come late.
async fn slow_probe_endpoint(probe_delay: Duration) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(answer(socket, probe_delay));
        }
    });
    port
}

async fn answer(mut socket: TcpStream, probe_delay: Duration) {
    let mut request = Vec::new();
    let mut chunk = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&chunk[..n]),
        }
    }
    let is_probe = String::from_utf8_lossy(&request).contains(PROBE_KEY);
    let answer: &[u8] = if is_probe {
        tokio::time::sleep(probe_delay).await;
        b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"
    } else {
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"
    };
    let _ = socket.write_all(answer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_probe_result_never_replaces_the_next_scheduled_attempt() {
    let port = slow_probe_endpoint(Duration::from_millis(150)).await;
    let config = ClientConfig::builder()
        .mqtt_url(format!("ws://127.0.0.1:{port}/mqtt"))
        .devices(["aabbccddeeff"])
        .connect_timeout(Duration::from_secs(2))
        .initial_reconnect_delay(Duration::from_millis(300))
        .max_reconnect_delay(Duration::from_millis(300))
        .reconnect_jitter(0.0)
        .min_connect_interval(Duration::from_millis(50))
        .deep_reconnect_every(3)
        // A probe started 250 ms into a 300 ms wait answers after the wait is over.
        .probe_interval(Duration::from_millis(250))
        .build()
        .unwrap();
    let client = Client::start(config).await.unwrap();
    let rec = Recorder::attach(&client);
    rec.wait_for(0, "connecting", 10, Duration::from_secs(20))
        .await;
    client.disconnect().await.unwrap();

    let events = rec.all();
    let attempts: Vec<(u64, AttemptKind)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Connecting { attempt, kind } => Some((*attempt, *kind)),
            _ => None,
        })
        .collect();
    for (i, (attempt, kind)) in attempts.iter().enumerate() {
        assert_eq!(*attempt, i as u64 + 1, "attempts {attempts:?}");
        if *attempt > 1 {
            let deep = *attempt % 3 == 0;
            assert_eq!(*kind == AttemptKind::Deep, deep, "attempts {attempts:?}");
        }
    }
    recovery_support::assert_attempt_numbers_agree(&events);
}
