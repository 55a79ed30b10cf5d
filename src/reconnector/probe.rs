//! The cheap reachability probe: a bare TCP connect to the MQTT endpoint, no TLS, no
//! MQTT. It tells when a network-level outage is over, so the next attempt need not
//! wait out a long backoff.

use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use url::Url;

/// Host and port a probe connects to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeTarget {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

/// The probe target of an MQTT URL (`wss://` 443, `ws://` 80, `mqtt://` 1883 unless the
/// URL names a port); `None` for an unparsable URL.
pub fn probe_target(mqtt_url: &str) -> Option<ProbeTarget> {
    let url = Url::parse(mqtt_url).ok()?;
    let default_port = match url.scheme() {
        "wss" => 443,
        "ws" => 80,
        "mqtt" | "tcp" => 1883,
        "mqtts" => 8883,
        _ => return None,
    };
    Some(ProbeTarget {
        host: url.host_str()?.trim_matches(['[', ']']).to_owned(),
        port: url.port().unwrap_or(default_port),
    })
}

/// How long a freshly opened probe connection must stay open to count: a server that is
/// up waits for the client to speak (TLS or HTTP), while a refusing front end accepts and
/// resets at once.
const SETTLE: Duration = Duration::from_millis(250);

/// Whether a TCP connection to `target` opens within `timeout` and is not closed by the
/// peer straight away.
pub async fn is_reachable(target: &ProbeTarget, timeout: Duration) -> bool {
    let connect = TcpStream::connect((target.host.as_str(), target.port));
    let Ok(Ok(mut stream)) = tokio::time::timeout(timeout, connect).await else {
        return false;
    };
    let mut byte = [0u8; 1];
    match tokio::time::timeout(SETTLE.min(timeout), stream.read(&mut byte)).await {
        // Still open and silent, as a healthy server is before the client speaks.
        Err(_) => true,
        // The peer spoke first: alive.
        Ok(Ok(n)) if n > 0 => true,
        // Closed or reset at once: refusing.
        Ok(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_by_scheme() {
        let t = |u: &str| probe_target(u).map(|t| (t.host, t.port));
        assert_eq!(
            t("wss://a1t30mldyslmuq-ats.iot.us-east-1.amazonaws.com/mqtt"),
            Some((
                "a1t30mldyslmuq-ats.iot.us-east-1.amazonaws.com".to_owned(),
                443
            ))
        );
        assert_eq!(
            t("ws://127.0.0.1:9001/mqtt"),
            Some(("127.0.0.1".to_owned(), 9001))
        );
        assert_eq!(t("mqtt://127.0.0.1"), Some(("127.0.0.1".to_owned(), 1883)));
        assert_eq!(t("http://x"), None);
        assert_eq!(t("not a url"), None);
    }

    #[tokio::test]
    async fn probe_sees_listener_and_refusal() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let target = ProbeTarget {
            host: "127.0.0.1".into(),
            port,
        };
        // Accepted and held open: reachable.
        let held = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(2)).await;
            drop(socket);
            listener
        });
        assert!(is_reachable(&target, Duration::from_secs(1)).await);
        let listener = held.await.unwrap();
        // Accepted and closed at once (a refusing front end): not reachable.
        let refusing = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            drop(socket);
            listener
        });
        assert!(!is_reachable(&target, Duration::from_secs(1)).await);
        drop(refusing.await.unwrap());
        // Nobody listening: not reachable.
        assert!(!is_reachable(&target, Duration::from_secs(1)).await);
    }
}
