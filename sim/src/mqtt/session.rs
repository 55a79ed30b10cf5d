//! One network MQTT session: reads packets from a byte stream, talks to the router, writes back.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{sleep_until, timeout, Instant};

use super::broker::{Broker, Delivery};
use super::codec::{self, Packet, Publish};
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
    let max_filters = broker.settings().max_filters_per_subscribe;
    // MQTT 3.1.1 §3.1.2.10: the server disconnects after 1.5 × keep-alive without a packet.
    let grace =
        (keep_alive_secs > 0).then(|| Duration::from_millis(u64::from(keep_alive_secs) * 1500));
    let mut deadline = grace.map(|g| Instant::now() + g);
    let mut next_packet_id: u16 = 0;
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
                    broker.publish(&p.topic, &p.payload, p.qos);
                    if let (1, Some(id)) = (p.qos, p.packet_id) {
                        codec::encode(&Packet::PubAck(id), &mut out);
                    }
                }
                Packet::Subscribe { packet_id, .. } if hooks.withhold_suback() => {
                    tracing::info!(client_id, packet_id, "broker: SUBSCRIBE withheld");
                    hooks.suback_withheld(packet_id);
                }
                Packet::Subscribe { packet_id, filters } => {
                    let too_many = filters.len() > max_filters;
                    let codes = filters
                        .iter()
                        .map(|(filter, qos)| {
                            if too_many || !topic::is_valid_filter(filter) || *qos > 2 {
                                codec::SUBACK_FAILURE
                            } else {
                                broker.subscribe(session, filter, *qos)
                            }
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
                Packet::PubAck(_) => {}
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
                    let packet_id = if m.qos > 0 {
                        next_packet_id = next_packet_id.checked_add(1).unwrap_or(1);
                        Some(next_packet_id)
                    } else {
                        None
                    };
                    let packet = Packet::Publish(Publish {
                        dup: false,
                        qos: m.qos,
                        retain: false,
                        topic: m.topic.to_string(),
                        packet_id,
                        payload: m.payload.to_vec(),
                    });
                    if write(wr, &codec::to_bytes(&packet)).await.is_err() {
                        return SessionEnd::Io;
                    }
                }
                Some(Delivery::Close) | None => return SessionEnd::TakenOver,
            },
            () = keep_alive_expired => {
                tracing::info!(client_id, "broker: keep-alive expired");
                return SessionEnd::KeepAliveTimeout;
            }
        }
    }
}
