//! Forced transport replacements: the old transport is always gone before the next one
//! opens, so there are never two live connections for our client id.
//!
//! 200 replacements run over mosquitto's plain TCP listener; its WebSocket listener needs
//! about 200 ms per handshake, so the WebSocket variant runs a shorter series.

#[path = "support/events.rs"]
mod events;
#[path = "support/mosquitto.rs"]
mod mosquitto;

use std::time::Duration;

use events::Events;
use mosquitto::Mosquitto;
use nwp500::connection::{
    Close, Connect, Connection, ConnectionEvent, ConnectionSettings, GetStatus, LinkPhase,
};

#[actix::test]
async fn two_hundred_forced_replacements_never_overlap() {
    let broker = Mosquitto::start();
    let url = broker.tcp_url();
    replace_many(&broker, &url, "nwp-test-replace-tcp", 200).await;
}

#[actix::test]
async fn forced_replacements_over_websocket_never_overlap() {
    let broker = Mosquitto::start();
    let url = broker.ws_url();
    replace_many(&broker, &url, "nwp-test-replace-ws", 12).await;
}

async fn replace_many(broker: &Mosquitto, url: &str, client_id: &str, count: u64) {
    let mut sink = Events::start();
    let mut settings = ConnectionSettings::new(url, client_id).unwrap();
    settings.connect_timeout = Duration::from_secs(3);
    settings.close_timeout = Duration::from_millis(500);
    let conn = Connection::new(settings, sink.events_recipient(), sink.incoming_recipient())
        .unwrap()
        .start_supervised();

    for generation in 1..=count {
        // Mostly a bare Connect over a live transport (forced replacement); every tenth
        // generation is closed first, as the supervisor does.
        if generation % 10 == 0 {
            conn.send(Close {
                generation: generation - 1,
            })
            .await
            .unwrap();
        }
        let connected = conn
            .send(Connect {
                generation,
                credentials: None,
            })
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("generation {generation}: {e}"));
        assert_eq!(connected.generation, generation);
    }

    let status = conn.send(GetStatus).await.unwrap();
    assert_eq!(status.generation, Some(count));
    assert_eq!(status.phase, LinkPhase::Restoring);
    assert_eq!(status.transports_opened, count);
    assert_eq!(
        status.max_live_transports, 1,
        "two transports were open at once"
    );
    assert_eq!(status.live_transports, 1);

    tokio::time::sleep(Duration::from_millis(200)).await;
    // The broker agrees: `count` connections for our id, and it never had to kick an
    // older one because a newer one arrived while it was still open.
    assert_eq!(
        broker.log_count(&format!("as {client_id} ")) as u64,
        count,
        "{}",
        broker.log()
    );
    assert_eq!(
        broker.log_count("already connected, closing old connection"),
        0
    );

    // Replacements are intentional: no interruption was ever reported, and every
    // generation reported Connected exactly once.
    let events = sink.drain();
    assert!(events
        .iter()
        .all(|e| !matches!(e, ConnectionEvent::Interrupted { .. })));
    let connected: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            ConnectionEvent::Connected { generation, .. } => Some(*generation),
            _ => None,
        })
        .collect();
    assert_eq!(connected, (1..=count).collect::<Vec<_>>());
}
