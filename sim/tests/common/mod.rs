//! Test helpers written from docs/protocol.md, independently of the simulator's internals: a
//! hand-rolled SigV4 presigner, hand-built MQTT packets, and a raw MQTT link over TCP or
//! WebSocket.

#![allow(dead_code)]

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use nwp500_sim::IssuedAwsCredentials;

// ---- SigV4 presigning (docs/protocol.md §3.2) --------------------------------------------------------

const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// The presigned query string (without `?`) for `GET /mqtt` on `host`.
pub fn presign_query(
    host: &str,
    access_key_id: &str,
    secret: &str,
    session_token: &str,
    at: OffsetDateTime,
) -> String {
    let amz_date = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    );
    let date = &amz_date[..8];
    let scope = format!("{date}/us-east-1/iotdevicegateway/aws4_request");
    let query = format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={}&X-Amz-Date={amz_date}&X-Amz-SignedHeaders=host",
        enc(&format!("{access_key_id}/{scope}"))
    );
    let canonical = format!(
        "GET\n/mqtt\n{query}\nhost:{host}\n\nhost\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let mut key = hmac(format!("AWS4{secret}").as_bytes(), date);
    for part in ["us-east-1", "iotdevicegateway", "aws4_request"] {
        key = hmac(&key, part);
    }
    let signature = hex::encode(hmac(&key, &to_sign));
    format!(
        "{query}&X-Amz-Signature={signature}&X-Amz-Security-Token={}",
        enc(session_token)
    )
}

/// `ws://127.0.0.1:PORT/mqtt?<presigned query>` for the simulator's gateway, signed now.
pub fn presigned_url(ws_url: &str, creds: &IssuedAwsCredentials) -> String {
    presigned_url_at(ws_url, creds, OffsetDateTime::now_utc())
}

/// As [`presigned_url`], signed at `at`.
pub fn presigned_url_at(ws_url: &str, creds: &IssuedAwsCredentials, at: OffsetDateTime) -> String {
    let host = ws_url
        .trim_start_matches("ws://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let query = presign_query(
        &host,
        &creds.access_key_id,
        &creds.secret_access_key,
        &creds.session_token,
        at,
    );
    format!("{ws_url}?{query}")
}

// ---- MQTT packets, built by hand -------------------------------------------------------------

fn remaining_length(mut len: usize, out: &mut Vec<u8>) {
    loop {
        let mut b = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            b |= 0x80;
        }
        out.push(b);
        if len == 0 {
            break;
        }
    }
}

fn packet(first: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    remaining_length(body.len(), &mut out);
    out.extend_from_slice(body);
    out
}

fn string(s: &str) -> Vec<u8> {
    let mut out = (s.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(s.as_bytes());
    out
}

/// CONNECT, MQTT 3.1.1, clean session.
pub fn connect(client_id: &str, keep_alive_secs: u16) -> Vec<u8> {
    let mut body = string("MQTT");
    body.push(4);
    body.push(0b10);
    body.extend_from_slice(&keep_alive_secs.to_be_bytes());
    body.extend_from_slice(&string(client_id));
    packet(0x10, &body)
}

/// SUBSCRIBE with QoS 1 filters.
pub fn subscribe(packet_id: u16, filters: &[&str]) -> Vec<u8> {
    let mut body = packet_id.to_be_bytes().to_vec();
    for f in filters {
        body.extend_from_slice(&string(f));
        body.push(1);
    }
    packet(0x82, &body)
}

/// PUBLISH at QoS 1.
pub fn publish(packet_id: u16, topic: &str, payload: &[u8]) -> Vec<u8> {
    let mut body = string(topic);
    body.extend_from_slice(&packet_id.to_be_bytes());
    body.extend_from_slice(payload);
    packet(0x32, &body)
}

/// PINGREQ.
pub fn pingreq() -> Vec<u8> {
    vec![0xc0, 0]
}

/// DISCONNECT.
pub fn disconnect() -> Vec<u8> {
    vec![0xe0, 0]
}

/// PUBACK.
pub fn puback(packet_id: u16) -> Vec<u8> {
    packet(0x40, &packet_id.to_be_bytes())
}

/// A received packet: first byte and body.
#[derive(Debug, Clone)]
pub struct Received {
    pub first: u8,
    pub body: Vec<u8>,
}

impl Received {
    pub fn kind(&self) -> u8 {
        self.first >> 4
    }

    /// `(topic, payload, packet id)` of a PUBLISH.
    pub fn publish(&self) -> (String, Vec<u8>, Option<u16>) {
        assert_eq!(self.kind(), 3, "not a PUBLISH: {self:?}");
        let len = u16::from_be_bytes([self.body[0], self.body[1]]) as usize;
        let topic = String::from_utf8(self.body[2..2 + len].to_vec()).unwrap();
        let qos = (self.first >> 1) & 3;
        let (pid, rest) = if qos > 0 {
            let p = u16::from_be_bytes([self.body[2 + len], self.body[3 + len]]);
            (Some(p), 4 + len)
        } else {
            (None, 2 + len)
        };
        (topic, self.body[rest..].to_vec(), pid)
    }

    /// The JSON payload of a PUBLISH.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.publish().1).unwrap()
    }
}

