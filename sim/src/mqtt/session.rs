//! One network MQTT session: reads packets from a byte stream, talks to the router, writes back.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{sleep_until, timeout, Instant};

use super::broker::{Broker, Delivery};
use super::codec::{self, Packet, Publish};
use super::limits::{Outbox, PublishWindow};
use super::topic;

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SessionEnd {
    /// The client sent DISCONNECT or closed its side.
    ClientClosed,
    /// A newer session with the same client id took over.
    TakenOver,
    /// No packet within 1.5 × keep-alive.
    KeepAliveTimeout,
    /// The first packet was missing, not a CONNECT, or refused.
    ConnectRefused,
    /// Malformed or unsupported packet.
    ProtocolError,
    /// A SUBSCRIBE carried more filters than
    /// [`AwsQuotas::max_filters_per_subscribe`](crate::AwsQuotas::max_filters_per_subscribe).
    TooManyFilters,
    /// The transport failed.
    Io,
}

/// What a network session asks of whoever opened it (the gateway applies its faults here, so
/// the broker itself stays free of them).
pub(crate) trait SessionHooks {
    /// Whether a SUBSCRIBE arriving now is to be ignored: neither applied nor acknowledged.
    fn withhold_suback(&self) -> bool;
    /// A SUBSCRIBE was ignored.
    fn suback_withheld(&self, packet_id: u16);
    /// A filter was refused because the connection holds its most subscriptions.
    fn subscription_refused(&self);
    /// An inbound PUBLISH was dropped by the publish-rate quota.
    fn publish_throttled(&self);
    /// A delivery had to wait for the in-flight window.
    fn delivery_held(&self);
}

