//! The cheap reachability probe: it tells when an outage is over, so the next attempt
//! need not wait out a long backoff. No MQTT and no credentials: for `ws://` and `wss://`
//! endpoints an unsigned WebSocket upgrade request, which a healthy endpoint answers with
//! an HTTP status below 500 (AWS IoT and the simulator: 403); for the REST API
//! (`http://`, `https://`) a plain `GET` of its base path, answered the same way; for
//! plain TCP a connection that opens and stays open.
//!
//! Why speak at all: a front end that accepts TCP and then hangs (an overloaded or
//! black-holed gateway) looks like a healthy server to a bare TCP connect, one that
//! accepts and resets looks alive for an instant, and one that answers 502/503/504 is up
//! but cannot serve a connection yet. Only a healthy answer proves the endpoint can serve
//! a connection again.

use std::time::Duration;

use rumqttc::tokio_rustls::rustls::pki_types::ServerName;
use rumqttc::tokio_rustls::TlsConnector;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

use crate::endpoint::{host_address, MqttEndpoint, MqttTransport};

/// How the probe talks to the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeProtocol {
    /// Plain TCP (`mqtt://`): the connection must open and stay open briefly.
    Tcp,
    /// `ws://`: an unsigned WebSocket upgrade request must get an HTTP answer.
    WebSocket,
    /// `wss://`: a TLS handshake, then as [`ProbeProtocol::WebSocket`].
    SecureWebSocket,
    /// `http://` (the REST API): a `GET` of the base path must get an HTTP answer below 500.
    Http,
    /// `https://`: a TLS handshake, then as [`ProbeProtocol::Http`].
    Https,
}

/// Where and how a probe checks the endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeTarget {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// What the probe says.
    pub protocol: ProbeProtocol,
    /// Request path of the upgrade request (WebSocket protocols).
    pub path: String,
}

impl ProbeTarget {
    /// The probe target of the MQTT endpoint: its host and port, and the protocol its
    /// transport speaks (an upgrade request to its path on WebSocket transports).
    pub fn mqtt(endpoint: &MqttEndpoint) -> Self {
        let protocol = match endpoint.transport() {
            MqttTransport::SecureWebSocket => ProbeProtocol::SecureWebSocket,
            MqttTransport::WebSocket => ProbeProtocol::WebSocket,
            MqttTransport::Tcp => ProbeProtocol::Tcp,
        };
        Self {
            host: endpoint.host(),
            port: endpoint.port(),
            protocol,
            path: endpoint.path().to_owned(),
        }
    }

    /// The probe target of the REST API's base URL, an `http://` or `https://` URL with a
    /// host (as the configuration validated it).
    pub fn api(url: &Url) -> Self {
        let tls = url.scheme() == "https";
        Self {
            host: host_address(url),
            port: url
                .port_or_known_default()
                .unwrap_or(if tls { 443 } else { 80 }),
            protocol: if tls {
                ProbeProtocol::Https
            } else {
                ProbeProtocol::Http
            },
            path: url.path().to_owned(),
        }
    }
}

/// How long a freshly opened plain TCP probe connection must stay open to count: a server
/// that is up waits for the client to speak, while a refusing front end accepts and resets
/// at once.
const SETTLE: Duration = Duration::from_millis(250);

/// Bytes read while looking for the HTTP status line.
const ANSWER_PREFIX: &[u8] = b"HTTP/";

/// Whether `target` answers as a live endpoint within `timeout` (see the module
/// documentation for what counts).
pub async fn is_reachable(target: &ProbeTarget, timeout: Duration) -> bool {
    tokio::time::timeout(timeout, probe(target))
        .await
        .unwrap_or(false)
}

async fn probe(target: &ProbeTarget) -> bool {
    let Ok(stream) = TcpStream::connect((target.host.as_str(), target.port)).await else {
        return false;
    };
    match target.protocol {
        ProbeProtocol::Tcp => stays_open(stream).await,
        ProbeProtocol::WebSocket | ProbeProtocol::Http => answers_healthy(stream, target).await,
        ProbeProtocol::SecureWebSocket | ProbeProtocol::Https => {
            let Ok(name) = ServerName::try_from(target.host.clone()) else {
                return false;
            };
            let connector = TlsConnector::from(crate::connection::shared_tls_config().await);
            match connector.connect(name, stream).await {
                Ok(tls) => answers_healthy(tls, target).await,
                Err(_) => false,
            }
        }
    }
}

