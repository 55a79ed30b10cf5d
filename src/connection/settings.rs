//! Settings of the Connection actor.
//!
//! The settings a user configures (endpoint, keep-alive, connect and operation timeouts,
//! the queue, the region) are defaulted and validated once, by the client configuration,
//! which produces these settings
//! ([`ClientConfig::connection_settings`](crate::config::ClientConfig::connection_settings)).
//! The Connection's own bounds and sizes, which no configuration option sets, are
//! defaulted and checked here.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::{SharedClock, TokioClock};
use crate::config::{ClientConfig, ConfigError, KeepAlive};
use crate::endpoint::MqttEndpoint;
use crate::protocol::ClientId;

/// One of the Connection's own settings cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// A duration that must be positive is zero.
    #[error("{name} must be greater than zero")]
    ZeroDuration {
        /// Setting name.
        name: &'static str,
    },
    /// The maximum packet size is below [`ConnectionSettings::MIN_PACKET_SIZE`].
    #[error("max_packet_size must be at least 131072 bytes, got {value}")]
    PacketSizeTooSmall {
        /// The value given.
        value: usize,
    },
    /// The request channel capacity is zero.
    #[error("request_channel_capacity must be at least 1")]
    ZeroChannelCapacity,
}

/// Everything the Connection actor needs to know.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    /// Broker endpoint (validated by the configuration).
    pub endpoint: MqttEndpoint,
    /// MQTT client id, reused for every connection of this client (docs/protocol.md §3.4).
    pub client_id: String,
    /// MQTT keep-alive (validated by the configuration).
    pub keep_alive: KeepAlive,
    /// How long a PINGRESP may take before the link is declared dead (default
    /// [`DEFAULT_PING_TIMEOUT`](Self::DEFAULT_PING_TIMEOUT); the effective value is never
    /// more than `keep_alive`, at which point rumqttc would fail the link itself).
    pub ping_timeout: Duration,
    /// Bound on TCP connect + TLS + WebSocket upgrade + CONNACK.
    pub connect_timeout: Duration,
    /// Bound on every PUBACK / SUBACK / UNSUBACK. A timeout on a live link ends that
    /// generation as half-open.
    pub operation_timeout: Duration,
    /// Lower bound of the adaptive acknowledgement deadline (default
    /// [`DEFAULT_ACK_TIMEOUT_FLOOR`](Self::DEFAULT_ACK_TIMEOUT_FLOOR)). Once round trips
    /// are measured, an acknowledgement that takes longer than `SRTT + 4·RTTVAR` (never
    /// less than this, never more than `operation_timeout`) while nothing else arrives
    /// ends the link as half-open.
    pub ack_timeout_floor: Duration,
    /// Bound on a graceful close (DISCONNECT sent) before the transport is dropped
    /// (default [`DEFAULT_CLOSE_TIMEOUT`](Self::DEFAULT_CLOSE_TIMEOUT), at most the
    /// operation timeout).
    pub close_timeout: Duration,
    /// Maximum MQTT packet size in both directions (default
    /// [`DEFAULT_MAX_PACKET_SIZE`](Self::DEFAULT_MAX_PACKET_SIZE); at least
    /// [`MIN_PACKET_SIZE`](Self::MIN_PACKET_SIZE)).
    pub max_packet_size: usize,
    /// Capacity of the request channel into rumqttc (default
    /// [`DEFAULT_REQUEST_CHANNEL_CAPACITY`](Self::DEFAULT_REQUEST_CHANNEL_CAPACITY)); it
    /// is never awaited.
    pub request_channel_capacity: usize,
    /// Offline queue bound (0 disables queueing).
    pub queue_capacity: usize,
    /// Queued commands older than this at flush time are dropped and reported.
    pub queue_max_age: Duration,
    /// Publishes per second on one connection (validated by the configuration); see
    /// [`ClientConfigBuilder::publish_rate`](crate::config::ClientConfigBuilder::publish_rate).
    pub publish_rate: std::num::NonZeroU32,
    /// SigV4 region.
    pub region: String,
    /// SigV4 service (default `iotdevicegateway`).
    pub service: String,
    /// Clock for queue timestamps and SigV4 signing time.
    pub clock: SharedClock,
}

impl ConnectionSettings {
    /// Default PINGRESP bound.
    pub const DEFAULT_PING_TIMEOUT: Duration = Duration::from_secs(10);
    /// Default floor of the adaptive acknowledgement deadline.
    pub const DEFAULT_ACK_TIMEOUT_FLOOR: Duration = Duration::from_secs(5);
    /// Default bound on a graceful close.
    pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
    /// Default maximum packet size (256 KiB).
    pub const DEFAULT_MAX_PACKET_SIZE: usize = 256 * 1024;
    /// Smallest accepted maximum packet size (128 KiB, AWS IoT's limit).
    pub const MIN_PACKET_SIZE: usize = 128 * 1024;
    /// Default capacity of the request channel into rumqttc.
    pub const DEFAULT_REQUEST_CHANNEL_CAPACITY: usize = 1024;

