//! The baseline: a bare rumqttc client with the same MQTT options as nwp500's transport (clean
//! session, keep-alive 60 s, 256 KiB packets, 100 in flight), no actors, no decoding.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rumqttc::{
    AsyncClient, Event, EventLoop, Incoming, MqttOptions, NetworkOptions, QoS, SubscribeReasonCode,
};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;

use crate::arrivals::Arrivals;
use crate::error::{within, BenchError, BenchResult};

/// What the poll task reports (publishes are only counted, never forwarded).
enum BareEvent {
    ConnAck(Instant),
    SubAck { all_granted: bool },
    Failed(String),
}

/// A connected bare client whose poll task counts incoming publishes.
pub struct BareClient {
    client: AsyncClient,
    events: UnboundedReceiver<BareEvent>,
    task: JoinHandle<()>,
    /// When CONNACK arrived.
    pub connack_at: Instant,
}

/// MQTT options equal to those of nwp500's transport.
pub fn options(client_id: &str, port: u16) -> MqttOptions {
    let mut o = MqttOptions::new(client_id, "127.0.0.1", port);
    o.set_keep_alive(Duration::from_secs(60))
        .set_clean_session(true)
        .set_max_packet_size(256 * 1024, 256 * 1024)
        .set_request_channel_capacity(1024)
        .set_inflight(100);
    o
}

fn tune(eventloop: &mut EventLoop) {
    let mut network = NetworkOptions::new();
    network.set_tcp_nodelay(true);
    eventloop.set_network_options(network);
}

async fn poll(mut eventloop: EventLoop, tx: UnboundedSender<BareEvent>, arrivals: Arc<Arrivals>) {
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Incoming::Publish(_))) => arrivals.record(),
            Ok(Event::Incoming(Incoming::ConnAck(_))) => {
                let _ = tx.send(BareEvent::ConnAck(Instant::now()));
            }
            Ok(Event::Incoming(Incoming::SubAck(ack))) => {
                let all_granted = ack
                    .return_codes
                    .iter()
                    .all(|c| matches!(c, SubscribeReasonCode::Success(_)));
                let _ = tx.send(BareEvent::SubAck { all_granted });
            }
            Ok(_) => {}
            Err(e) => {
                let _ = tx.send(BareEvent::Failed(e.to_string()));
                return;
            }
        }
    }
}

impl BareClient {
    /// Connects (waits for CONNACK); incoming publishes are recorded in `arrivals`.
    pub async fn connect(client_id: &str, port: u16, arrivals: Arc<Arrivals>) -> BenchResult<Self> {
        let (client, mut eventloop) = AsyncClient::new(options(client_id, port), 1024);
        tune(&mut eventloop);
        let (tx, mut events) = unbounded_channel();
        let task = tokio::spawn(poll(eventloop, tx, arrivals));
        let connack_at = match within(Duration::from_secs(5), "bare CONNACK", events.recv()).await?
        {
            Some(BareEvent::ConnAck(at)) => at,
            Some(BareEvent::Failed(e)) => {
                return Err(BenchError::client(format!("bare connect: {e}")))
            }
            Some(BareEvent::SubAck { .. }) | None => {
                return Err(BenchError::client("bare connect: no CONNACK"))
            }
        };
        Ok(Self {
            client,
            events,
            task,
            connack_at,
        })
    }

    /// Subscribes to each filter in turn, waiting for its SUBACK before sending the next one
    /// (the reference client's way). Returns when the last SUBACK arrived.
    pub async fn subscribe_sequentially(&mut self, filters: &[String]) -> BenchResult<Instant> {
        let mut last = Instant::now();
        for filter in filters {
            self.client
                .subscribe(filter.as_str(), QoS::AtLeastOnce)
                .await
                .map_err(BenchError::client)?;
            last = self.next_suback().await?;
        }
        Ok(last)
    }

    /// Subscribes to every filter, 8 per SUBSCRIBE, all packets at once; waits for all SUBACKs.
    pub async fn subscribe_batched(&mut self, filters: &[String]) -> BenchResult<Instant> {
        let mut packets = 0;
        for chunk in filters.chunks(8) {
            self.client
                .subscribe_many(
                    chunk
                        .iter()
                        .map(|f| rumqttc::SubscribeFilter::new(f.clone(), QoS::AtLeastOnce)),
                )
                .await
                .map_err(BenchError::client)?;
            packets += 1;
        }
        let mut last = Instant::now();
        for _ in 0..packets {
            last = self.next_suback().await?;
        }
        Ok(last)
    }

    async fn next_suback(&mut self) -> BenchResult<Instant> {
        match within(Duration::from_secs(10), "bare SUBACK", self.events.recv()).await? {
            Some(BareEvent::SubAck { all_granted: true }) => Ok(Instant::now()),
            Some(BareEvent::SubAck { all_granted: false }) => {
                Err(BenchError::client("bare subscribe: a filter was refused"))
            }
            Some(BareEvent::Failed(e)) => Err(BenchError::client(format!("bare client: {e}"))),
            Some(BareEvent::ConnAck(_)) | None => {
                Err(BenchError::client("bare subscribe: no SUBACK"))
            }
        }
    }

    /// Sends DISCONNECT and stops the poll task.
    pub async fn close(self) {
        let _ = self.client.try_disconnect();
        tokio::time::sleep(Duration::from_millis(10)).await;
        self.task.abort();
    }
}
