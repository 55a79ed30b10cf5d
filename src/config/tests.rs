//! Unit tests of the configuration builder.

use std::num::NonZeroU64;
use std::time::Duration;

use super::*;
use crate::protocol::UnknownUnit;

const SEC: Duration = Duration::from_secs(1);

fn refused(builder: ClientConfigBuilder) -> ConfigError {
    match builder.build() {
        Ok(config) => panic!("expected a refusal, got {config:?}"),
        Err(e) => e,
    }
}

#[test]
fn a_queue_capacity_of_zero_disables_queueing() {
    let c = ClientConfig::builder().queue_capacity(0).build().unwrap();
    assert_eq!(c.queue_capacity(), 0);
}

#[test]
fn defaults_are_the_documented_ones() {
    let c = ClientConfig::default();
    assert_eq!(c, ClientConfig::builder().build().unwrap());
    assert_eq!(c.email(), None);
    assert!(c.password().is_none());
    assert_eq!(c.api_url().as_str(), DEFAULT_API_URL);
    assert_eq!(c.mqtt_url().as_str(), DEFAULT_MQTT_URL);
    assert_eq!(c.aws_region(), "us-east-1");
    assert_eq!(c.client_id(), None);
    assert_eq!(c.keep_alive(), 60 * SEC);
    assert_eq!(c.connect_timeout(), 20 * SEC);
    assert_eq!(c.operation_timeout(), 30 * SEC);
    assert_eq!(c.initial_reconnect_delay(), SEC);
    assert_eq!(c.max_reconnect_delay(), 120 * SEC);
    assert_eq!(c.reconnect_multiplier(), 2.0);
    assert_eq!(c.reconnect_jitter(), 0.5);
    assert_eq!(c.connection_lifetime(), Some(24 * 3600 * SEC));
    assert_eq!(c.subscriptions_per_connection(), 50);
    assert_eq!(c.devices_per_connection(), 49);
    assert_eq!(c.device_list_interval(), Some(3600 * SEC));
    assert_eq!(c.handover_margin(), 300 * SEC);
    assert_eq!(c.handover_jitter(), 120 * SEC);
    assert_eq!(c.deep_reconnect_every().get(), 10);
    assert_eq!(c.max_reconnect_attempts(), None);
    assert_eq!(c.min_connect_interval(), SEC);
    assert_eq!(c.stable_after(), 30 * SEC);
    assert_eq!(c.credential_margin(), 300 * SEC);
    assert_eq!(c.queue_capacity(), 100);
    assert_eq!(c.queue_max_age(), 300 * SEC);
    assert_eq!(c.probe_interval(), 2 * SEC);
    assert_eq!(c.poll_interval(), 30 * SEC);
    assert_eq!(c.feature_poll_interval(), None);
    assert_eq!(c.handler_buffer(), 64);
    assert_eq!(c.event_capacity(), None);
    assert_eq!(c.token_file(), None);
    assert_eq!(c.unit_system(), UnitSystem::UsCustomary);
    assert!(c.devices().is_empty());
    assert!(c.wants_device("aabbccddeeff"));
    assert_eq!(c.policy_config(), crate::policy::PolicyConfig::default());
}