/// Serves one MQTT 3.1.1 session over `stream` until it ends.
pub(crate) async fn serve<S, H>(broker: Broker, stream: S, hooks: H) -> SessionEnd
where
    S: AsyncRead + AsyncWrite + Unpin,
    H: SessionHooks,
{
    let (mut rd, mut wr) = tokio::io::split(stream);
    let settings = broker.settings().clone();
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = vec![0u8; 8192];

    // The first packet must be CONNECT.
    let first = timeout(settings.connect_timeout, async {
        loop {
            match codec::decode(&buf, settings.max_packet_size) {
                Ok(Some((packet, used))) => {
                    buf.drain(..used);
                    return Some(packet);
                }
                Ok(None) => {}
                Err(_) => return None,
            }
            match rd.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    let connect = match first {
        Ok(Some(Packet::Connect(c))) => c,
        _ => return SessionEnd::ConnectRefused,
    };
    if connect.protocol_name != "MQTT" || connect.protocol_level != 4 {
        let _ = write(&mut wr, &connack(codec::CONNACK_BAD_PROTOCOL)).await;
        return SessionEnd::ConnectRefused;
    }
    if connect.client_id.is_empty() {
        // AWS IoT requires a client id; it never assigns one.
        let _ = write(&mut wr, &connack(codec::CONNACK_ID_REJECTED)).await;
        return SessionEnd::ConnectRefused;
    }

    let (session, mut rx) = broker.register(&connect.client_id);
    let end = run(
        &broker,
        session,
        &connect.client_id,
        connect.keep_alive_secs,
        &mut rd,
        &mut wr,
        &mut rx,
        buf,
        &hooks,
    )
    .await;
    broker.unregister(session);
    let _ = wr.shutdown().await;
    tracing::debug!(client_id = %connect.client_id, end = ?end, "broker: session ended");
    end
}

fn connack(code: u8) -> Vec<u8> {
    codec::to_bytes(&Packet::ConnAck {
        session_present: false,
        code,
    })
}

async fn write<W: AsyncWrite + Unpin>(wr: &mut W, bytes: &[u8]) -> std::io::Result<()> {
    wr.write_all(bytes).await?;
    wr.flush().await
}

#[allow(clippy::too_many_arguments)]
async fn run<R, W, H>(
    broker: &Broker,
    session: u64,
    client_id: &str,
    keep_alive_secs: u16,
    rd: &mut R,
    wr: &mut W,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Delivery>,
    mut buf: Vec<u8>,
    hooks: &H,
) -> SessionEnd
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
    H: SessionHooks,
{
    let max_packet = broker.settings().max_packet_size;
    // Read at every use, so a change at runtime applies to this open session too.
    let mut quotas = broker.watch_quotas();
    let mut quotas_open = true;
    let mut inbound = PublishWindow::default();
    let mut outbox = Outbox::default();
    // MQTT 3.1.1 §3.1.2.10: the server disconnects after 1.5 × keep-alive without a packet.
    let grace =
        (keep_alive_secs > 0).then(|| Duration::from_millis(u64::from(keep_alive_secs) * 1500));
    let mut deadline = grace.map(|g| Instant::now() + g);
    let mut chunk = vec![0u8; 8192];

    if write(wr, &connack(codec::CONNACK_ACCEPTED)).await.is_err() {
        return SessionEnd::Io;
    }
    tracing::debug!(client_id, "broker: session accepted");

    loop {
        // Handle every complete packet already buffered.
        loop {
            let packet = match codec::decode(&buf, max_packet) {
                Ok(Some((packet, used))) => {
                    buf.drain(..used);
                    packet
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::info!(client_id, error = %e, "broker: closing session on bad packet");
                    return SessionEnd::ProtocolError;
                }
            };
            if let Some(g) = grace {
                deadline = Some(Instant::now() + g);
            }
            let mut out = Vec::new();
            match packet {
                Packet::Publish(p) => {
                    if !topic::is_valid_topic(&p.topic) {
                        return SessionEnd::ProtocolError;
                    }
                    let max_rate = quotas.borrow().max_inbound_publishes_per_second;
                    if inbound.admit(Instant::now(), max_rate) {
                        broker.publish(&p.topic, &p.payload, p.qos);
                        if let (1, Some(id)) = (p.qos, p.packet_id) {
                            codec::encode(&Packet::PubAck(id), &mut out);
                        }
                    } else {
                        // AWS drops a throttled publish and keeps the connection; at QoS 1 the
                        // client sees it unacknowledged.
                        tracing::info!(client_id, topic = %p.topic, "broker: publish throttled");
                        hooks.publish_throttled();
                    }
                }
                Packet::Subscribe { packet_id, .. } if hooks.withhold_suback() => {
                    tracing::info!(client_id, packet_id, "broker: SUBSCRIBE withheld");
                    hooks.suback_withheld(packet_id);
                }
                Packet::Subscribe { packet_id, filters } => {
                    let limits = *quotas.borrow();
                    if limits
                        .max_filters_per_subscribe
                        .is_some_and(|max| filters.len() > max)
                    {
                        tracing::info!(
                            client_id,
                            packet_id,
                            filters = filters.len(),
                            "broker: closing session on a SUBSCRIBE with too many filters"
                        );
                        return SessionEnd::TooManyFilters;
                    }
                    let max_subscriptions = limits.max_subscriptions_per_connection;
                    let codes = filters
                        .iter()
                        .map(|(filter, qos)| {
                            if !topic::is_valid_filter(filter) || *qos > 2 {
                                return codec::SUBACK_FAILURE;
                            }
                            broker
                                .subscribe_within(session, filter, *qos, max_subscriptions)
                                .unwrap_or_else(|| {
                                    tracing::info!(
                                        client_id,
                                        filter,
                                        "broker: subscription refused, connection at its quota"
                                    );
                                    hooks.subscription_refused();
                                    codec::SUBACK_FAILURE
                                })
                        })
                        .collect();
                    codec::encode(&Packet::SubAck { packet_id, codes }, &mut out);
                }
                Packet::Unsubscribe { packet_id, filters } => {
                    for filter in &filters {
                        broker.unsubscribe(session, filter);
                    }
                    codec::encode(&Packet::UnsubAck(packet_id), &mut out);
                }
                Packet::PubAck(id) => outbox.acknowledged(id),
                Packet::PingReq => codec::encode(&Packet::PingResp, &mut out),
                Packet::Disconnect => return SessionEnd::ClientClosed,
                Packet::Connect(_)
                | Packet::ConnAck { .. }
                | Packet::SubAck { .. }
                | Packet::UnsubAck(_)
                | Packet::PingResp => return SessionEnd::ProtocolError,
            }
            if !out.is_empty() && write(wr, &out).await.is_err() {
                return SessionEnd::Io;
            }
        }
        // Acknowledgements (or a quota change) may have opened the in-flight window.
        let max_in_flight = quotas.borrow().max_inflight_outbound;
        if send_ready(wr, &mut outbox, max_in_flight).await.is_err() {
            return SessionEnd::Io;
        }

        let keep_alive_expired = async {
            match deadline {
                Some(d) => sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            read = rd.read(&mut chunk) => match read {
                Ok(0) | Err(_) => return SessionEnd::ClientClosed,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            },
            delivery = rx.recv() => match delivery {
                Some(Delivery::Message(m)) => {
                    outbox.push(m);
                    let max = quotas.borrow().max_inflight_outbound;
                    if send_ready(wr, &mut outbox, max).await.is_err() {
                        return SessionEnd::Io;
                    }
                    if outbox.waiting() > 0 {
                        // The queue is in order, so the message just added is among those held.
                        hooks.delivery_held();
                    }
                }
                Some(Delivery::Close) | None => return SessionEnd::TakenOver,
            },
            changed = quotas.changed(), if quotas_open => {
                // The simulator going away ends the watch; the session carries on without it.
                quotas_open = changed.is_ok();
            }
            () = keep_alive_expired => {
                tracing::info!(client_id, "broker: keep-alive expired");
                return SessionEnd::KeepAliveTimeout;
            }
        }
    }
}

/// Writes every queued delivery the in-flight window allows, in one write.
async fn send_ready<W: AsyncWrite + Unpin>(
    wr: &mut W,
    outbox: &mut Outbox,
    max_in_flight: Option<usize>,
) -> std::io::Result<()> {
    let mut out = Vec::new();
    while let Some((m, packet_id)) = outbox.next(max_in_flight) {
        codec::encode(
            &Packet::Publish(Publish {
                dup: false,
                qos: m.qos,
                retain: false,
                topic: m.topic.to_string(),
                packet_id,
                payload: m.payload.to_vec(),
            }),
            &mut out,
        );
    }
    if out.is_empty() {
        return Ok(());
    }
    write(wr, &out).await
}
