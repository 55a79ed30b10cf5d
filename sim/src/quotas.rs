//! AWS IoT Core's per-connection quotas as the simulator enforces them (see the crate
//! documentation, [AWS IoT quotas](crate#aws-iot-quotas), for what AWS does and what the
//! simulator does about each).

use std::time::Duration;

use serde::Serialize;

/// The per-connection quotas of AWS IoT Core's message broker. `None` lifts a quota.
///
/// [`Default`] gives AWS's numbers (every quota enforced); [`AwsQuotas::unlimited`] lifts them
/// all. Set them with [`SimConfig::quotas`](crate::SimConfig::quotas), at runtime with
/// [`Simulator::set_quotas`](crate::Simulator::set_quotas) or `POST /_sim/quotas`. A test that
/// must exceed one quota lifts that one alone:
///
/// ```
/// use nwp500_sim::{AwsQuotas, SimConfig};
///
/// let config = SimConfig {
///     // One connection carries 200 devices.
///     quotas: AwsQuotas { max_subscriptions_per_connection: None, ..AwsQuotas::default() },
///     ..SimConfig::with_devices(200)
/// };
/// assert_eq!(config.quotas.max_filters_per_subscribe, Some(8));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AwsQuotas {
    /// Most distinct topic filters one connection may hold (AWS: 50). A SUBSCRIBE that would
    /// go past it is answered with return code `0x80` for each filter beyond the quota; the
    /// filters within it are granted in the same SUBACK.
    pub max_subscriptions_per_connection: Option<usize>,
    /// Most topic filters in one SUBSCRIBE packet (AWS: 8). A larger SUBSCRIBE is not
    /// acknowledged: the connection is closed.
    pub max_filters_per_subscribe: Option<usize>,
    /// Most PUBLISH packets a connection may send in any one-second window (AWS: 100). Beyond
    /// it a publish is dropped: not delivered, and not acknowledged at QoS 1.
    pub max_inbound_publishes_per_second: Option<u32>,
    /// Most QoS 1 messages the broker has sent to one connection without a PUBACK (AWS: 100).
    /// Further deliveries wait, in order, until PUBACKs arrive.
    pub max_inflight_outbound: Option<usize>,
    /// Shortest time between two accepted CONNECTs of one client id (AWS: 1 s). A faster
    /// CONNECT is closed without a CONNACK.
    #[serde(
        rename = "min_connect_interval_per_client_id_ms",
        serialize_with = "millis"
    )]
    pub min_connect_interval_per_client_id: Option<Duration>,
}

impl Default for AwsQuotas {
    /// AWS IoT Core's quotas: 50 subscriptions per connection, 8 filters per SUBSCRIBE, 100
    /// inbound publishes per second, 100 unacknowledged outbound QoS 1 messages, one CONNECT
    /// per second per client id.
    fn default() -> Self {
        AwsQuotas {
            max_subscriptions_per_connection: Some(50),
            max_filters_per_subscribe: Some(8),
            max_inbound_publishes_per_second: Some(100),
            max_inflight_outbound: Some(100),
            min_connect_interval_per_client_id: Some(Duration::from_secs(1)),
        }
    }
}

impl AwsQuotas {
    /// Every quota lifted: the simulator behaves as a plain MQTT broker.
    pub fn unlimited() -> Self {
        AwsQuotas {
            max_subscriptions_per_connection: None,
            max_filters_per_subscribe: None,
            max_inbound_publishes_per_second: None,
            max_inflight_outbound: None,
            min_connect_interval_per_client_id: None,
        }
    }
}

fn millis<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_aws_and_unlimited_lifts_everything() {
        let q = AwsQuotas::default();
        assert_eq!(q.max_subscriptions_per_connection, Some(50));
        assert_eq!(q.max_filters_per_subscribe, Some(8));
        assert_eq!(q.max_inbound_publishes_per_second, Some(100));
        assert_eq!(q.max_inflight_outbound, Some(100));
        assert_eq!(
            q.min_connect_interval_per_client_id,
            Some(Duration::from_secs(1))
        );
        let json = serde_json::to_value(q).unwrap();
        assert_eq!(json["min_connect_interval_per_client_id_ms"], 1000);
        let none = serde_json::to_value(AwsQuotas::unlimited()).unwrap();
        assert!(none.as_object().unwrap().values().all(|v| v.is_null()));
    }
}