    /// The settings the default client configuration produces for `mqtt_url` and
    /// `client_id`, for tests and tools that drive a Connection on its own. The URL and
    /// every default are checked by the configuration.
    pub fn new(mqtt_url: &str, client_id: &str) -> Result<Self, ConfigError> {
        let config = ClientConfig::builder().mqtt_url(mqtt_url).build()?;
        let client_id = ClientId::new(client_id).map_err(|_| {
            ConfigError::invalid(
                "client_id",
                format!("{client_id:?}"),
                "an id usable as one MQTT topic level",
            )
        })?;
        Ok(config.connection_settings(&client_id, Arc::new(TokioClock)))
    }

    /// Checks the Connection's own settings (the configured ones were checked by the
    /// configuration); the actor refuses settings that fail this.
    pub fn validate(&self) -> Result<(), SettingsError> {
        for (name, value) in [
            ("ping_timeout", self.ping_timeout),
            ("close_timeout", self.close_timeout),
        ] {
            if value.is_zero() {
                return Err(SettingsError::ZeroDuration { name });
            }
        }
        if self.max_packet_size < Self::MIN_PACKET_SIZE {
            return Err(SettingsError::PacketSizeTooSmall {
                value: self.max_packet_size,
            });
        }
        if self.request_channel_capacity == 0 {
            return Err(SettingsError::ZeroChannelCapacity);
        }
        Ok(())
    }

    /// The PINGRESP bound actually applied: `ping_timeout`, at most `keep_alive`.
    pub fn effective_ping_timeout(&self) -> Duration {
        self.ping_timeout.min(self.keep_alive.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_constructor_takes_the_configuration_defaults() {
        let s =
            ConnectionSettings::new("wss://example.com/mqtt", "navien-client-0a1b2c3d").unwrap();
        let config = ClientConfig::default();
        assert_eq!(s.keep_alive.get(), config.keep_alive());
        assert_eq!(s.connect_timeout, config.connect_timeout());
        assert_eq!(s.operation_timeout, config.operation_timeout());
        assert_eq!(s.queue_capacity, config.queue_capacity());
        assert_eq!(s.queue_max_age, config.queue_max_age());
        assert_eq!(s.region, config.aws_region());
        assert_eq!(s.service, "iotdevicegateway");
        assert_eq!(s.client_id, "navien-client-0a1b2c3d");
        assert!(s.endpoint.needs_tls());
        assert_eq!(s.validate(), Ok(()));
    }

    #[test]
    fn the_test_constructor_refuses_what_the_configuration_refuses() {
        let refused = |url: &str, id: &str| ConnectionSettings::new(url, id).unwrap_err().option();
        assert_eq!(refused("http://example.com/mqtt", "id"), "mqtt_url");
        assert_eq!(
            refused("wss://example.com/mqtt?X-Amz-Date=1", "id"),
            "mqtt_url"
        );
        assert_eq!(refused("ws://127.0.0.1:1/mqtt", ""), "client_id");
        assert_eq!(refused("ws://127.0.0.1:1/mqtt", "a/b"), "client_id");
    }

    #[test]
    fn invalid_own_values_are_rejected_not_clamped() {
        let base = ConnectionSettings::new("ws://127.0.0.1:1/mqtt", "id").unwrap();
        let mut s = base.clone();
        s.close_timeout = Duration::ZERO;
        assert_eq!(
            s.validate(),
            Err(SettingsError::ZeroDuration {
                name: "close_timeout"
            })
        );
        let mut s = base.clone();
        s.ping_timeout = Duration::ZERO;
        assert_eq!(
            s.validate(),
            Err(SettingsError::ZeroDuration {
                name: "ping_timeout"
            })
        );
        let mut s = base.clone();
        s.max_packet_size = 1024;
        assert!(matches!(
            s.validate(),
            Err(SettingsError::PacketSizeTooSmall { .. })
        ));
        let mut s = base;
        s.request_channel_capacity = 0;
        assert_eq!(s.validate(), Err(SettingsError::ZeroChannelCapacity));
    }

    #[test]
    fn ping_timeout_never_exceeds_keep_alive() {
        let mut s = ConnectionSettings::new("ws://127.0.0.1:1/mqtt", "id").unwrap();
        s.keep_alive = KeepAlive::new(Duration::from_secs(5)).unwrap();
        s.ping_timeout = Duration::from_secs(10);
        assert_eq!(s.effective_ping_timeout(), Duration::from_secs(5));
    }
}