#[test]
fn every_setter_reaches_the_config() {
    let c = ClientConfig::builder()
        .credentials("user@example.com", "hunter22")
        .api_url("http://127.0.0.1:8080/api/v2.1")
        .mqtt_url("ws://127.0.0.1:9001/mqtt")
        .aws_region("eu-west-1")
        .client_id("navien-client-0a1b2c3d")
        .keep_alive(30 * SEC)
        .connect_timeout(2 * SEC)
        .operation_timeout(3 * SEC)
        .initial_reconnect_delay(Duration::from_millis(100))
        .max_reconnect_delay(5 * SEC)
        .reconnect_multiplier(1.5)
        .reconnect_jitter(0.0)
        .deep_reconnect_every(3)
        .max_reconnect_attempts(Some(7))
        .min_connect_interval(Duration::ZERO)
        .stable_after(Duration::from_millis(500))
        .credential_margin(Duration::ZERO)
        .queue_capacity(5)
        .queue_max_age(60 * SEC)
        .probe_interval(Duration::from_millis(200))
        .poll_interval(10 * SEC)
        .feature_poll_interval(Some(600 * SEC))
        .handler_buffer(8)
        .event_capacity(Some(16))
        .token_file("tokens.json")
        .unit_system(UnitSystem::Metric)
        .devices(["AA:BB:CC:DD:EE:FF", "001122334455", "aa-bb-cc-dd-ee-ff"])
        .build()
        .unwrap();
    assert_eq!(c.email(), Some("user@example.com"));
    assert_eq!(c.password().map(Secret::expose), Some("hunter22"));
    assert_eq!(c.api_url().as_str(), "http://127.0.0.1:8080/api/v2.1");
    assert_eq!(c.mqtt_url().as_str(), "ws://127.0.0.1:9001/mqtt");
    assert_eq!(c.aws_region(), "eu-west-1");
    assert_eq!(c.client_id(), Some("navien-client-0a1b2c3d"));
    assert_eq!(c.keep_alive(), 30 * SEC);
    assert_eq!(c.connect_timeout(), 2 * SEC);
    assert_eq!(c.operation_timeout(), 3 * SEC);
    assert_eq!(c.credential_margin(), Duration::ZERO);
    assert_eq!(c.queue_capacity(), 5);
    assert_eq!(c.queue_max_age(), 60 * SEC);
    assert_eq!(c.probe_interval(), Duration::from_millis(200));
    assert_eq!(c.poll_interval(), 10 * SEC);
    assert_eq!(c.feature_poll_interval(), Some(600 * SEC));
    assert_eq!(c.handler_buffer(), 8);
    assert_eq!(c.event_capacity(), Some(16));
    assert_eq!(c.token_file(), Some(std::path::Path::new("tokens.json")));
    assert_eq!(c.unit_system(), UnitSystem::Metric);
    assert_eq!(c.devices(), ["aabbccddeeff", "001122334455"]);
    assert!(c.wants_device("001122334455"));
    assert!(!c.wants_device("ffffffffffff"));
    let p = c.policy_config();
    assert_eq!(p.initial_delay, Duration::from_millis(100));
    assert_eq!(p.max_delay, 5 * SEC);
    assert_eq!(p.multiplier, 1.5);
    assert_eq!(p.jitter, 0.0);
    assert_eq!(p.deep_every.get(), 3);
    assert_eq!(p.max_attempts, NonZeroU64::new(7));
    assert_eq!(p.min_connect_interval, Duration::ZERO);
    assert_eq!(p.stable_after, Duration::from_millis(500));
}

#[test]
fn each_bad_value_is_refused_with_its_option_name() {
    let b = ClientConfig::builder;
    let cases: Vec<(ClientConfigBuilder, &str)> = vec![
        (b().deep_reconnect_every(0), "deep_reconnect_every"),
        (
            b().max_reconnect_attempts(Some(0)),
            "max_reconnect_attempts",
        ),
        (b().keep_alive(Duration::ZERO), "keep_alive"),
        (b().keep_alive(Duration::from_millis(999)), "keep_alive"),
        (b().keep_alive(1201 * SEC), "keep_alive"),
        (b().keep_alive(Duration::from_millis(1500)), "keep_alive"),
        (b().connect_timeout(Duration::ZERO), "connect_timeout"),
        (b().operation_timeout(Duration::ZERO), "operation_timeout"),
        (
            b().initial_reconnect_delay(Duration::ZERO),
            "initial_reconnect_delay",
        ),
        (
            b().initial_reconnect_delay(200 * SEC),
            "max_reconnect_delay",
        ),
        (
            b().max_reconnect_delay(Duration::from_millis(500)),
            "max_reconnect_delay",
        ),
        (b().reconnect_multiplier(0.9), "reconnect_multiplier"),
        (b().reconnect_multiplier(f64::NAN), "reconnect_multiplier"),
        (
            b().reconnect_multiplier(f64::INFINITY),
            "reconnect_multiplier",
        ),
        (b().reconnect_jitter(-0.1), "reconnect_jitter"),
        (b().reconnect_jitter(1.01), "reconnect_jitter"),
        (b().reconnect_jitter(f64::NAN), "reconnect_jitter"),
        (b().handler_buffer(0), "handler_buffer"),
        (b().event_capacity(Some(0)), "event_capacity"),
        (b().stable_after(Duration::ZERO), "stable_after"),
        (b().queue_max_age(Duration::ZERO), "queue_max_age"),
        (b().probe_interval(Duration::ZERO), "probe_interval"),
        (b().poll_interval(Duration::ZERO), "poll_interval"),
        (
            b().feature_poll_interval(Some(Duration::ZERO)),
            "feature_poll_interval",
        ),
        (
            b().min_connect_interval(Duration::MAX),
            "min_connect_interval",
        ),
        (b().credential_margin(Duration::MAX), "credential_margin"),
        (b().api_url("not a url"), "api_url"),
        (b().api_url("ftp://example.com"), "api_url"),
        (b().mqtt_url("https://example.com/mqtt"), "mqtt_url"),
        (b().mqtt_url("ws://:9001/mqtt"), "mqtt_url"),
        (b().mqtt_url("mqtt:/relative"), "mqtt_url"),
        (b().mqtt_url("mqtts://broker.example:8883"), "mqtt_url"),
        (b().mqtt_url("ws://127.0.0.1:9001/mqtt?a=b"), "mqtt_url"),
        (b().aws_region(" "), "aws_region"),
        (b().client_id(""), "client_id"),
        (b().client_id("a/b"), "client_id"),
        (b().client_id("a+b"), "client_id"),
        (b().client_id("has space"), "client_id"),
        (b().client_id("x".repeat(129)), "client_id"),
        (b().token_file(""), "token_file"),
        (
            b().connection_lifetime(Some(Duration::ZERO)),
            "connection_lifetime",
        ),
        (
            b().connection_lifetime(Some(400 * SEC)),
            "connection_lifetime",
        ),
        (b().handover_margin(Duration::MAX), "handover_margin"),
        (
            b().device_list_interval(Some(Duration::ZERO)),
            "device_list_interval",
        ),
        (
            b().subscriptions_per_connection(1),
            "subscriptions_per_connection",
        ),
        (b().handover_jitter(Duration::MAX), "handover_jitter"),
        (b().devices(["aabbccddeef"]), "devices"),
        (b().devices(["aabbccddeefg"]), "devices"),
        (b().credentials("", "pw"), "credentials"),
        (b().credentials("user@example.com", ""), "credentials"),
    ];
    for (builder, option) in cases {
        let e = refused(builder);
        assert_eq!(e.option(), option, "{e}");
        assert!(e.to_string().contains(option), "{e}");
    }
}

