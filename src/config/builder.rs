//! [`ClientConfigBuilder`]: every option with its default, validated at `build()`.

use std::num::NonZeroU32;
use std::num::NonZeroU64;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use super::{
    ClientConfig, ConfigError, KeepAlive, Secret, DEFAULT_API_URL, DEFAULT_AWS_REGION,
    DEFAULT_MQTT_URL, DEFAULT_SUBSCRIPTIONS_PER_CONNECTION,
};
use crate::endpoint::{self, MqttEndpoint};
use crate::policy::{HandoverConfig, PolicyConfig};

/// Upper bound for every duration option: far beyond any sensible value, and low
/// enough that adding it to an instant can never overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

use crate::protocol::{UnitSystem, MAX_CLIENT_ID_LEN};

/// Builds a [`ClientConfig`]. Setters take plain values; [`build`](Self::build)
/// checks them all and names the first refused option.
#[derive(Clone)]
#[must_use = "a builder does nothing until `build()` is called"]
pub struct ClientConfigBuilder {
    email: Option<String>,
    password: Option<Secret>,
    api_url: String,
    mqtt_url: String,
    aws_region: String,
    client_id: Option<String>,
    keep_alive: Duration,
    connect_timeout: Duration,
    operation_timeout: Duration,
    initial_reconnect_delay: Duration,
    max_reconnect_delay: Duration,
    reconnect_multiplier: f64,
    reconnect_jitter: f64,
    deep_reconnect_every: u64,
    max_reconnect_attempts: Option<u64>,
    min_connect_interval: Duration,
    stable_after: Duration,
    credential_margin: Duration,
    queue_capacity: usize,
    queue_max_age: Duration,
    publish_rate: u32,
    subscriptions_per_connection: usize,
    device_list_interval: Option<Duration>,
    connection_lifetime: Option<Duration>,
    handover_margin: Duration,
    handover_jitter: Duration,
    probe_interval: Duration,
    poll_interval: Duration,
    feature_poll_interval: Option<Duration>,
    handler_buffer: usize,
    event_capacity: Option<usize>,
    token_file: Option<PathBuf>,
    unit_system: UnitSystem,
    devices: Vec<String>,
}

impl std::fmt::Debug for ClientConfigBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The built config's Debug is the redacted one; a builder is shown opaquely
        // so that nothing unvalidated (or secret) leaks through it.
        f.write_str("ClientConfigBuilder { .. }")
    }
}

impl Default for ClientConfigBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientConfigBuilder {
    /// A builder holding every default.
    pub fn new() -> Self {
        Self {
            email: None,
            password: None,
            api_url: DEFAULT_API_URL.to_owned(),
            mqtt_url: DEFAULT_MQTT_URL.to_owned(),
            aws_region: DEFAULT_AWS_REGION.to_owned(),
            client_id: None,
            keep_alive: KeepAlive::DEFAULT.get(),
            connect_timeout: Duration::from_secs(20),
            operation_timeout: Duration::from_secs(30),
            initial_reconnect_delay: PolicyConfig::DEFAULT_INITIAL_DELAY,
            max_reconnect_delay: PolicyConfig::DEFAULT_MAX_DELAY,
            reconnect_multiplier: PolicyConfig::DEFAULT_MULTIPLIER,
            reconnect_jitter: PolicyConfig::DEFAULT_JITTER,
            deep_reconnect_every: PolicyConfig::DEFAULT_DEEP_EVERY.get(),
            max_reconnect_attempts: None,
            min_connect_interval: PolicyConfig::DEFAULT_MIN_CONNECT_INTERVAL,
            stable_after: PolicyConfig::DEFAULT_STABLE_AFTER,
            credential_margin: Duration::from_secs(300),
            queue_capacity: 100,
            publish_rate: crate::connection::DEFAULT_PUBLISH_RATE.get(),
            queue_max_age: Duration::from_secs(300),
            subscriptions_per_connection: DEFAULT_SUBSCRIPTIONS_PER_CONNECTION,
            device_list_interval: Some(Duration::from_secs(3600)),
            connection_lifetime: HandoverConfig::default().lifetime,
            handover_margin: HandoverConfig::DEFAULT_MARGIN,
            handover_jitter: HandoverConfig::DEFAULT_JITTER,
            probe_interval: Duration::from_secs(2),
            poll_interval: Duration::from_secs(30),
            feature_poll_interval: None,
            handler_buffer: 64,
            event_capacity: None,
            token_file: None,
            unit_system: UnitSystem::default(),
            devices: Vec::new(),
        }
    }

