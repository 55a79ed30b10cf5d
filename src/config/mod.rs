//! Client configuration: [`ClientConfig`], built and validated by
//! [`ClientConfigBuilder`]. Every option, its default and its accepted range is
//! documented on the builder method that sets it.
//!
//! ```
//! use std::time::Duration;
//! use nwp500::config::ClientConfig;
//!
//! let config = ClientConfig::builder()
//!     .credentials("user@example.com", "correct horse")
//!     .keep_alive(Duration::from_secs(30))
//!     .deep_reconnect_every(5)
//!     .build()
//!     .unwrap();
//! assert_eq!(config.policy_config().deep_every.get(), 5);
//! assert!(!format!("{config:?}").contains("correct horse"));
//!
//! let refused = ClientConfig::builder().deep_reconnect_every(0).build().unwrap_err();
//! assert_eq!(refused.option(), "deep_reconnect_every");
//! ```

mod actor_settings;
mod builder;
mod error;
mod keep_alive;

#[cfg(test)]
mod tests;

use std::fmt;
use std::num::{NonZeroU32, NonZeroU64};
use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use crate::auth::redact_email;
pub use crate::auth::Secret;
use crate::endpoint::MqttEndpoint;
use crate::policy::HandoverConfig;
use crate::protocol::{redact_mac, UnitSystem};
pub use builder::ClientConfigBuilder;
pub use error::ConfigError;
pub use keep_alive::KeepAlive;

/// Default REST base URL (docs/protocol.md §1).
pub const DEFAULT_API_URL: &str = "https://nlus.naviensmartcontrol.com/api/v2.1";
/// Default MQTT URL: AWS IoT over WebSocket (docs/protocol.md §3.1).
pub const DEFAULT_MQTT_URL: &str = "wss://a1t30mldyslmuq-ats.iot.us-east-1.amazonaws.com/mqtt";
/// AWS IoT Core's quota of subscriptions per connection.
pub const DEFAULT_SUBSCRIPTIONS_PER_CONNECTION: usize = 50;
/// Default AWS region used for SigV4 signing.
pub const DEFAULT_AWS_REGION: &str = crate::sigv4::AWS_REGION;

/// A validated client configuration. Build one with [`ClientConfig::builder`];
/// [`ClientConfig::default`] is the all-defaults configuration (not signed in).
#[derive(Clone, PartialEq)]
pub struct ClientConfig {
    pub(crate) email: Option<String>,
    pub(crate) password: Option<Secret>,
    pub(crate) api_url: Url,
    pub(crate) mqtt_endpoint: MqttEndpoint,
    pub(crate) aws_region: String,
    pub(crate) client_id: Option<String>,
    pub(crate) keep_alive: KeepAlive,
    pub(crate) connect_timeout: Duration,
    pub(crate) operation_timeout: Duration,
    pub(crate) initial_reconnect_delay: Duration,
    pub(crate) max_reconnect_delay: Duration,
    pub(crate) reconnect_multiplier: f64,
    pub(crate) reconnect_jitter: f64,
    pub(crate) deep_reconnect_every: NonZeroU64,
    pub(crate) max_reconnect_attempts: Option<NonZeroU64>,
    pub(crate) min_connect_interval: Duration,
    pub(crate) stable_after: Duration,
    pub(crate) credential_margin: Duration,
    pub(crate) queue_capacity: usize,
    pub(crate) publish_rate: NonZeroU32,
    pub(crate) subscriptions_per_connection: usize,
    pub(crate) device_list_interval: Option<Duration>,
    pub(crate) handover: HandoverConfig,
    pub(crate) queue_max_age: Duration,
    pub(crate) probe_interval: Duration,
    pub(crate) poll_interval: Duration,
    pub(crate) feature_poll_interval: Option<Duration>,
    pub(crate) handler_buffer: usize,
    pub(crate) event_capacity: Option<usize>,
    pub(crate) token_file: Option<PathBuf>,
    pub(crate) unit_system: UnitSystem,
    pub(crate) devices: Vec<String>,
}

