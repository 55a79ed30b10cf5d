//! Building one transport generation (rumqttc options chosen by the URL scheme) and
//! classifying its connect errors.

use std::sync::Arc;
use std::time::Duration;

use rumqttc::tokio_rustls::rustls::{self, ClientConfig, RootCertStore};
use rumqttc::{AsyncClient, ConnectionError, EventLoop, MqttOptions, TlsConfiguration, Transport};
use tracing::{error, warn};

use super::error::{Cause, ConnectError};
use super::settings::ConnectionSettings;
use crate::clock::SharedClock;
use crate::credentials::AwsCredentials;
use crate::endpoint::MqttTransport;
use crate::sigv4::presign_query;

/// AWS IoT allows at most 100 unacknowledged QoS 1 publishes per connection.
const MAX_INFLIGHT: u16 = 100;

/// Creates the client and event loop of one generation. Nothing is opened until the event
/// loop is polled.
pub(crate) fn build_transport(
    settings: &ConnectionSettings,
    credentials: Option<&AwsCredentials>,
    tls: &dyn Fn() -> Arc<ClientConfig>,
) -> (AsyncClient, EventLoop) {
    let options = mqtt_options(settings, credentials, tls);
    let (client, mut eventloop) = AsyncClient::new(options, settings.request_channel_capacity);
    // rumqttc's own bound covers TCP + TLS + upgrade + CONNACK in whole seconds; the
    // poller also enforces the exact `connect_timeout`.
    let mut network = eventloop.network_options();
    network.set_connection_timeout(whole_seconds_at_least_one(settings.connect_timeout));
    // MQTT packets are small and latency matters more than coalescing.
    network.set_tcp_nodelay(true);
    eventloop.set_network_options(network);
    (client, eventloop)
}

fn mqtt_options(
    settings: &ConnectionSettings,
    credentials: Option<&AwsCredentials>,
    tls: &dyn Fn() -> Arc<ClientConfig>,
) -> MqttOptions {
    let endpoint = &settings.endpoint;
    let url = endpoint.url();
    let mut options = match endpoint.transport() {
        // For WebSocket transports rumqttc takes the whole URL as the "host".
        MqttTransport::SecureWebSocket | MqttTransport::WebSocket => {
            MqttOptions::new(settings.client_id.clone(), url.as_str(), endpoint.port())
        }
        // The host as the URL writes it (an IPv6 address in brackets): rumqttc appends
        // `:port` to it.
        MqttTransport::Tcp => MqttOptions::new(
            settings.client_id.clone(),
            url.host_str().unwrap_or_default(),
            endpoint.port(),
        ),
    };
    match endpoint.transport() {
        MqttTransport::SecureWebSocket => {
            options.set_transport(Transport::wss_with_config(TlsConfiguration::Rustls(tls())));
        }
        MqttTransport::WebSocket => {
            options.set_transport(Transport::ws());
        }
        MqttTransport::Tcp => {}
    }
    if endpoint.is_websocket() {
        if let Some(creds) = credentials {
            install_presigner(&mut options, settings, creds.clone());
        }
    }
    options
        .set_keep_alive(settings.keep_alive.get())
        .set_clean_session(true)
        .set_max_packet_size(settings.max_packet_size, settings.max_packet_size)
        .set_request_channel_capacity(settings.request_channel_capacity)
        .set_inflight(MAX_INFLIGHT);
    options
}

/// Signs the WebSocket URL inside rumqttc's request modifier, which runs once per
/// connection attempt: the signature is always fresh and never cached.
fn install_presigner(
    options: &mut MqttOptions,
    settings: &ConnectionSettings,
    creds: AwsCredentials,
) {
    let region = settings.region.clone();
    let service = settings.service.clone();
    let clock: SharedClock = settings.clock.clone();
    options.set_request_modifier(move |mut request: http::Request<()>| {
        sign_request(&mut request, &creds, &region, &service, &clock);
        std::future::ready(request)
    });
}

