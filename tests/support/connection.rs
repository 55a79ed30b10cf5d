//! A Connection actor on its own against a local broker, for the tests that drive it
//! message by message.

use std::time::Duration;

use actix::Addr;
use bytes::Bytes;
use nwp500::connection::{Connect, Connection, ConnectionSettings, Publish};

use super::events::Events;

/// The default settings for `url` with timeouts short enough for tests.
pub fn settings(url: &str, client_id: &str) -> ConnectionSettings {
    let mut s = ConnectionSettings::new(url, client_id).unwrap();
    s.connect_timeout = Duration::from_secs(3);
    s.operation_timeout = Duration::from_secs(3);
    s.close_timeout = Duration::from_millis(500);
    s
}

/// An unlabelled publish.
pub fn publish(topic: &str, payload: &str) -> Publish {
    Publish {
        topic: topic.into(),
        payload: Bytes::from(payload.to_owned()),
        label: None,
    }
}

/// A supervised Connection reporting to `sink`, connected unsigned as `generation`.
pub async fn start_connected(
    settings: ConnectionSettings,
    sink: &Events,
    generation: u64,
) -> Addr<Connection> {
    let conn = Connection::new(settings, sink.events_recipient(), sink.incoming_recipient())
        .unwrap()
        .start_supervised();
    conn.send(Connect {
        generation,
        credentials: None,
    })
    .await
    .unwrap()
    .unwrap();
    conn
}