impl ClientConfig {
    /// A builder holding every default.
    pub fn builder() -> ClientConfigBuilder {
        ClientConfigBuilder::new()
    }

    /// The account email, if signed-in operation was configured.
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    /// The account password (redacted in `Debug`).
    pub fn password(&self) -> Option<&Secret> {
        self.password.as_ref()
    }

    /// REST base URL.
    pub fn api_url(&self) -> &Url {
        &self.api_url
    }

    /// MQTT URL (`wss://`, `ws://` or `mqtt://`).
    pub fn mqtt_url(&self) -> &Url {
        self.mqtt_endpoint.url()
    }

    /// The MQTT endpoint the URL names (transport, host, port).
    pub fn mqtt_endpoint(&self) -> &MqttEndpoint {
        &self.mqtt_endpoint
    }

    /// AWS region for SigV4 signing.
    pub fn aws_region(&self) -> &str {
        &self.aws_region
    }

    /// The configured MQTT client id; `None` means each client instance generates
    /// its own (`navien-client-` and 8 random hex digits).
    pub fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    /// MQTT keep-alive (whole seconds).
    pub fn keep_alive(&self) -> Duration {
        self.keep_alive.get()
    }

    /// Bound on TCP + TLS + WebSocket upgrade + CONNACK.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// Bound on every SUBACK / PUBACK / UNSUBACK wait.
    pub fn operation_timeout(&self) -> Duration {
        self.operation_timeout
    }

    /// Base delay of reconnect attempt 1.
    pub fn initial_reconnect_delay(&self) -> Duration {
        self.initial_reconnect_delay
    }

    /// Cap of the reconnect delay.
    pub fn max_reconnect_delay(&self) -> Duration {
        self.max_reconnect_delay
    }

    /// Growth factor of the reconnect delay.
    pub fn reconnect_multiplier(&self) -> f64 {
        self.reconnect_multiplier
    }

    /// Jitter factor of the reconnect delay.
    pub fn reconnect_jitter(&self) -> f64 {
        self.reconnect_jitter
    }

    /// Every this many attempts, a deep reconnect.
    pub fn deep_reconnect_every(&self) -> NonZeroU64 {
        self.deep_reconnect_every
    }

    /// Attempt limit (`None`: unlimited).
    pub fn max_reconnect_attempts(&self) -> Option<NonZeroU64> {
        self.max_reconnect_attempts
    }

    /// Minimum time between two CONNECTs.
    pub fn min_connect_interval(&self) -> Duration {
        self.min_connect_interval
    }

    /// How long a connection must stay up before the attempt counter resets.
    pub fn stable_after(&self) -> Duration {
        self.stable_after
    }

    /// Credentials expiring within this margin count as expired.
    pub fn credential_margin(&self) -> Duration {
        self.credential_margin
    }

    /// Offline command queue capacity.
    pub fn queue_capacity(&self) -> usize {
        self.queue_capacity
    }

    /// Publishes per second on one connection (the bucket holds as many).
    pub fn publish_rate(&self) -> NonZeroU32 {
        self.publish_rate
    }

    /// Subscriptions one connection may hold (AWS IoT Core: 50).
    pub fn subscriptions_per_connection(&self) -> usize {
        self.subscriptions_per_connection
    }

    /// How often the account's device list is read again (`None`: never).
    pub fn device_list_interval(&self) -> Option<Duration> {
        self.device_list_interval
    }

    /// Devices one connection serves: one subscription each, plus one for the client's
    /// own answers.
    pub fn devices_per_connection(&self) -> usize {
        self.subscriptions_per_connection.saturating_sub(1).max(1)
    }

    /// The server's maximum connection lifetime (`None`: no planned handover).
    pub fn connection_lifetime(&self) -> Option<Duration> {
        self.handover.lifetime
    }