/// Replaces the request's query with a SigV4 presigned one computed for the `Host` header
/// exactly as it will be sent. On failure the request is left unsigned (the broker will
/// reject it and the error is classified as usual).
pub(crate) fn sign_request(
    request: &mut http::Request<()>,
    creds: &AwsCredentials,
    region: &str,
    service: &str,
    clock: &SharedClock,
) {
    let host = request
        .headers()
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().authority().map(|a| a.as_str().to_owned()));
    let Some(host) = host else {
        warn!("WebSocket request has no host; sending it unsigned");
        return;
    };
    let path = request.uri().path().to_owned();
    let query = match presign_query(&host, &path, creds, region, service, clock.wall()) {
        Ok(q) => q,
        Err(e) => {
            warn!(error = %e, "cannot presign the WebSocket URL; sending it unsigned");
            return;
        }
    };
    let mut parts = request.uri().clone().into_parts();
    match format!("{path}?{query}").parse() {
        Ok(pq) => {
            parts.path_and_query = Some(pq);
            match http::Uri::from_parts(parts) {
                Ok(uri) => *request.uri_mut() = uri,
                Err(e) => warn!(error = %e, "cannot rebuild the presigned URI"),
            }
        }
        Err(e) => warn!(error = %e, "cannot build the presigned path"),
    }
}