/// Takes one complete packet off the front of `buf`.
fn take_packet(buf: &mut Vec<u8>) -> Option<Received> {
    if buf.len() < 2 {
        return None;
    }
    let mut len = 0usize;
    let mut i = 1;
    loop {
        let b = *buf.get(i)?;
        len |= ((b & 0x7f) as usize) << (7 * (i - 1));
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
    }
    if buf.len() < i + len {
        return None;
    }
    let first = buf[0];
    let body = buf[i..i + len].to_vec();
    buf.drain(..i + len);
    Some(Received { first, body })
}

// ---- raw links ---------------------------------------------------------------------------------

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A raw MQTT connection over TCP or WebSocket.
pub struct RawLink {
    transport: Transport,
    buf: Vec<u8>,
}

enum Transport {
    Tcp(TcpStream),
    Ws(Box<Ws>),
}

impl RawLink {
    /// Opens a TCP connection to `mqtt://127.0.0.1:PORT`.
    pub async fn tcp(mqtt_url: &str) -> RawLink {
        Self::try_tcp(mqtt_url).await.unwrap()
    }

    /// As [`RawLink::tcp`], returning the error (a reset can already surface from `connect`).
    pub async fn try_tcp(mqtt_url: &str) -> std::io::Result<RawLink> {
        let addr = mqtt_url.trim_start_matches("mqtt://");
        let stream = TcpStream::connect(addr).await?;
        Ok(RawLink {
            transport: Transport::Tcp(stream),
            buf: Vec::new(),
        })
    }

    /// Whether a new TCP connection is reset at once (failing `connect`, or closed right after).
    pub async fn tcp_is_refused(mqtt_url: &str) -> bool {
        match Self::try_tcp(mqtt_url).await {
            Err(_) => true,
            Ok(mut link) => {
                link.send(&connect("probe", 60)).await;
                link.closed_within(Duration::from_millis(300)).await
            }
        }
    }

