//! Command-line options and how they become a [`ClientConfig`].

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use nwp500::config::{ClientConfig, ConfigError};
use nwp500::UnitSystem;

use crate::cloud_args::{CloudArgs, Endpoint};

/// Poll interval against the real cloud.
pub const CLOUD_POLL_INTERVAL: Duration = Duration::from_secs(30);

/// Poll interval on the embedded simulator, so the page visibly moves.
pub const SIM_POLL_INTERVAL: Duration = Duration::from_secs(5);

/// Longest history window accepted (`--history-hours`): a week.
pub const MAX_HISTORY_HOURS: f64 = 168.0;

const AFTER_HELP: &str = r#"Without --email/--password (or NAVIEN_EMAIL/NAVIEN_PASSWORD) the dashboard starts an embedded
simulated NaviLink cloud with one water heater and shows that.

Endpoints: GET / (the page), GET /api/status (JSON), GET /api/history (every kept sample),
GET /events (server-sent events), POST /api/devices/MAC/temperature {"temperature": 125},
POST /api/devices/MAC/mode {"mode": "energy_saver"}, POST /api/devices/MAC/vacation {"days": 7}.
The first line on stdout is `dashboard listening on http://ADDRESS`.
Log verbosity: RUST_LOG (default `warn,dashboard=info`); logs go to stderr."#;

/// Web dashboard for Navien NWP500 water heaters: live status, history charts, the
/// connection's story and controls, over server-sent events.
#[derive(Debug, Clone, Parser)]
#[command(name = "dashboard", version, after_help = AFTER_HELP)]
pub struct Args {
    /// Account, endpoints, client id, device filter (shared with the other examples).
    #[command(flatten)]
    pub cloud: CloudArgs,

    /// Address the web server listens on (port 0: any free port)
    #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Seconds between status requests per device [default: 30; 5 on the embedded simulator]
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub poll_interval: Option<Duration>,

    /// Temperatures in °C [default: °F]
    #[arg(long)]
    pub celsius: bool,

    /// Hours of history the charts and the connection story keep (fractions allowed,
    /// at most 168)
    #[arg(long, value_name = "HOURS", default_value = "24", value_parser = parse_hours)]
    pub history_hours: Duration,

    /// Samples kept per device, whatever the window (at least 2)
    #[arg(long, value_name = "COUNT", default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(2..))]
    pub history_points: u32,
}

/// An option combination or value that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ArgError {
    /// Options that do not go together (half an account, a URL without an account).
    #[error("{0}")]
    Combination(String),
    /// The library refused a value (the message names the flag).
    #[error("invalid option: {0}")]
    Config(#[from] crate::cloud_args::ArgError),
}

impl From<ConfigError> for ArgError {
    fn from(error: ConfigError) -> Self {
        Self::Config(crate::cloud_args::ArgError(error))
    }
}

impl Args {
    /// The cloud endpoint the options name; `Ok(None)` without credentials (then the
    /// embedded simulator is used).
    pub fn cloud_endpoint(&self) -> Result<Option<Endpoint>, ArgError> {
        self.cloud
            .check("the dashboard")
            .map_err(ArgError::Combination)?;
        Ok(self.cloud.cloud_endpoint())
    }

    /// The client configuration for these options and `endpoint`.
    pub fn client_config(&self, endpoint: &Endpoint) -> Result<ClientConfig, ArgError> {
        let poll_interval = self.poll_interval.unwrap_or(if endpoint.simulated {
            SIM_POLL_INTERVAL
        } else {
            CLOUD_POLL_INTERVAL
        });
        let unit = if self.celsius {
            UnitSystem::Metric
        } else {
            UnitSystem::UsCustomary
        };
        Ok(self
            .cloud
            .builder(endpoint)
            .poll_interval(poll_interval)
            .unit_system(unit)
            .build()?)
    }
}

/// Parses seconds with an optional fraction (`30`, `0.2`).
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