/// TLS settings for `wss://`: the platform's root store, loaded without panicking. Load
/// errors are logged; with no usable root at all the store is empty, so the handshake
/// fails (and is reported) instead of the process aborting.
pub(crate) fn load_tls_config() -> Arc<ClientConfig> {
    let loaded = rustls_native_certs::load_native_certs();
    for e in &loaded.errors {
        warn!(error = %e, "error while loading platform root certificates");
    }
    let mut roots = RootCertStore::empty();
    let (added, ignored) = roots.add_parsable_certificates(loaded.certs);
    if ignored > 0 {
        warn!(ignored, "unparsable platform root certificates skipped");
    }
    if added == 0 {
        error!("no usable root certificates; wss:// connections will fail TLS verification");
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config =
        match ClientConfig::builder_with_provider(provider).with_safe_default_protocol_versions() {
            Ok(builder) => builder.with_root_certificates(roots).with_no_client_auth(),
            Err(e) => {
                // Only reachable with a provider lacking every default protocol version.
                error!(error = %e, "TLS provider unusable; wss:// connections will fail");
                ClientConfig::builder()
                    .with_root_certificates(RootCertStore::empty())
                    .with_no_client_auth()
            }
        };
    // The AWS SDK offers ALPN http/1.1 for WebSocket on port 443 (docs/protocol.md §3.1).
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// The process's TLS settings for `wss://`, loaded once. Reading the platform's root
/// store is blocking file I/O, so it runs on tokio's blocking pool, never on the actors'
/// thread; callers await it before their first `wss://` connection or probe.
pub(crate) async fn shared_tls_config() -> Arc<ClientConfig> {
    SHARED_TLS
        .get_or_init(|| async {
            match tokio::task::spawn_blocking(load_tls_config).await {
                Ok(config) => config,
                // The loader does not panic; should the blocking pool be gone, load here.
                Err(_) => load_tls_config(),
            }
        })
        .await
        .clone()
}

/// The shared TLS settings if [`shared_tls_config`] has loaded them already.
pub(crate) fn loaded_tls_config() -> Option<Arc<ClientConfig>> {
    SHARED_TLS.get().cloned()
}

static SHARED_TLS: tokio::sync::OnceCell<Arc<ClientConfig>> = tokio::sync::OnceCell::const_new();

/// Classifies a failure before CONNACK, keeping the lower layer's error as the source.
pub(crate) fn classify_connect_error(e: ConnectionError, timeout: Duration) -> ConnectError {
    match e {
        ConnectionError::NetworkTimeout => ConnectError::Timeout { after: timeout },
        ConnectionError::Io(io) => classify_io_error(io),
        ConnectionError::MqttState(rumqttc::StateError::Io(io)) => classify_io_error(io),
        ConnectionError::ConnectionRefused(code) => ConnectError::Refused {
            code: connack_code(code),
        },
        ConnectionError::Tls(t) => ConnectError::Tls(Cause::new(t)),
        ConnectionError::Websocket(ws) => classify_websocket_error(ws),
        // Not kept: the packet may carry a topic (device MAC).
        ConnectionError::NotConnAck(_) => ConnectError::UnexpectedPacket,
        other => ConnectError::Mqtt(Cause::new(other)),
    }
}

fn classify_websocket_error(e: tungstenite::Error) -> ConnectError {
    match e {
        tungstenite::Error::Http(response) => ConnectError::UpgradeRejected {
            status: response.status().as_u16(),
        },
        tungstenite::Error::Io(io) => classify_io_error(io),
        tungstenite::Error::Tls(t) => ConnectError::Tls(Cause::new(t)),
        other => ConnectError::WebSocket(Cause::new(other)),
    }
}

/// tokio-rustls reports handshake failures as I/O errors wrapping a rustls error; those
/// are TLS problems, not network reachability problems.
fn classify_io_error(io: std::io::Error) -> ConnectError {
    let tls = io
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .cloned();
    match tls {
        Some(t) => ConnectError::Tls(Cause::new(t)),
        None => ConnectError::Network(Cause::new(io)),
    }
}

/// The wire value of a CONNACK return code.
fn connack_code(code: rumqttc::ConnectReturnCode) -> u8 {
    use rumqttc::ConnectReturnCode as C;
    match code {
        C::Success => 0,
        C::RefusedProtocolVersion => 1,
        C::BadClientId => 2,
        C::ServiceUnavailable => 3,
        C::BadUserNamePassword => 4,
        C::NotAuthorized => 5,
    }
}

fn whole_seconds_at_least_one(d: Duration) -> u64 {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::sigv4::{AWS_REGION, IOT_SERVICE};
    use std::time::{SystemTime, UNIX_EPOCH};

    fn creds() -> AwsCredentials {
        AwsCredentials {
            access_key_id: "ASIAFAKEACCESSKEY0001".into(),
            secret_access_key: "fakeSecretKey/0123456789+abcdefFAKE".into(),
            session_token: Some("FAKE/Session+Token==".into()),
            expires_at: None,
        }
    }

    fn vector_time() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_767_323_045)
    }

    #[tokio::test]
    async fn signing_uses_the_host_header_exactly_as_sent() {
        let clock: SharedClock = Arc::new(ManualClock::new(vector_time()));
        let mut request = http::Request::builder()
            .uri("ws://127.0.0.1:8083/mqtt")
            .header("Host", "127.0.0.1:8083")
            .body(())
            .unwrap();
        sign_request(&mut request, &creds(), AWS_REGION, IOT_SERVICE, &clock);
        let expected = presign_query(
            "127.0.0.1:8083",
            "/mqtt",
            &creds(),
            AWS_REGION,
            IOT_SERVICE,
            vector_time(),
        )
        .unwrap();
        assert_eq!(request.uri().query(), Some(expected.as_str()));
        assert_eq!(request.uri().path(), "/mqtt");
        assert_eq!(
            request.uri().authority().unwrap().as_str(),
            "127.0.0.1:8083"
        );
    }

    #[tokio::test]
    async fn modifier_signs_afresh_for_every_attempt() {
        let manual = ManualClock::new(vector_time());
        let mut settings = ConnectionSettings::new("ws://127.0.0.1:8083/mqtt", "id").unwrap();
        settings.clock = Arc::new(manual.clone());
        let creds = creds();
        let options = mqtt_options(&settings, Some(&creds), &load_tls_config);
        let modifier = options
            .request_modifier()
            .expect("credentials install a presigner");
        let request = || {
            http::Request::builder()
                .uri("ws://127.0.0.1:8083/mqtt")
                .header("Host", "127.0.0.1:8083")
                .body(())
                .unwrap()
        };
        let first = modifier(request()).await;
        manual.advance(Duration::from_secs(1));
        let second = modifier(request()).await;
        let q1 = first.uri().query().unwrap().to_owned();
        let q2 = second.uri().query().unwrap().to_owned();
        assert!(q1.contains("X-Amz-Date=20260102T030405Z"), "{q1}");
        assert!(q2.contains("X-Amz-Date=20260102T030406Z"), "{q2}");
        assert_ne!(q1, q2);
    }

    #[tokio::test]
    async fn no_credentials_or_plain_tcp_means_no_presigner() {
        let settings = ConnectionSettings::new("ws://127.0.0.1:8083/mqtt", "id").unwrap();
        assert!(mqtt_options(&settings, None, &load_tls_config)
            .request_modifier()
            .is_none());
        let settings = ConnectionSettings::new("mqtt://127.0.0.1:1883", "id").unwrap();
        let creds = creds();
        let options = mqtt_options(&settings, Some(&creds), &load_tls_config);
        assert!(options.request_modifier().is_none());
        assert_eq!(options.broker_address(), ("127.0.0.1".to_owned(), 1883));
        // rumqttc appends `:port` to the host, so an IPv6 address keeps its brackets.
        let settings = ConnectionSettings::new("mqtt://[::1]", "id").unwrap();
        let options = mqtt_options(&settings, None, &load_tls_config);
        assert_eq!(options.broker_address(), ("[::1]".to_owned(), 1883));
    }

    #[tokio::test]
    async fn options_follow_the_settings() {
        let mut settings = ConnectionSettings::new("wss://example.com/mqtt", "cid-1").unwrap();
        settings.keep_alive = crate::config::KeepAlive::new(Duration::from_secs(45)).unwrap();
        let options = mqtt_options(&settings, None, &load_tls_config);
        assert_eq!(options.client_id(), "cid-1");
        assert!(options.clean_session());
        assert_eq!(options.keep_alive(), Duration::from_secs(45));
        assert!(options.max_packet_size() >= 128 * 1024);
        assert!(matches!(options.transport(), Transport::Wss(_)));
        assert_eq!(options.broker_address().0, "wss://example.com/mqtt");
    }

    #[test]
    fn tls_config_loads_without_panicking_and_offers_http11() {
        let config = load_tls_config();
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    #[test]
    fn connect_errors_are_classified_by_type() {
        use super::super::error::ConnectErrorKind::{AuthRejected, Unreachable};
        let refused =
            ConnectionError::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        let c = classify_connect_error(refused, Duration::from_secs(1));
        assert_eq!(c.kind(), Unreachable);
        // The OS's error is the source, not part of the message.
        let source = std::error::Error::source(&c).map(ToString::to_string);
        let os = std::io::Error::from(std::io::ErrorKind::ConnectionRefused).to_string();
        assert_eq!((c.to_string(), source), ("network error".into(), Some(os)));
        let timeout =
            classify_connect_error(ConnectionError::NetworkTimeout, Duration::from_secs(3));
        assert_eq!(
            timeout,
            ConnectError::Timeout {
                after: Duration::from_secs(3)
            }
        );
        let response = http::Response::builder().status(403).body(None).unwrap();
        let forbidden = ConnectionError::Websocket(tungstenite::Error::Http(response));
        let c = classify_connect_error(forbidden, Duration::from_secs(1));
        assert_eq!(c, ConnectError::UpgradeRejected { status: 403 });
        assert!(c.is_auth_rejection());
        for status in [500, 502, 503, 504, 404, 400] {
            let response = http::Response::builder().status(status).body(None).unwrap();
            let answer = ConnectionError::Websocket(tungstenite::Error::Http(response));
            let c = classify_connect_error(answer, Duration::from_secs(1));
            assert_eq!(c, ConnectError::UpgradeRejected { status });
            assert_eq!(c.kind(), Unreachable, "HTTP {status}");
        }
        let response = http::Response::builder().status(401).body(None).unwrap();
        let unauthorized = ConnectionError::Websocket(tungstenite::Error::Http(response));
        assert_eq!(
            classify_connect_error(unauthorized, Duration::from_secs(1)).kind(),
            AuthRejected
        );
        let handshake = ConnectionError::Websocket(tungstenite::Error::Protocol(
            tungstenite::error::ProtocolError::HandshakeIncomplete,
        ));
        assert_eq!(
            classify_connect_error(handshake, Duration::from_secs(1)).kind(),
            Unreachable
        );
        let closed = ConnectionError::Io(std::io::Error::from(std::io::ErrorKind::UnexpectedEof));
        assert_eq!(
            classify_connect_error(closed, Duration::from_secs(1)).kind(),
            Unreachable
        );
        use rumqttc::ConnectReturnCode as C;
        for (code, wire, kind) in [
            (C::ServiceUnavailable, 3, Unreachable),
            (C::BadUserNamePassword, 4, AuthRejected),
            (C::NotAuthorized, 5, AuthRejected),
            (C::BadClientId, 2, Unreachable),
        ] {
            let c =
                classify_connect_error(ConnectionError::ConnectionRefused(code), Duration::ZERO);
            assert_eq!(c, ConnectError::Refused { code: wire });
            assert_eq!(c.kind(), kind, "CONNACK {wire}");
        }
    }

    #[test]
    fn sub_second_timeouts_round_up() {
        assert_eq!(whole_seconds_at_least_one(Duration::from_millis(200)), 1);
        assert_eq!(whole_seconds_at_least_one(Duration::from_millis(2500)), 3);
        assert_eq!(whole_seconds_at_least_one(Duration::from_secs(20)), 20);
    }
}
