//! The settings of each actor, produced from the validated configuration: every setting
//! is defaulted and validated once, by the builder, and handed on from here.

use crate::clock::SharedClock;
use crate::connection::ConnectionSettings;
use crate::policy::{HandoverConfig, PolicyConfig};
use crate::protocol::ClientId;
use crate::reconnector::ProbeTarget;

use super::ClientConfig;

impl ClientConfig {
    /// The reconnect policy's settings.
    pub fn policy_config(&self) -> PolicyConfig {
        PolicyConfig {
            initial_delay: self.initial_reconnect_delay,
            max_delay: self.max_reconnect_delay,
            multiplier: self.reconnect_multiplier,
            jitter: self.reconnect_jitter,
            deep_every: self.deep_reconnect_every,
            max_attempts: self.max_reconnect_attempts,
            min_connect_interval: self.min_connect_interval,
            stable_after: self.stable_after,
        }
    }

    /// The planned handover's settings.
    pub fn handover_config(&self) -> HandoverConfig {
        self.handover.clone()
    }

    /// The Connection's settings for `client_id` (the configured one, or one the client
    /// generated). The Connection's own bounds take their defaults; a graceful close is
    /// never allowed longer than an operation.
    pub fn connection_settings(
        &self,
        client_id: &ClientId,
        clock: SharedClock,
    ) -> ConnectionSettings {
        ConnectionSettings {
            endpoint: self.mqtt_endpoint.clone(),
            client_id: client_id.as_str().to_owned(),
            keep_alive: self.keep_alive,
            ping_timeout: ConnectionSettings::DEFAULT_PING_TIMEOUT,
            connect_timeout: self.connect_timeout,
            operation_timeout: self.operation_timeout,
            ack_timeout_floor: ConnectionSettings::DEFAULT_ACK_TIMEOUT_FLOOR,
            close_timeout: ConnectionSettings::DEFAULT_CLOSE_TIMEOUT.min(self.operation_timeout),
            max_packet_size: ConnectionSettings::DEFAULT_MAX_PACKET_SIZE,
            request_channel_capacity: ConnectionSettings::DEFAULT_REQUEST_CHANNEL_CAPACITY,
            queue_capacity: self.queue_capacity,
            queue_max_age: self.queue_max_age,
            publish_rate: self.publish_rate,
            region: self.aws_region.clone(),
            service: crate::sigv4::IOT_SERVICE.to_owned(),
            clock,
        }
    }

    /// What the Reconnector probes while the MQTT endpoint is out.
    pub fn mqtt_probe_target(&self) -> ProbeTarget {
        ProbeTarget::mqtt(&self.mqtt_endpoint)
    }

    /// What the Reconnector probes while the REST API is out.
    pub fn api_probe_target(&self) -> ProbeTarget {
        ProbeTarget::api(&self.api_url)
    }
}
