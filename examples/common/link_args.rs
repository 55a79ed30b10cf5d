//! The cloud link's tuning options (polling, keep-alive, timeouts, reconnect policy),
//! shared by the examples so that each takes them with the same flags and defaults, and
//! the seconds parser their values go through.
//!
//! Included by each example with `#[path = "../common/link_args.rs"] mod link_args;`
//! and flattened into its clap `Args`. Defaults shown in `--help` are the library's own
//! (the monitor's unit tests keep them in step with `ClientConfig::default()`), except the
//! poll interval, which is shorter on the embedded simulator so that a short demo run
//! shows several status reports.

use std::time::Duration;

use nwp500::config::ClientConfigBuilder;

/// Poll interval against the real cloud (the reference client's monitor polls every 30 s).
pub const CLOUD_POLL_INTERVAL: Duration = Duration::from_secs(30);

/// The library's default connection lifetime (AWS IoT's 24 h).
pub const DEFAULT_CONNECTION_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// The library's default handover jitter.
pub const DEFAULT_HANDOVER_JITTER: Duration = Duration::from_secs(120);

/// Poll interval on the embedded simulator.
pub const SIM_POLL_INTERVAL: Duration = Duration::from_secs(5);

/// Polling, keep-alive, timeouts and the reconnect policy.
#[derive(Debug, Clone, clap::Args)]
pub struct LinkArgs {
    /// Seconds between status requests per device [default: 30; 5 on the embedded simulator]
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub poll_interval: Option<Duration>,

    /// MQTT keep-alive, whole seconds
    #[arg(long, value_name = "SECS", value_parser = parse_seconds, default_value = "60")]
    pub keep_alive: Duration,

    /// Seconds to wait for each SUBACK/PUBACK
    #[arg(long, value_name = "SECS", value_parser = parse_seconds, default_value = "30")]
    pub operation_timeout: Duration,

    /// Base delay of the first reconnect attempt, seconds
    #[arg(long, value_name = "SECS", value_parser = parse_seconds, default_value = "1")]
    pub initial_reconnect_delay: Duration,

    /// Cap of the reconnect delay, seconds
    #[arg(long, value_name = "SECS", value_parser = parse_seconds, default_value = "120")]
    pub max_reconnect_delay: Duration,

    /// Every N-th reconnect attempt is deep (renews credentials, rebuilds the connection)
    #[arg(long, value_name = "N", default_value = "10")]
    pub deep_reconnect_every: u64,

    /// Give up after N attempts in one outage (exit code 2) [default: unlimited]
    #[arg(long, value_name = "N")]
    pub max_reconnect_attempts: Option<u64>,

    /// Minimum seconds between two connection attempts (AWS IoT allows one per second)
    #[arg(long, value_name = "SECS", value_parser = parse_seconds, default_value = "1")]
    pub min_connect_interval: Duration,

    /// Seconds a connection must stay up before the attempt counter resets
    #[arg(long, value_name = "SECS", value_parser = parse_seconds, default_value = "30")]
    pub stable_after: Duration,

    /// Credentials expiring within this many seconds are renewed first
    #[arg(long, value_name = "SECS", value_parser = parse_seconds, default_value = "300")]
    pub credential_margin: Duration,

    /// Commands queued while offline are dropped when older than this many seconds
    #[arg(long, value_name = "SECS", value_parser = parse_seconds, default_value = "300")]
    pub queue_max_age: Duration,

    /// Seconds between reachability probes while the endpoint or the REST API is out
    #[arg(long, value_name = "SECS", value_parser = parse_seconds, default_value = "2")]
    pub probe_interval: Duration,

    /// Publishes per second on one connection (AWS IoT drops publishes beyond 100/s)
    #[arg(long, value_name = "N", default_value = "50")]
    pub publish_rate: u32,

