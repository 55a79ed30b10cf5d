//! An independent MQTT client (plain TCP) that subscribes to a filter and records every
//! publish it receives, to check what actually reached the broker.

#![allow(dead_code)]

use std::time::Duration;

use rumqttc::{AsyncClient, Event, Incoming, MqttOptions, QoS};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};
use tokio::task::JoinHandle;

/// A subscribed observer; its task stops when dropped.
pub struct Observer {
    client: AsyncClient,
    received: UnboundedReceiver<(String, Vec<u8>)>,
    task: JoinHandle<()>,
}

impl Observer {
    /// Connects to `127.0.0.1:port` and subscribes to `filter` (waits for SUBACK).
    pub async fn start(port: u16, client_id: &str, filter: &str) -> Self {
        let mut options = MqttOptions::new(client_id, "127.0.0.1", port);
        options.set_keep_alive(Duration::from_secs(30));
        options.set_max_packet_size(256 * 1024, 256 * 1024);
        let (client, mut eventloop) = AsyncClient::new(options, 100);
        let (tx, rx) = unbounded_channel();
        let (suback_tx, suback_rx) = tokio::sync::oneshot::channel();
        let mut suback_tx = Some(suback_tx);
        client
            .subscribe(filter, QoS::AtLeastOnce)
            .await
            .expect("queue subscribe");
        let task = tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Incoming::SubAck(_))) => {
                        if let Some(t) = suback_tx.take() {
                            let _ = t.send(());
                        }
                    }
                    Ok(Event::Incoming(Incoming::Publish(p))) => {
                        let _ = tx.send((p.topic, p.payload.to_vec()));
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        });
        tokio::time::timeout(Duration::from_secs(5), suback_rx)
            .await
            .expect("observer SUBACK in time")
            .expect("observer task alive");
        Self {
            client,
            received: rx,
            task,
        }
    }

    /// Collects payloads until `count` arrived or `within` passed.
    pub async fn collect(&mut self, count: usize, within: Duration) -> Vec<Vec<u8>> {
        let deadline = tokio::time::Instant::now() + within;
        let mut out = Vec::new();
        while out.len() < count {
            match tokio::time::timeout_at(deadline, self.received.recv()).await {
                Ok(Some((_, payload))) => out.push(payload),
                _ => break,
            }
        }
        out
    }

    /// Waits `quiet` and returns anything else that arrived.
    pub async fn extra(&mut self, quiet: Duration) -> Vec<Vec<u8>> {
        tokio::time::sleep(quiet).await;
        let mut out = Vec::new();
        while let Ok((_, payload)) = self.received.try_recv() {
            out.push(payload);
        }
        out
    }
}

impl Drop for Observer {
    fn drop(&mut self) {
        let _ = self.client.try_disconnect();
        self.task.abort();
    }
}