#[test]
fn handover_settings_are_kept_and_can_be_switched_off() {
    let c = ClientConfig::builder()
        .connection_lifetime(Some(10 * SEC))
        .handover_margin(3 * SEC)
        .handover_jitter(SEC)
        .build()
        .unwrap();
    assert_eq!(c.connection_lifetime(), Some(10 * SEC));
    let h = c.handover_config();
    assert_eq!(
        (h.lifetime, h.margin, h.jitter),
        (Some(10 * SEC), 3 * SEC, SEC)
    );
    let off = ClientConfig::builder()
        .connection_lifetime(None)
        .build()
        .unwrap();
    assert_eq!(off.handover_config().lifetime, None);
    // 300 s + 120 s of lead does not fit in 400 s.
    let e = refused(ClientConfig::builder().connection_lifetime(Some(400 * SEC)));
    assert!(
        e.to_string()
            .contains("handover_margin plus handover_jitter"),
        "{e}"
    );
}

#[test]
fn error_messages_name_the_bad_value() {
    let e = refused(ClientConfig::builder().deep_reconnect_every(0));
    assert_eq!(
        e.to_string(),
        "invalid value 0 for option `deep_reconnect_every`: at least 1"
    );
    let e = refused(ClientConfig::builder().keep_alive(2000 * SEC));
    assert!(e.to_string().contains("2000s"), "{e}");
    let e = refused(ClientConfig::builder().mqtt_url("http://x"));
    assert!(e.to_string().contains("\"http://x\""), "{e}");
    // What is accepted comes from the endpoint's one list of schemes.
    for scheme in ["wss://", "ws://", "mqtt://"] {
        assert!(e.to_string().contains(scheme), "{e}");
    }
}

#[test]
fn secrets_stay_out_of_debug_and_errors() {
    let c = ClientConfig::builder()
        .credentials("someone@example.com", "pa55word!")
        .devices(["aabbccddeeff"])
        .build()
        .unwrap();
    let text = format!("{c:?}");
    assert!(!text.contains("pa55word!"), "{text}");
    assert!(!text.contains("someone@"), "{text}");
    assert!(text.contains("example.com"), "{text}");
    assert!(!text.contains("aabbccddeeff"), "{text}");
    assert!(text.contains("eeff"), "{text}");
    let b = ClientConfig::builder().credentials("someone@example.com", "pa55word!");
    assert!(!format!("{b:?}").contains("pa55word!"));
    assert_eq!(format!("{:?}", Secret::new("x")), "<redacted>");
}

