//! The bridge's own connection to the local MQTT broker (the one Home Assistant uses):
//! a rumqttc client with the bridge's last will, polled by one task that reconnects
//! with a capped backoff for as long as the bridge runs, and reports what happens as
//! [`BrokerEvent`]s.
//!
//! Publishing never waits: messages go into rumqttc's request queue, and while the
//! broker is away they wait there (up to its capacity, then they are dropped and
//! counted). Nothing is lost that matters: on every connection the bridge publishes
//! all of its retained topics again.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rumqttc::{
    AsyncClient, ConnectReturnCode, Event, EventLoop, LastWill, MqttOptions, Packet, QoS,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

/// The payload of an available bridge or device.
pub const ONLINE: &str = "online";
/// The payload of an unavailable bridge or device (and of the bridge's last will).
pub const OFFLINE: &str = "offline";

/// Keep-alive on the local broker: a dead broker is noticed within about 1.5 × this.
const KEEP_ALIVE: Duration = Duration::from_secs(30);
/// First wait after a failed connection attempt; doubled up to [`MAX_RETRY_DELAY`].
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(500);
/// Longest wait between two connection attempts.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);
/// Requests rumqttc queues while the broker is away (a full set of discovery configs
/// for a few dozen heaters fits).
const REQUEST_CAPACITY: usize = 4096;
/// How long a clean stop waits for the last messages to leave.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(3);

/// Where the local broker is and how to sign in.
#[derive(Clone, PartialEq, Eq)]
pub struct BrokerOptions {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// MQTT client id.
    pub client_id: String,
    /// User name, if the broker wants one.
    pub username: Option<String>,
    /// Password, if the broker wants one.
    pub password: Option<String>,
}

impl std::fmt::Debug for BrokerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerOptions")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// What happened on the local broker connection.
#[derive(Debug)]
pub enum BrokerEvent {
    /// The broker accepted the connection (first time or again): subscribe and
    /// publish everything.
    Connected,
    /// The connection was lost; the task is reconnecting.
    Lost,
    /// A message on a subscribed topic.
    Message {
        /// Its topic.
        topic: String,
        /// Its payload.
        payload: Bytes,
    },
}

/// A handle on the local broker connection.
pub struct Broker {
    client: AsyncClient,
    dropped: Arc<AtomicU64>,
    /// Publishes queued and not yet acknowledged by the broker: a clean stop waits for
    /// them, so the last `offline` states are not cut off by the DISCONNECT.
    unacked: Arc<AtomicI64>,
    task: JoinHandle<()>,
    will_topic: String,
}

impl Broker {
    /// Starts connecting with `will_topic` = `offline` (retained) as the last will;
    /// returns the handle and the events.
    pub fn start(
        options: &BrokerOptions,
        will_topic: &str,
    ) -> (Broker, mpsc::Receiver<BrokerEvent>) {
        let mut mqtt = MqttOptions::new(
            options.client_id.clone(),
            options.host.clone(),
            options.port,
        );
        mqtt.set_keep_alive(KEEP_ALIVE)
            .set_clean_session(true)
            .set_last_will(LastWill::new(will_topic, OFFLINE, QoS::AtLeastOnce, true));
        if let Some(user) = &options.username {
            mqtt.set_credentials(user.clone(), options.password.clone().unwrap_or_default());
        }
        let (client, eventloop) = AsyncClient::new(mqtt, REQUEST_CAPACITY);
        let (tx, rx) = mpsc::channel(1024);
        let target = format!("{}:{}", options.host, options.port);
        let unacked = Arc::new(AtomicI64::new(0));
        let task = tokio::spawn(drive(eventloop, tx, target, unacked.clone()));
        let broker = Broker {
            client,
            dropped: Arc::new(AtomicU64::new(0)),
            unacked,
            task,
            will_topic: will_topic.to_owned(),
        };
        (broker, rx)
    }

    /// Queues a QoS 1 publish.
    pub fn publish(&self, topic: String, payload: impl Into<Vec<u8>>, retain: bool) {
        let queued = self
            .client
            .try_publish(topic, QoS::AtLeastOnce, retain, payload.into());
        if queued.is_ok() {
            self.unacked.fetch_add(1, Ordering::Relaxed);
        }
        if let Err(error) = queued {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            // Logged sparsely: while the broker is away this would repeat per message.
            if dropped.is_power_of_two() {
                warn!(%error, dropped, "local broker queue full: message dropped (all retained topics are published again on reconnection)");
            }
        }
    }

    /// Queues a QoS 1 subscription.
    pub fn subscribe(&self, filter: String) {
        if let Err(error) = self.client.try_subscribe(filter, QoS::AtLeastOnce) {
            warn!(%error, "cannot queue a subscription on the local broker");
        }
    }

    /// Publishes `offline` on the bridge topic (a clean stop sends no last will),
    /// disconnects, and waits a little for both to leave.
    pub async fn close(self) {
        self.publish(self.will_topic.clone(), OFFLINE, true);
        // Everything published so far (the devices' `offline` states, this one) is
        // acknowledged before the DISCONNECT goes out, within the close bound (a publish
        // lost with a broken connection is never acknowledged: the bound ends the wait).
        let deadline = tokio::time::Instant::now() + CLOSE_TIMEOUT;
        while self.unacked.load(Ordering::Relaxed) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if let Err(error) = self.client.try_disconnect() {
            debug!(%error, "disconnect request not queued");
        }
        let mut task = self.task;
        if tokio::time::timeout(CLOSE_TIMEOUT, &mut task)
            .await
            .is_err()
        {
            debug!("local broker connection did not close in time");
            task.abort();
        }
    }
}

/// Polls the event loop for as long as the bridge listens; reconnects after errors.
async fn drive(
    mut eventloop: EventLoop,
    tx: mpsc::Sender<BrokerEvent>,
    target: String,
    unacked: Arc<AtomicI64>,
) {
    let mut delay = FIRST_RETRY_DELAY;
    let mut connected = false;
    let mut failures: u64 = 0;
    loop {
        let event = match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(ack))) if ack.code == ConnectReturnCode::Success => {
                info!(broker = %target, "connected to the local broker");
                connected = true;
                failures = 0;
                delay = FIRST_RETRY_DELAY;
                BrokerEvent::Connected
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => BrokerEvent::Message {
                topic: publish.topic,
                payload: publish.payload,
            },
            Ok(Event::Incoming(Packet::PubAck(_))) => {
                unacked.fetch_sub(1, Ordering::Relaxed);
                continue;
            }
            Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)) => {
                debug!("disconnected from the local broker");
                return;
            }
            Ok(_) => continue,
            Err(error) => {
                failures += 1;
                if connected {
                    warn!(broker = %target, %error, "local broker connection lost; reconnecting");
                } else if failures == 1 {
                    warn!(broker = %target, %error, "cannot connect to the local broker; retrying");
                } else {
                    debug!(broker = %target, %error, failures, "local broker still unreachable");
                }
                let was_connected = std::mem::take(&mut connected);
                if was_connected && tx.send(BrokerEvent::Lost).await.is_err() {
                    return;
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_RETRY_DELAY);
                continue;
            }
        };
        if tx.send(event).await.is_err() {
            return;
        }
    }
}