    /// Account email and password for sign-in. Default: none (not signed in; only
    /// usable against a broker that needs no AWS credentials, or with a token file).
    /// Both must be non-empty.
    pub fn credentials(mut self, email: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.email = Some(email.into());
        self.password = Some(password.into());
        self
    }

    /// REST base URL (`http`/`https`). Default [`DEFAULT_API_URL`].
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = url.into();
        self
    }

    /// MQTT URL: `wss://host/mqtt` (AWS IoT, SigV4-presigned), `ws://host:port/path`,
    /// or `mqtt://host:port` (see [`MqttEndpoint`] for the schemes and their default
    /// ports). Default [`DEFAULT_MQTT_URL`]. WebSocket URLs carry no query.
    pub fn mqtt_url(mut self, url: impl Into<String>) -> Self {
        self.mqtt_url = url.into();
        self
    }

    /// AWS region for SigV4 signing. Default [`DEFAULT_AWS_REGION`]. Non-empty.
    pub fn aws_region(mut self, region: impl Into<String>) -> Self {
        self.aws_region = region.into();
        self
    }

    /// A fixed MQTT client id. Default: none, each client instance generates its
    /// own. 1–128 printable ASCII characters without `/`, `+`, `#` (it appears in
    /// topics). Two clients with one id kick each other off the broker.
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.client_id = Some(id.into());
        self
    }

    /// MQTT keep-alive. Default 60 s. 1 s–1200 s, whole seconds (AWS IoT itself
    /// accepts 30–1200 s); see [`KeepAlive`].
    pub fn keep_alive(mut self, keep_alive: Duration) -> Self {
        self.keep_alive = keep_alive;
        self
    }

    /// Bound on TCP + TLS + WebSocket upgrade + CONNACK. Default 20 s. Non-zero.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Bound on each SUBACK / PUBACK / UNSUBACK wait. Default 30 s. Non-zero.
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = timeout;
        self
    }

    /// Base delay of reconnect attempt 1. Default 1 s. Non-zero.
    pub fn initial_reconnect_delay(mut self, delay: Duration) -> Self {
        self.initial_reconnect_delay = delay;
        self
    }

    /// Cap of the reconnect delay (before and after jitter). Default 120 s.
    /// At least `initial_reconnect_delay`.
    pub fn max_reconnect_delay(mut self, delay: Duration) -> Self {
        self.max_reconnect_delay = delay;
        self
    }

    /// Growth factor of the reconnect delay. Default 2. Finite, at least 1.
    pub fn reconnect_multiplier(mut self, multiplier: f64) -> Self {
        self.reconnect_multiplier = multiplier;
        self
    }

    /// Jitter factor: each delay is scaled by a random factor in `[1 − f, 1 + f)`.
    /// Default 0.5. Within `[0, 1]`.
    pub fn reconnect_jitter(mut self, jitter: f64) -> Self {
        self.reconnect_jitter = jitter;
        self
    }

    /// Every `n`-th attempt of an outage is a deep reconnect. Default 10. At least 1.
    pub fn deep_reconnect_every(mut self, n: u64) -> Self {
        self.deep_reconnect_every = n;
        self
    }

    /// Give up after this many attempts. Default `None` (retry forever).
    /// `Some(0)` is refused: use `None`, or do not start the client.
    pub fn max_reconnect_attempts(mut self, limit: Option<u64>) -> Self {
        self.max_reconnect_attempts = limit;
        self
    }

    /// Minimum time between two CONNECTs. Default 1 s (AWS IoT allows one CONNECT
    /// per second per client id; lower it only for local brokers). May be zero.
    pub fn min_connect_interval(mut self, interval: Duration) -> Self {
        self.min_connect_interval = interval;
        self
    }

    /// How long a connection must stay up before the attempt counter resets.
    /// Default 30 s. Non-zero.
    pub fn stable_after(mut self, window: Duration) -> Self {
        self.stable_after = window;
        self
    }

    /// Tokens and AWS credentials expiring within this margin count as expired.
    /// Default 300 s. May be zero.
    pub fn credential_margin(mut self, margin: Duration) -> Self {
        self.credential_margin = margin;
        self
    }

    /// Offline command queue capacity; overflow drops the oldest. Default 100. 0
    /// disables queueing: a command sent while offline fails with "not connected".
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.queue_capacity = capacity;
        self
    }

    /// Publishes per second on one connection, with as many saved up for a burst (so at
    /// most twice this in any one second). Default 50: within AWS IoT Core's quota of 100
    /// inbound publishes per second per connection, beyond which AWS drops publishes
    /// without acknowledging them. Publishes beyond the rate wait in the offline queue,
    /// in order. At least 1.
    pub fn publish_rate(mut self, per_second: u32) -> Self {
        self.publish_rate = per_second;
        self
    }

    /// Subscriptions one connection may hold: AWS IoT Core allows 50. The client
    /// subscribes one filter per device and one for its own answers, so a connection
    /// serves this many devices minus one (49); an account with more devices is spread
    /// over a pool of connections, each with its own client id. Default 50. At least 2.
    pub fn subscriptions_per_connection(mut self, quota: usize) -> Self {
        self.subscriptions_per_connection = quota;
        self
    }

    /// How often the account's device list is read again (signed-in clients): a water
    /// heater added to the account is followed (placed on a connection with room, or a
    /// new one), one removed is forgotten, without disturbing the others
    /// (`Event::DevicesChanged`). Default `Some(1 h)`; `None`: the list read at start is
    /// kept. Non-zero when set.
    pub fn device_list_interval(mut self, interval: Option<Duration>) -> Self {
        self.device_list_interval = interval;
        self
    }

    /// The server's maximum connection lifetime: AWS IoT Core closes every connection
    /// after 24 hours. Before that, `handover_margin` ahead, the client hands the
    /// connection over to a second one (make-before-break: the new connection is opened
    /// and subscribed before publishing moves to it and the old one is closed), so the
    /// cut is not an outage. Default `Some(24 h)`. `None`: no planned handover (the cut is
    /// an ordinary interruption and recovers as one). Non-zero, longer than
    /// `handover_margin` plus `handover_jitter`.
    pub fn connection_lifetime(mut self, lifetime: Option<Duration>) -> Self {
        self.connection_lifetime = lifetime;
        self
    }

    /// How long before the end of `connection_lifetime` the handover begins at the
    /// latest. Default 300 s. May be zero (then the handover races the cut).
    pub fn handover_margin(mut self, margin: Duration) -> Self {
        self.handover_margin = margin;
        self
    }

    /// The handover begins up to this much earlier than `handover_margin` asks, at
    /// random, so that a fleet of clients started together does not hand over at the
    /// same moment. Default 120 s. May be zero.
    pub fn handover_jitter(mut self, jitter: Duration) -> Self {
        self.handover_jitter = jitter;
        self
    }

    /// Queued commands older than this are dropped, not sent. Default 300 s.
    /// Non-zero.
    pub fn queue_max_age(mut self, age: Duration) -> Self {
        self.queue_max_age = age;
        self
    }

    /// Interval of reachability probes while the network is down. Default 5 s.
    /// Non-zero.
    pub fn probe_interval(mut self, interval: Duration) -> Self {
        self.probe_interval = interval;
        self
    }

    /// Interval of status requests per device. Default 30 s. Non-zero.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Interval of feature (device info) requests per device. Default `None`: every
    /// 30 minutes (how long the reference client trusts a feature report); a feature
    /// is also requested at once when a command needs one that is not known yet.
    /// Non-zero when set.
    pub fn feature_poll_interval(mut self, interval: Option<Duration>) -> Self {
        self.feature_poll_interval = interval;
        self
    }

    /// Capacity of each handler's delivery buffer. Default 64. At least 1.
    pub fn handler_buffer(mut self, capacity: usize) -> Self {
        self.handler_buffer = capacity;
        self
    }

    /// Capacity of the event bus (how many events a receiver of
    /// [`Client::events`](crate::client::Client::events) may fall behind before it lags and
    /// is told how many it missed). Default `None`: sized from the device count,
    /// `default_event_capacity` — enough for the
    /// burst of a first connection (a status and a feature per device) to wait unread.
    /// At least 1 when set.
    pub fn event_capacity(mut self, capacity: Option<usize>) -> Self {
        self.event_capacity = capacity;
        self
    }

    /// Persist tokens in this file. Default `None` (not persisted). Non-empty path.
    pub fn token_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.token_file = Some(path.into());
        self
    }

    /// The unit system decoded values are presented in (and command arguments read in,
    /// by applications that take user input). Default US customary (°F).
    pub fn unit_system(mut self, unit: UnitSystem) -> Self {
        self.unit_system = unit;
        self
    }

    /// Use only these devices (MACs; `:` and `-` separators and upper case are
    /// accepted and normalised). Default: empty, meaning every device of the
    /// account. Each must be 12 hex digits.
    pub fn devices<I, S>(mut self, macs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.devices = macs.into_iter().map(Into::into).collect();
        self
    }

    /// Validates every option.
    pub fn build(self) -> Result<ClientConfig, ConfigError> {
        let (email, password) = check_credentials(self.email, self.password)?;
        let api_url = parse_url(
            "api_url",
            &self.api_url,
            &["http", "https"],
            "an http(s) URL with a host",
        )?;
        let mqtt_endpoint = MqttEndpoint::parse(&self.mqtt_url).map_err(|_| {
            ConfigError::invalid(
                "mqtt_url",
                quoted(&self.mqtt_url),
                endpoint::EXPECTED.as_str(),
            )
        })?;
        if self.aws_region.trim().is_empty() {
            return Err(ConfigError::invalid(
                "aws_region",
                "\"\"",
                "a non-empty region",
            ));
        }
        let client_id = self.client_id.map(check_client_id).transpose()?;
        let keep_alive = KeepAlive::new(self.keep_alive)?;
        let nonzero = [
            ("connect_timeout", self.connect_timeout),
            ("operation_timeout", self.operation_timeout),
            ("initial_reconnect_delay", self.initial_reconnect_delay),
            ("stable_after", self.stable_after),
            ("queue_max_age", self.queue_max_age),
            ("probe_interval", self.probe_interval),
            ("poll_interval", self.poll_interval),
        ];
        for (option, value) in nonzero {
            check_duration(option, value, false)?;
        }
        check_duration("max_reconnect_delay", self.max_reconnect_delay, false)?;
        check_duration("min_connect_interval", self.min_connect_interval, true)?;
        check_duration("credential_margin", self.credential_margin, true)?;
        if let Some(interval) = self.feature_poll_interval {
            check_duration("feature_poll_interval", interval, false)?;
        }
        if let Some(interval) = self.device_list_interval {
            check_duration("device_list_interval", interval, false)?;
        }
        let handover = check_handover(
            self.connection_lifetime,
            self.handover_margin,
            self.handover_jitter,
        )?;
        if self.max_reconnect_delay < self.initial_reconnect_delay {
            return Err(ConfigError::invalid(
                "max_reconnect_delay",
                format!("{:?}", self.max_reconnect_delay),
                "at least initial_reconnect_delay",
            ));
        }
        if !(self.reconnect_multiplier.is_finite() && self.reconnect_multiplier >= 1.0) {
            return Err(ConfigError::invalid(
                "reconnect_multiplier",
                self.reconnect_multiplier.to_string(),
                "a finite number of at least 1",
            ));
        }
        if !(0.0..=1.0).contains(&self.reconnect_jitter) {
            return Err(ConfigError::invalid(
                "reconnect_jitter",
                self.reconnect_jitter.to_string(),
                "a number within [0, 1]",
            ));
        }
        let deep_reconnect_every = NonZeroU64::new(self.deep_reconnect_every)
            .ok_or_else(|| ConfigError::invalid("deep_reconnect_every", "0", "at least 1"))?;
        let max_reconnect_attempts = match self.max_reconnect_attempts {
            None => None,
            Some(limit) => Some(NonZeroU64::new(limit).ok_or_else(|| {
                ConfigError::invalid(
                    "max_reconnect_attempts",
                    "Some(0)",
                    "None (unlimited) or at least 1",
                )
            })?),
        };
        check_count("handler_buffer", self.handler_buffer)?;
        if self.subscriptions_per_connection < 2 {
            return Err(ConfigError::invalid(
                "subscriptions_per_connection",
                self.subscriptions_per_connection.to_string(),
                "at least 2 (one device and the client's answers)",
            ));
        }
        let publish_rate = NonZeroU32::new(self.publish_rate)
            .ok_or_else(|| ConfigError::invalid("publish_rate", "0", "at least 1 per second"))?;
        if self.event_capacity == Some(0) {
            return Err(ConfigError::invalid(
                "event_capacity",
                "Some(0)",
                "None (sized from the device count) or at least 1",
            ));
        }
        if self
            .token_file
            .as_ref()
            .is_some_and(|p| p.as_os_str().is_empty())
        {
            return Err(ConfigError::invalid(
                "token_file",
                "\"\"",
                "a non-empty path",
            ));
        }
        let devices = normalize_devices(self.devices)?;
        Ok(ClientConfig {
            email,
            password,
            api_url,
            mqtt_endpoint,
            aws_region: self.aws_region,
            client_id,
            keep_alive,
            connect_timeout: self.connect_timeout,
            operation_timeout: self.operation_timeout,
            initial_reconnect_delay: self.initial_reconnect_delay,
            max_reconnect_delay: self.max_reconnect_delay,
            reconnect_multiplier: self.reconnect_multiplier,
            reconnect_jitter: self.reconnect_jitter,
            deep_reconnect_every,
            max_reconnect_attempts,
            min_connect_interval: self.min_connect_interval,
            stable_after: self.stable_after,
            credential_margin: self.credential_margin,
            queue_capacity: self.queue_capacity,
            queue_max_age: self.queue_max_age,
            publish_rate,
            subscriptions_per_connection: self.subscriptions_per_connection,
            device_list_interval: self.device_list_interval,
            handover,
            probe_interval: self.probe_interval,
            poll_interval: self.poll_interval,
            feature_poll_interval: self.feature_poll_interval,
            handler_buffer: self.handler_buffer,
            event_capacity: self.event_capacity,
            token_file: self.token_file,
            unit_system: self.unit_system,
            devices,
        })
    }

    /// The all-defaults configuration. Only constants are involved and a unit test
    /// builds them, so the failure branch is unreachable.
    pub(super) fn defaults(self) -> ClientConfig {
        match self.build() {
            Ok(config) => config,
            Err(error) => unreachable!("the default configuration is invalid: {error}"),
        }
    }
}

