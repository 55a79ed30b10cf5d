//! The status publisher for the throughput runs: a separate MQTT client on its own OS thread
//! (its own runtime), publishing QoS 1 status answers as fast as the broker acknowledges them.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, Incoming, MqttOptions, NetworkOptions, QoS};
use tokio::sync::watch;

use crate::error::{BenchError, BenchResult};
use crate::payload::StatusPool;

/// What the publisher did.
#[derive(Debug, Clone, Copy)]
pub struct PublishReport {
    /// Messages acknowledged by the broker.
    pub acknowledged: u64,
    /// From the first publish to the last PUBACK.
    pub elapsed: Duration,
}

impl PublishReport {
    /// Acknowledged publishes per second.
    pub fn rate(&self) -> f64 {
        self.acknowledged as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Starts publishing `count` messages from `pool` on a new thread.
pub fn spawn(
    port: u16,
    pool: Arc<StatusPool>,
    count: usize,
) -> BenchResult<JoinHandle<BenchResult<PublishReport>>> {
    std::thread::Builder::new()
        .name("bench-publisher".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(publish(port, pool, count))
        })
        .map_err(BenchError::Io)
}

async fn publish(port: u16, pool: Arc<StatusPool>, count: usize) -> BenchResult<PublishReport> {
    let mut options = MqttOptions::new("bench-publisher", "127.0.0.1", port);
    options
        .set_keep_alive(Duration::from_secs(60))
        .set_max_packet_size(256 * 1024, 256 * 1024)
        .set_request_channel_capacity(1024)
        .set_inflight(1000);
    let (client, mut eventloop) = AsyncClient::new(options, 1024);
    let mut network = NetworkOptions::new();
    network.set_tcp_nodelay(true);
    eventloop.set_network_options(network);
    let (acked_tx, mut acked_rx) = watch::channel((0u64, false, None::<String>));
    let poller = tokio::spawn(async move {
        let mut acked = 0u64;
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Incoming::ConnAck(_))) => {
                    acked_tx.send_modify(|s| s.1 = true);
                }
                Ok(Event::Incoming(Incoming::PubAck(_))) => {
                    acked += 1;
                    // Publishing the count for every PUBACK would cost more than the ack.
                    if acked % 256 == 0 || acked as usize == count {
                        acked_tx.send_modify(|s| s.0 = acked);
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    acked_tx.send_modify(|s| s.2 = Some(e.to_string()));
                    return;
                }
            }
        }
    });
    let result = async {
        tokio::time::timeout(
            Duration::from_secs(5),
            acked_rx.wait_for(|s| s.1 || s.2.is_some()),
        )
        .await
        .map_err(|_| BenchError::timeout("publisher CONNACK", Duration::from_secs(5)))?
        .map_err(BenchError::client)?;
        let start = Instant::now();
        for i in 0..count {
            let (topic, payload) = pool.message(i);
            client
                .publish_bytes(topic, QoS::AtLeastOnce, false, payload)
                .await
                .map_err(BenchError::client)?;
        }
        let deadline = Duration::from_secs(120);
        let state = tokio::time::timeout(
            deadline,
            acked_rx.wait_for(|s| s.0 as usize >= count || s.2.is_some()),
        )
        .await
        .map_err(|_| BenchError::timeout("publisher PUBACKs", deadline))?
        .map_err(BenchError::client)?
        .clone();
        if let Some(e) = state.2 {
            return Err(BenchError::client(format!("publisher: {e}")));
        }
        Ok(PublishReport {
            acknowledged: state.0,
            elapsed: start.elapsed(),
        })
    }
    .await;
    let _ = client.try_disconnect();
    tokio::time::sleep(Duration::from_millis(20)).await;
    poller.abort();
    result
}