#[test]
fn boundaries_are_accepted() {
    let c = ClientConfig::builder()
        .keep_alive(SEC)
        .reconnect_multiplier(1.0)
        .reconnect_jitter(1.0)
        .deep_reconnect_every(1)
        .max_reconnect_attempts(Some(1))
        .initial_reconnect_delay(5 * SEC)
        .max_reconnect_delay(5 * SEC)
        .mqtt_url("mqtt://127.0.0.1:1883")
        .build()
        .unwrap();
    assert_eq!(c.keep_alive(), SEC);
    assert!(ClientConfig::builder()
        .keep_alive(1200 * SEC)
        .build()
        .is_ok());
    assert!(ClientConfig::builder()
        .mqtt_url("mqtt://broker.example:1883")
        .build()
        .is_ok());
    // The connection layer has no plain-TLS MQTT transport: refused at build time.
    assert!(ClientConfig::builder()
        .mqtt_url("mqtts://broker.example:8883")
        .build()
        .is_err());
}

#[test]
fn temperature_units_parse() {
    for (text, unit) in [
        ("F", UnitSystem::UsCustomary),
        ("°f", UnitSystem::UsCustomary),
        ("Fahrenheit", UnitSystem::UsCustomary),
        ("c", UnitSystem::Metric),
        (" celsius ", UnitSystem::Metric),
        ("metric", UnitSystem::Metric),
        ("US_customary", UnitSystem::UsCustomary),
    ] {
        assert_eq!(text.parse::<UnitSystem>(), Ok(unit), "{text}");
    }
    assert_eq!("kelvin".parse::<UnitSystem>(), Err(UnknownUnit));
    assert_eq!(UnitSystem::Metric.to_string(), "metric");
}

#[test]
fn the_connection_settings_come_from_the_config() {
    use crate::clock::{SharedClock, TokioClock};
    use crate::connection::ConnectionSettings;
    use crate::endpoint::MqttTransport;
    use crate::protocol::ClientId;

    let c = ClientConfig::builder()
        .mqtt_url("mqtt://127.0.0.1:1884")
        .aws_region("eu-west-1")
        .keep_alive(30 * SEC)
        .connect_timeout(2 * SEC)
        .operation_timeout(Duration::from_millis(1500))
        .queue_capacity(5)
        .queue_max_age(60 * SEC)
        .build()
        .unwrap();
    let clock: SharedClock = std::sync::Arc::new(TokioClock);
    let id = ClientId::new("navien-client-0a1b2c3d").unwrap();
    let s = c.connection_settings(&id, clock);
    assert_eq!(s.endpoint.transport(), MqttTransport::Tcp);
    assert_eq!(s.endpoint.port(), 1884);
    assert_eq!(s.client_id, "navien-client-0a1b2c3d");
    assert_eq!(s.keep_alive.get(), 30 * SEC);
    assert_eq!(s.connect_timeout, 2 * SEC);
    assert_eq!(s.operation_timeout, Duration::from_millis(1500));
    assert_eq!(s.queue_capacity, 5);
    assert_eq!(s.queue_max_age, 60 * SEC);
    assert_eq!(s.region, "eu-west-1");
    // A graceful close never outlasts an operation.
    assert_eq!(s.close_timeout, Duration::from_millis(1500));
    assert_eq!(s.ping_timeout, ConnectionSettings::DEFAULT_PING_TIMEOUT);
    assert_eq!(s.validate(), Ok(()));
    let defaults = ClientConfig::default().connection_settings(&id, s.clock.clone());
    assert_eq!(
        defaults.close_timeout,
        ConnectionSettings::DEFAULT_CLOSE_TIMEOUT
    );
    assert!(defaults.endpoint.needs_tls());
}

#[test]
fn the_probe_targets_come_from_the_config() {
    use crate::reconnector::ProbeProtocol;

    let c = ClientConfig::default();
    let mqtt = c.mqtt_probe_target();
    assert_eq!(mqtt.protocol, ProbeProtocol::SecureWebSocket);
    assert_eq!(mqtt.port, 443);
    assert_eq!(mqtt.path, "/mqtt");
    assert_eq!(mqtt.host, c.mqtt_endpoint().host());
    let api = c.api_probe_target();
    assert_eq!(api.protocol, ProbeProtocol::Https);
    assert_eq!(api.port, 443);
    assert_eq!(api.path, "/api/v2.1");
    let local = ClientConfig::builder()
        .mqtt_url("ws://127.0.0.1:9001/mqtt")
        .api_url("http://127.0.0.1:8080/api")
        .build()
        .unwrap();
    assert_eq!(local.mqtt_probe_target().protocol, ProbeProtocol::WebSocket);
    assert_eq!(local.mqtt_probe_target().port, 9001);
    assert_eq!(local.api_probe_target().protocol, ProbeProtocol::Http);
    assert_eq!(local.api_probe_target().port, 8080);
}