async fn stays_open(mut stream: TcpStream) -> bool {
    let mut byte = [0u8; 1];
    match tokio::time::timeout(SETTLE, stream.read(&mut byte)).await {
        // Still open and silent, as a healthy server is before the client speaks.
        Err(_) => true,
        // The peer spoke first: alive.
        Ok(Ok(n)) if n > 0 => true,
        // Closed or reset at once: refusing.
        Ok(_) => false,
    }
}

/// The request a probe sends: an unsigned WebSocket upgrade for MQTT endpoints, a plain
/// `GET` for the REST API.
fn request(target: &ProbeTarget) -> String {
    let path = if target.path.is_empty() {
        "/"
    } else {
        &target.path
    };
    let host = if target.host.contains(':') {
        format!("[{}]", target.host)
    } else {
        target.host.clone()
    };
    let port = target.port;
    match target.protocol {
        ProbeProtocol::Http | ProbeProtocol::Https => format!(
            "GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: */*\r\nConnection: close\r\n\r\n"
        ),
        _ => format!(
            "GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: bndwNTAwLXByb2JlLWtleQ==\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Protocol: mqtt\r\n\r\n"
        ),
    }
}

/// Sends the probe's request; healthy when the answer starts with an HTTP status line
/// whose status is below 500 (a 403 is a live endpoint refusing an unsigned URL; a
/// 502/503/504 is a front end whose back end cannot serve yet).
async fn answers_healthy<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    target: &ProbeTarget,
) -> bool {
    if stream.write_all(request(target).as_bytes()).await.is_err() {
        return false;
    }
    let mut answer = Vec::with_capacity(STATUS_LINE_PREFIX);
    let mut chunk = [0u8; 64];
    while answer.len() < STATUS_LINE_PREFIX {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
        }
    }
    http_status(&answer).is_some_and(|status| (100..500).contains(&status))
}

/// Bytes needed to read `HTTP/1.1 503`.
const STATUS_LINE_PREFIX: usize = 12;