/// Parses a history window in hours (`24`, `0.05`), above zero and at most
/// [`MAX_HISTORY_HOURS`].
pub fn parse_hours(text: &str) -> Result<Duration, String> {
    let hours: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of hours"))?;
    if !(hours > 0.0 && hours <= MAX_HISTORY_HOURS) {
        return Err(format!(
            "`{text}`: the history window must be above 0 and at most {MAX_HISTORY_HOURS} hours"
        ));
    }
    Duration::try_from_secs_f64(hours * 3600.0)
        .map_err(|_| format!("`{text}` hours is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(argv: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("dashboard").chain(argv.iter().copied()))
    }

    fn sim_endpoint() -> Endpoint {
        Endpoint {
            api_url: "http://127.0.0.1:9/api/v2.1".into(),
            mqtt_url: "ws://127.0.0.1:8/mqtt".into(),
            email: "user@example.com".into(),
            password: "pw".into(),
            simulated: true,
        }
    }

    #[test]
    fn defaults_are_the_simulator_on_port_8080_with_a_short_poll() {
        let args = parse(&[]).unwrap();
        assert_eq!(args.bind, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(args.cloud_endpoint().unwrap(), None);
        let config = args.client_config(&sim_endpoint()).unwrap();
        assert_eq!(config.poll_interval(), SIM_POLL_INTERVAL);
        assert_eq!(config.unit_system(), UnitSystem::UsCustomary);
        assert_eq!(config.api_url().as_str(), "http://127.0.0.1:9/api/v2.1");
        assert_eq!(args.history_hours, Duration::from_secs(24 * 3600));
        assert_eq!(args.history_points, 20_000);
    }

    #[test]
    fn the_history_window_takes_fractions_within_a_week() {
        let args = parse(&["--history-hours", "0.05", "--history-points", "100"]).unwrap();
        assert_eq!(args.history_hours, Duration::from_secs(180));
        assert_eq!(args.history_points, 100);
        for bad in ["0", "-1", "169", "a day", "NaN"] {
            assert!(parse(&["--history-hours", bad]).is_err(), "{bad}");
        }
        assert!(parse(&["--history-points", "1"]).is_err());
    }

    #[test]
    fn an_account_uses_the_cloud_defaults_unless_overridden() {
        let args = parse(&["--email", "a@b.c", "--password", "pw"]).unwrap();
        let endpoint = args.cloud_endpoint().unwrap().unwrap();
        assert_eq!(endpoint.api_url, nwp500::config::DEFAULT_API_URL);
        assert_eq!(endpoint.mqtt_url, nwp500::config::DEFAULT_MQTT_URL);
        assert!(!endpoint.simulated);
        let config = args.client_config(&endpoint).unwrap();
        assert_eq!(config.poll_interval(), CLOUD_POLL_INTERVAL);
        assert_eq!(config.email(), Some("a@b.c"));

        let args = parse(&[
            "--email",
            "a@b.c",
            "--password",
            "pw",
            "--api-url",
            "http://127.0.0.1:1/api/v2.1",
            "--mqtt-url",
            "ws://127.0.0.1:2/mqtt",
            "--bind",
            "127.0.0.1:0",
            "--poll-interval",
            "0.25",
            "--celsius",
        ])
        .unwrap();
        let endpoint = args.cloud_endpoint().unwrap().unwrap();
        let config = args.client_config(&endpoint).unwrap();
        assert_eq!(config.api_url().as_str(), "http://127.0.0.1:1/api/v2.1");
        assert_eq!(config.mqtt_url().as_str(), "ws://127.0.0.1:2/mqtt");
        assert_eq!(config.poll_interval(), Duration::from_millis(250));
        assert_eq!(config.unit_system(), UnitSystem::Metric);
        assert_eq!(args.bind.port(), 0);
    }

    #[test]
    fn refused_combinations_and_values() {
        let half = parse(&["--email", "a@b.c"]).unwrap();
        assert!(matches!(
            half.cloud_endpoint(),
            Err(ArgError::Combination(_))
        ));
        let url_only = parse(&["--mqtt-url", "ws://127.0.0.1:2/mqtt"]).unwrap();
        assert!(url_only
            .cloud_endpoint()
            .unwrap_err()
            .to_string()
            .contains("--mqtt-url"));
        assert!(parse(&["--bind", "localhost"]).is_err());
        assert!(parse(&["--poll-interval", "-1"]).is_err());
        let zero_poll = parse(&["--poll-interval", "0"]).unwrap();
        assert!(zero_poll.client_config(&sim_endpoint()).is_err());
    }

    #[test]
    fn the_password_never_appears_in_debug_output() {
        let endpoint = sim_endpoint();
        assert!(!format!("{endpoint:?}").contains("pw"));
    }
}