fn check_credentials(
    email: Option<String>,
    password: Option<Secret>,
) -> Result<(Option<String>, Option<Secret>), ConfigError> {
    if email.as_deref().is_some_and(|e| e.trim().is_empty()) {
        return Err(ConfigError::invalid(
            "credentials",
            "empty email",
            "a non-empty email",
        ));
    }
    if password.as_ref().is_some_and(Secret::is_empty) {
        return Err(ConfigError::invalid(
            "credentials",
            "<redacted>",
            "a non-empty password",
        ));
    }
    Ok((email, password))
}

fn parse_url(
    option: &'static str,
    text: &str,
    schemes: &[&str],
    expected: &'static str,
) -> Result<Url, ConfigError> {
    let url = Url::parse(text).map_err(|_| ConfigError::invalid(option, quoted(text), expected))?;
    if !schemes.contains(&url.scheme()) || url.host_str().is_none_or(str::is_empty) {
        return Err(ConfigError::invalid(option, quoted(text), expected));
    }
    Ok(url)
}

fn check_client_id(id: String) -> Result<String, ConfigError> {
    let valid = !id.is_empty()
        && id.len() <= MAX_CLIENT_ID_LEN
        && id
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '/' | '+' | '#'));
    if valid {
        Ok(id)
    } else {
        Err(ConfigError::invalid(
            "client_id",
            quoted(&id),
            "1-128 printable ASCII characters without '/', '+' or '#'",
        ))
    }
}