    /// The server's maximum connection lifetime, seconds (AWS IoT: 24 h): the client hands
    /// the connection over to a second one before it ends. On the embedded simulator it
    /// also sets the simulator's lifetime
    #[arg(long, value_name = "SECS", value_parser = parse_seconds, default_value = "86400")]
    pub connection_lifetime: Duration,

    /// Seconds before the end of the connection lifetime the handover begins at the latest
    #[arg(long, value_name = "SECS", value_parser = parse_seconds, default_value = "300")]
    pub handover_margin: Duration,

    /// The handover begins up to this many seconds earlier still, at random [default: 120,
    /// at most half the margin and a quarter of what the lifetime leaves beyond it]
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub handover_jitter: Option<Duration>,

    /// No planned handover: the lifetime cut is an outage, recovered as one
    #[arg(long)]
    pub no_handover: bool,

    /// Seconds between readings of the account's device list (devices added are followed,
    /// devices removed forgotten); 0: read only at start
    #[arg(long, value_name = "SECS", value_parser = parse_seconds, default_value = "3600")]
    pub device_list_interval: Duration,

    /// Subscriptions one connection may hold (AWS IoT: 50); an account with more devices
    /// than this minus one is spread over a pool of connections
    #[arg(long, value_name = "N", default_value = "50")]
    pub subscriptions_per_connection: usize,
}

impl LinkArgs {
    /// The poll interval in effect (`simulated`: on the embedded simulator).
    pub fn poll_interval_for(&self, simulated: bool) -> Duration {
        self.poll_interval.unwrap_or(if simulated {
            SIM_POLL_INTERVAL
        } else {
            CLOUD_POLL_INTERVAL
        })
    }

    /// Sets every option of this group on `builder` (`simulated`: on the embedded
    /// simulator, for the poll interval's default).
    pub fn apply(&self, builder: ClientConfigBuilder, simulated: bool) -> ClientConfigBuilder {
        builder
            .keep_alive(self.keep_alive)
            .operation_timeout(self.operation_timeout)
            .initial_reconnect_delay(self.initial_reconnect_delay)
            .max_reconnect_delay(self.max_reconnect_delay)
            .deep_reconnect_every(self.deep_reconnect_every)
            .max_reconnect_attempts(self.max_reconnect_attempts)
            .min_connect_interval(self.min_connect_interval)
            .stable_after(self.stable_after)
            .credential_margin(self.credential_margin)
            .queue_max_age(self.queue_max_age)
            .probe_interval(self.probe_interval)
            .publish_rate(self.publish_rate)
            .connection_lifetime((!self.no_handover).then_some(self.connection_lifetime))
            .handover_margin(self.handover_margin)
            .handover_jitter(self.handover_jitter())
            .subscriptions_per_connection(self.subscriptions_per_connection)
            .device_list_interval(
                (!self.device_list_interval.is_zero()).then_some(self.device_list_interval),
            )
            .poll_interval(self.poll_interval_for(simulated))
    }

    /// The handover jitter in effect: as given, or the library's 120 s default shrunk to
    /// fit a short lifetime (so `--connection-lifetime 20 --handover-margin 5` just works).
    pub fn handover_jitter(&self) -> Duration {
        self.handover_jitter.unwrap_or_else(|| {
            let left = self
                .connection_lifetime
                .saturating_sub(self.handover_margin);
            DEFAULT_HANDOVER_JITTER
                .min(self.handover_margin / 2)
                .min(left / 4)
        })
    }

    /// The simulator's lifetime cut: the given lifetime, if not the default.
    pub fn simulator_lifetime(&self) -> Option<Duration> {
        (self.connection_lifetime != DEFAULT_CONNECTION_LIFETIME)
            .then_some(self.connection_lifetime)
    }
}

/// Parses seconds with an optional fraction (`30`, `0.2`) into a `Duration`.
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!("`{text}` is not a non-negative number of seconds"));
    }
    Duration::try_from_secs_f64(secs).map_err(|_| format!("`{text}` seconds is out of range"))
}