    /// How long before the end of the connection lifetime the handover begins at the latest.
    pub fn handover_margin(&self) -> Duration {
        self.handover.margin
    }

    /// The random lead added to the handover margin.
    pub fn handover_jitter(&self) -> Duration {
        self.handover.jitter
    }

    /// Queued commands older than this are dropped at flush time.
    pub fn queue_max_age(&self) -> Duration {
        self.queue_max_age
    }

    /// Interval of reachability probes after a network-level failure.
    pub fn probe_interval(&self) -> Duration {
        self.probe_interval
    }

    /// Interval of status requests per device.
    pub fn poll_interval(&self) -> Duration {
        self.poll_interval
    }

    /// Interval of feature requests per device (`None`: the default, every 30 minutes).
    pub fn feature_poll_interval(&self) -> Option<Duration> {
        self.feature_poll_interval
    }

    /// Capacity of each handler's delivery buffer.
    pub fn handler_buffer(&self) -> usize {
        self.handler_buffer
    }

    /// Event bus capacity as set (`None`: sized from the device count at start).
    pub fn event_capacity(&self) -> Option<usize> {
        self.event_capacity
    }

    /// Where tokens are persisted (`None`: not persisted).
    pub fn token_file(&self) -> Option<&Path> {
        self.token_file.as_deref()
    }

    /// The unit system decoded values are presented in.
    pub fn unit_system(&self) -> UnitSystem {
        self.unit_system
    }

    /// Devices to use, as normalised MACs (12 lowercase hex digits); empty means all
    /// devices of the account.
    pub fn devices(&self) -> &[String] {
        &self.devices
    }

    /// Whether `mac` (normalised) passes the device filter.
    pub fn wants_device(&self, mac: &str) -> bool {
        self.devices.is_empty() || self.devices.iter().any(|d| d == mac)
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfigBuilder::new().defaults()
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let devices: Vec<String> = self.devices.iter().map(|m| redact_mac(m)).collect();
        f.debug_struct("ClientConfig")
            .field("email", &self.email.as_deref().map(redact_email))
            .field("password", &self.password)
            .field("api_url", &self.api_url.as_str())
            .field("mqtt_url", &self.mqtt_endpoint.url().as_str())
            .field("aws_region", &self.aws_region)
            .field("client_id", &self.client_id)
            .field("keep_alive", &self.keep_alive.get())
            .field("connect_timeout", &self.connect_timeout)
            .field("operation_timeout", &self.operation_timeout)
            .field("initial_reconnect_delay", &self.initial_reconnect_delay)
            .field("max_reconnect_delay", &self.max_reconnect_delay)
            .field("reconnect_multiplier", &self.reconnect_multiplier)
            .field("reconnect_jitter", &self.reconnect_jitter)
            .field("deep_reconnect_every", &self.deep_reconnect_every)
            .field("max_reconnect_attempts", &self.max_reconnect_attempts)
            .field("min_connect_interval", &self.min_connect_interval)
            .field("stable_after", &self.stable_after)
            .field("credential_margin", &self.credential_margin)
            .field("queue_capacity", &self.queue_capacity)
            .field("publish_rate", &self.publish_rate)
            .field("handover", &self.handover)
            .field(
                "subscriptions_per_connection",
                &self.subscriptions_per_connection,
            )
            .field("device_list_interval", &self.device_list_interval)
            .field("queue_max_age", &self.queue_max_age)
            .field("probe_interval", &self.probe_interval)
            .field("poll_interval", &self.poll_interval)
            .field("feature_poll_interval", &self.feature_poll_interval)
            .field("handler_buffer", &self.handler_buffer)
            .field("event_capacity", &self.event_capacity)
            .field("token_file", &self.token_file)
            .field("unit_system", &self.unit_system)
            .field("devices", &devices)
            .finish()
    }
}