    /// Performs the WebSocket upgrade (offering `mqtt`); `Err(status)` if it was refused.
    pub async fn ws(url: &str) -> Result<RawLink, u16> {
        let mut request = url.into_client_request().unwrap();
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", "mqtt".parse().unwrap());
        match tokio_tungstenite::connect_async(request).await {
            Ok((ws, response)) => {
                assert_eq!(
                    response
                        .headers()
                        .get("Sec-WebSocket-Protocol")
                        .map(|v| v.to_str().unwrap()),
                    Some("mqtt")
                );
                Ok(RawLink {
                    transport: Transport::Ws(Box::new(ws)),
                    buf: Vec::new(),
                })
            }
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                Err(response.status().as_u16())
            }
            Err(e) => panic!("upgrade failed without an HTTP answer: {e}"),
        }
    }

    /// Sends bytes; a failure (the peer reset the link) is ignored, the next read shows it.
    pub async fn send(&mut self, bytes: &[u8]) {
        let _ = match &mut self.transport {
            Transport::Tcp(s) => s.write_all(bytes).await.map_err(|_| ()),
            Transport::Ws(ws) => ws
                .send(Message::Binary(bytes.to_vec().into()))
                .await
                .map_err(|_| ()),
        };
    }

    /// The next packet, or `None` on timeout or when the link closed.
    pub async fn recv(&mut self, timeout: Duration) -> Option<Received> {
        tokio::time::timeout(timeout, async {
            loop {
                if let Some(p) = take_packet(&mut self.buf) {
                    return Some(p);
                }
                match &mut self.transport {
                    Transport::Tcp(s) => {
                        let mut chunk = [0u8; 8192];
                        match s.read(&mut chunk).await {
                            Ok(0) | Err(_) => return None,
                            Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    Transport::Ws(ws) => match ws.next().await {
                        Some(Ok(Message::Binary(b))) => self.buf.extend_from_slice(&b),
                        Some(Ok(Message::Ping(_))) | Some(Ok(Message::Pong(_))) => {}
                        _ => return None,
                    },
                }
            }
        })
        .await
        .ok()
        .flatten()
    }

    /// Whether the peer closed the link within `timeout` (EOF, reset or close frame).
    pub async fn closed_within(&mut self, timeout: Duration) -> bool {
        let result = tokio::time::timeout(timeout, async {
            loop {
                match &mut self.transport {
                    Transport::Tcp(s) => {
                        let mut chunk = [0u8; 1024];
                        match s.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {}
                        }
                    }
                    Transport::Ws(ws) => match ws.next().await {
                        None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                        Some(Ok(_)) => {}
                    },
                }
            }
        })
        .await;
        result.is_ok()
    }

    /// CONNECT and expect CONNACK 0.
    pub async fn connect(&mut self, client_id: &str) {
        self.send(&connect(client_id, 60)).await;
        let ack = self.recv(Duration::from_secs(2)).await.expect("CONNACK");
        assert_eq!(ack.kind(), 2, "{ack:?}");
        assert_eq!(ack.body, vec![0, 0], "connection accepted");
    }

    /// SUBSCRIBE one QoS 1 filter and expect it granted.
    pub async fn subscribe(&mut self, packet_id: u16, filter: &str) {
        self.send(&subscribe(packet_id, &[filter])).await;
        let ack = self.recv(Duration::from_secs(2)).await.expect("SUBACK");
        assert_eq!(ack.kind(), 9, "{ack:?}");
        assert_eq!(ack.body, vec![(packet_id >> 8) as u8, packet_id as u8, 1]);
    }

    /// Waits for the next PUBLISH whose topic is `topic`, acknowledging QoS 1 ones; skips others.
    pub async fn next_publish_on(&mut self, topic: &str, timeout: Duration) -> Option<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let p = self.recv(left).await?;
            if p.kind() != 3 {
                continue;
            }
            let (t, _, pid) = p.publish();
            if let Some(pid) = pid {
                self.send(&puback(pid)).await;
            }
            if t == topic {
                return Some(p);
            }
        }
    }
}

// ---- protocol envelopes (docs/protocol.md §5) -------------------------------------------------------

pub const CLIENT_ID: &str = "navien-client-0a1b2c3d";
pub const SESSION_ID: &str = "00112233445566778899aabbccddeeff";
pub const MAC: &str = "aabbccddeeff";

/// A command envelope for the golden device.
pub fn envelope(
    client_id: &str,
    suffix: &str,
    response_topic: &str,
    request: serde_json::Value,
) -> Vec<u8> {
    let topic = format!("cmd/52/navilink-{MAC}/{suffix}");
    let mut req = serde_json::json!({
        "deviceType": 52, "macAddress": MAC, "additionalValue": "1234",
    });
    for (k, v) in request.as_object().unwrap() {
        req[k] = v.clone();
    }
    serde_json::to_vec(&serde_json::json!({
        "clientID": client_id,
        "sessionID": SESSION_ID,
        "protocolVersion": 2,
        "request": req,
        "requestTopic": topic,
        "responseTopic": response_topic,
    }))
    .unwrap()
}

/// The default response topic of `client_id`.
pub fn default_response_topic(client_id: &str) -> String {
    format!("cmd/52/navilink-{MAC}/{client_id}/res")
}

/// Topic for a command suffix on the golden device.
pub fn topic(suffix: &str) -> String {
    format!("cmd/52/navilink-{MAC}/{suffix}")
}