fn check_duration(option: &'static str, value: Duration, zero_ok: bool) -> Result<(), ConfigError> {
    if value.is_zero() && !zero_ok {
        return Err(ConfigError::invalid(option, "0s", "a non-zero duration"));
    }
    if value > MAX_DURATION {
        return Err(ConfigError::invalid(
            option,
            format!("{value:?}"),
            "at most 365 days",
        ));
    }
    Ok(())
}

fn check_handover(
    lifetime: Option<Duration>,
    margin: Duration,
    jitter: Duration,
) -> Result<HandoverConfig, ConfigError> {
    check_duration("handover_margin", margin, true)?;
    check_duration("handover_jitter", jitter, true)?;
    if let Some(lifetime) = lifetime {
        check_duration("connection_lifetime", lifetime, false)?;
        if margin.saturating_add(jitter) >= lifetime {
            return Err(ConfigError::invalid(
                "connection_lifetime",
                format!("{lifetime:?}"),
                "longer than handover_margin plus handover_jitter",
            ));
        }
    }
    Ok(HandoverConfig {
        lifetime,
        margin,
        jitter,
    })
}

fn check_count(option: &'static str, value: usize) -> Result<(), ConfigError> {
    if value == 0 {
        Err(ConfigError::invalid(option, "0", "at least 1"))
    } else {
        Ok(())
    }
}

/// `AA:BB:CC:DD:EE:FF` / `aa-bb-…` / `aabbccddeeff` → `aabbccddeeff`; duplicates
/// removed (first occurrence kept).
fn normalize_devices(raw: Vec<String>) -> Result<Vec<String>, ConfigError> {
    let mut devices: Vec<String> = Vec::with_capacity(raw.len());
    for text in raw {
        let mac: String = text
            .trim()
            .chars()
            .filter(|c| !matches!(c, ':' | '-'))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if mac.len() != 12 || !mac.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(ConfigError::invalid(
                "devices",
                quoted(&text),
                "MAC addresses of 12 hex digits",
            ));
        }
        if !devices.contains(&mac) {
            devices.push(mac);
        }
    }
    Ok(devices)
}

fn quoted(text: &str) -> String {
    format!("{text:?}")
}