/// The status code of an HTTP status line (`HTTP/1.x NNN …`).
fn http_status(answer: &[u8]) -> Option<u16> {
    let rest = answer.strip_prefix(ANSWER_PREFIX)?;
    let space = rest.iter().position(|b| *b == b' ')?;
    let code = rest.get(space + 1..space + 4)?;
    std::str::from_utf8(code).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    #[test]
    fn mqtt_targets_follow_the_endpoint() {
        let t = |u: &str| {
            let t = ProbeTarget::mqtt(&MqttEndpoint::parse(u).unwrap());
            (t.host, t.port, t.protocol, t.path)
        };
        assert_eq!(
            t("wss://a1t30mldyslmuq-ats.iot.us-east-1.amazonaws.com/mqtt"),
            (
                "a1t30mldyslmuq-ats.iot.us-east-1.amazonaws.com".to_owned(),
                443,
                ProbeProtocol::SecureWebSocket,
                "/mqtt".to_owned()
            )
        );
        assert_eq!(
            t("ws://127.0.0.1:9001/mqtt"),
            (
                "127.0.0.1".to_owned(),
                9001,
                ProbeProtocol::WebSocket,
                "/mqtt".to_owned()
            )
        );
        let tcp = t("mqtt://[::1]");
        assert_eq!(
            (tcp.0.as_str(), tcp.1, tcp.2),
            ("::1", 1883, ProbeProtocol::Tcp)
        );
    }

    #[test]
    fn api_targets_follow_the_url() {
        let t = |u: &str| {
            let t = ProbeTarget::api(&Url::parse(u).unwrap());
            (t.host, t.port, t.protocol, t.path)
        };
        assert_eq!(
            t("https://nlus.naviensmartcontrol.com/api/v2.1"),
            (
                "nlus.naviensmartcontrol.com".to_owned(),
                443,
                ProbeProtocol::Https,
                "/api/v2.1".to_owned()
            )
        );
        assert_eq!(
            t("http://127.0.0.1:8080/api"),
            (
                "127.0.0.1".to_owned(),
                8080,
                ProbeProtocol::Http,
                "/api".to_owned()
            )
        );
    }

    fn target(port: u16, protocol: ProbeProtocol) -> ProbeTarget {
        ProbeTarget {
            host: "127.0.0.1".into(),
            port,
            protocol,
            path: "/mqtt".into(),
        }
    }

    /// A listener whose every connection is handled by `serve`.
    async fn listener<F, Fut>(serve: F) -> u16
    where
        F: Fn(TcpStream) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket));
            }
        });
        port
    }

    const TIMEOUT: Duration = Duration::from_millis(500);

    #[tokio::test]
    async fn an_endpoint_that_answers_http_is_reachable() {
        let port = listener(|mut socket| async move {
            let mut request = [0u8; 512];
            let n = socket.read(&mut request).await.unwrap_or(0);
            let request = String::from_utf8_lossy(&request[..n]).into_owned();
            // An unsigned upgrade request for the configured path and host.
            if request.starts_with("GET /mqtt HTTP/1.1\r\n")
                && request.contains("\r\nUpgrade: websocket\r\n")
                && request.contains("\r\nHost: 127.0.0.1:")
            {
                let _ = socket.write_all(b"HTTP/1.1 403 Forbidden\r\n\r\n").await;
            }
        })
        .await;
        assert!(is_reachable(&target(port, ProbeProtocol::WebSocket), TIMEOUT).await);
    }

    /// A listener answering every request with `status`.
    async fn answering(status: &'static str) -> u16 {
        listener(move |mut socket| async move {
            let mut request = [0u8; 512];
            let _ = socket.read(&mut request).await;
            let _ = socket
                .write_all(format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n").as_bytes())
                .await;
        })
        .await
    }

    #[tokio::test]
    async fn a_5xx_answer_is_not_reachable_yet() {
        for status in [
            "500 Internal Server Error",
            "502 Bad Gateway",
            "503 Service Unavailable",
            "504 Gateway Timeout",
        ] {
            let port = answering(status).await;
            for protocol in [ProbeProtocol::WebSocket, ProbeProtocol::Http] {
                assert!(
                    !is_reachable(&target(port, protocol), TIMEOUT).await,
                    "{status} over {protocol:?}"
                );
            }
        }
        for status in [
            "403 Forbidden",
            "401 Unauthorized",
            "404 Not Found",
            "200 OK",
        ] {
            let port = answering(status).await;
            for protocol in [ProbeProtocol::WebSocket, ProbeProtocol::Http] {
                assert!(
                    is_reachable(&target(port, protocol), TIMEOUT).await,
                    "{status} over {protocol:?}"
                );
            }
        }
    }

    #[test]
    fn status_lines_are_parsed() {
        assert_eq!(http_status(b"HTTP/1.1 503 Service Unavailable"), Some(503));
        assert_eq!(http_status(b"HTTP/1.0 403 Forbidden"), Some(403));
        assert_eq!(http_status(b"HTTP/1.1 xyz"), None);
        assert_eq!(http_status(b"SSH-2.0-OpenSSH"), None);
    }

    #[tokio::test]
    async fn an_endpoint_that_accepts_and_hangs_is_not_reachable_over_websocket() {
        let port = listener(|socket| async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(socket);
        })
        .await;
        assert!(!is_reachable(&target(port, ProbeProtocol::WebSocket), TIMEOUT).await);
        // A bare TCP probe cannot tell: the connection opens and stays open.
        assert!(is_reachable(&target(port, ProbeProtocol::Tcp), TIMEOUT).await);
    }

    #[tokio::test]
    async fn an_endpoint_that_resets_or_speaks_no_http_is_not_reachable() {
        let resets = listener(|socket| async move {
            let _ = socket.set_zero_linger();
            drop(socket);
        })
        .await;
        assert!(!is_reachable(&target(resets, ProbeProtocol::WebSocket), TIMEOUT).await);
        assert!(!is_reachable(&target(resets, ProbeProtocol::Tcp), TIMEOUT).await);
        let garbage = listener(|mut socket| async move {
            let _ = socket.write_all(b"SSH-2.0-x\r\n").await;
        })
        .await;
        assert!(!is_reachable(&target(garbage, ProbeProtocol::WebSocket), TIMEOUT).await);
    }

    #[tokio::test]
    async fn nobody_listening_is_not_reachable() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        for protocol in [
            ProbeProtocol::Tcp,
            ProbeProtocol::WebSocket,
            ProbeProtocol::SecureWebSocket,
        ] {
            assert!(!is_reachable(&target(port, protocol), TIMEOUT).await);
        }
    }

    #[tokio::test]
    async fn a_tls_failure_is_not_reachable() {
        // Plain HTTP where TLS is expected: the handshake fails.
        let port = listener(|mut socket| async move {
            let _ = socket.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        })
        .await;
        assert!(!is_reachable(&target(port, ProbeProtocol::SecureWebSocket), TIMEOUT).await);
    }
}
