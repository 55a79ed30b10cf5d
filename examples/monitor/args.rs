//! Command-line options and how they become a [`ClientConfig`].
//!
//! The account, endpoint and link-tuning options are shared with the other examples
//! (`examples/common/`); the rest is the monitor's own.

use std::time::Duration;

use clap::error::ErrorKind;
use clap::Parser;
use nwp500::config::ClientConfig;
use nwp500::UnitSystem;

pub use crate::cloud_args::{ArgError, CloudArgs, Endpoint};
use crate::link_args::{parse_seconds, LinkArgs};

/// Exit code for invalid arguments (`EX_USAGE` of sysexits.h).
pub const EXIT_USAGE: u8 = 64;

const AFTER_HELP: &str = "\
Without --email/--password (or NAVIEN_EMAIL/NAVIEN_PASSWORD) the monitor starts an embedded
simulated NaviLink cloud with one water heater and monitors that.

Commands on stdin (one per line, for the first --device or the account's first device):
  power on|off
  mode heat-pump|electric|energy-saver|high-demand
  vacation DAYS          (1-30)
  temperature VALUE      (setpoint, in °F or with --celsius in °C)
  status                 (request a status report now)
  help
  quit
Closing stdin does not stop the monitor.

Exit codes: 0 after SIGINT, SIGTERM, `quit` or --duration; 2 when reconnection failed
(invalid credentials or --max-reconnect-attempts reached); 1 on other failures;
64 for invalid arguments.

Log verbosity: RUST_LOG (default `warn`, or `info` with --json); logs go to stderr.";

/// Live monitor for Navien NWP500 heat-pump water heaters through the NaviLink cloud.
#[derive(Debug, Clone, Parser)]
#[command(name = "monitor", version, after_help = AFTER_HELP)]
pub struct Args {
    /// Account, endpoints, client id, devices.
    #[command(flatten)]
    pub cloud: CloudArgs,

    /// Polling, keep-alive, timeouts, reconnect policy.
    #[command(flatten)]
    pub link: LinkArgs,

    /// Temperatures in °C (output and the `temperature` command) [default: °F]
    #[arg(long)]
    pub celsius: bool,

    /// Exit cleanly after this many seconds [default: run until interrupted]
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub duration: Option<Duration>,

    /// One JSON object per event and line on stdout (logs on stderr)
    #[arg(long)]
    pub json: bool,

    /// Keep the sign-in tokens in this file between runs [default: not kept]
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<std::path::PathBuf>,
}

/// What parsing the command line produced.
#[derive(Debug)]
pub enum Parsed {
    /// Run with these options.
    Run(Box<Args>),
    /// Print this (help or version) on stdout and exit 0.
    Info(String),
    /// Print this on stderr and exit [`EXIT_USAGE`].
    Usage(String),
}

/// Parses `argv` (program name first). Never exits the process: `--help` and errors
/// are returned so that the caller chooses the exit code (clap's own is 2 for errors).
pub fn parse<I, T>(argv: I) -> Parsed
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    match Args::try_parse_from(argv).map(Args::without_empty_values) {
        Ok(args) => match args.cloud.check("the monitor") {
            Ok(()) => Parsed::Run(Box::new(args)),
            Err(message) => Parsed::Usage(format!(
                "error: {message}\n\nFor more information, try '--help'."
            )),
        },
        Err(error) => match error.kind() {
            ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                Parsed::Info(error.render().to_string())
            }
            _ => Parsed::Usage(error.render().to_string()),
        },
    }
}

impl Args {
    /// An empty value (typically `NAVIEN_EMAIL=` in the environment) counts as not given.
    fn without_empty_values(mut self) -> Self {
        self.cloud.drop_empty_values();
        self
    }

    /// The cloud endpoint given by the options; `None` without credentials (then the
    /// embedded simulator is used).
    pub fn cloud_endpoint(&self) -> Option<Endpoint> {
        self.cloud.cloud_endpoint()
    }

    /// The unit of displayed temperatures and of the `temperature` command.
    pub fn unit(&self) -> UnitSystem {
        if self.celsius {
            UnitSystem::Metric
        } else {
            UnitSystem::UsCustomary
        }
    }

    /// The client configuration for these options and `endpoint`.
    pub fn client_config(&self, endpoint: &Endpoint) -> Result<ClientConfig, ArgError> {
        let mut builder = self
            .link
            .apply(self.cloud.builder(endpoint), endpoint.simulated)
            .unit_system(self.unit());
        if let Some(path) = &self.token_file {
            builder = builder.token_file(path.clone());
        }
        builder.build().map_err(ArgError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link_args::{CLOUD_POLL_INTERVAL, SIM_POLL_INTERVAL};
    use nwp500::config::{DEFAULT_API_URL, DEFAULT_MQTT_URL};

    fn run(argv: &[&str]) -> Args {
        let mut full = vec!["monitor"];
        full.extend_from_slice(argv);
        match parse(full) {
            Parsed::Run(args) => *args,
            other => panic!("expected Run, got {other:?}"),
        }
    }

    fn usage(argv: &[&str]) -> String {
        let mut full = vec!["monitor"];
        full.extend_from_slice(argv);
        match parse(full) {
            Parsed::Usage(message) => message,
            other => panic!("expected Usage, got {other:?}"),
        }
    }

    #[test]
    fn seconds_accept_fractions_and_refuse_garbage() {
        assert_eq!(parse_seconds("0.2"), Ok(Duration::from_millis(200)));
        assert_eq!(parse_seconds("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_seconds("0"), Ok(Duration::ZERO));
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("abc").is_err());
        assert!(parse_seconds("NaN").is_err());
        assert!(parse_seconds("inf").is_err());
        assert!(parse_seconds("1e300").is_err());
    }

    fn endpoint(simulated: bool) -> Endpoint {
        Endpoint {
            api_url: "http://127.0.0.1:9/api/v2.1".into(),
            mqtt_url: "ws://127.0.0.1:8/mqtt".into(),
            email: "user@example.com".into(),
            password: "pw".into(),
            simulated,
        }
    }

    /// The defaults printed by `--help` are the library's defaults.
    #[test]
    fn help_defaults_match_the_library() {
        let args = run(&["--email", "a@b.c", "--password", "pw"]);
        let endpoint = args.cloud_endpoint().unwrap();
        assert_eq!(endpoint.api_url, DEFAULT_API_URL);
        assert_eq!(endpoint.mqtt_url, DEFAULT_MQTT_URL);
        let config = args.client_config(&endpoint).unwrap();
        let library = ClientConfig::builder()
            .credentials("a@b.c", "pw")
            .build()
            .unwrap();
        // Client ids are generated per client instance (both `None` here).
        assert_eq!(config, library);
        assert_eq!(library.poll_interval(), CLOUD_POLL_INTERVAL);
    }

    #[test]
    fn no_credentials_means_the_simulator_with_a_short_poll() {
        let args = run(&[]);
        assert_eq!(args.cloud_endpoint(), None);
        let config = args.client_config(&endpoint(true)).unwrap();
        assert_eq!(config.poll_interval(), SIM_POLL_INTERVAL);
        assert_eq!(config.api_url().as_str(), "http://127.0.0.1:9/api/v2.1");
        assert_eq!(config.mqtt_url().as_str(), "ws://127.0.0.1:8/mqtt");
        let args = run(&["--poll-interval", "0.25"]);
        let config = args.client_config(&endpoint(true)).unwrap();
        assert_eq!(config.poll_interval(), Duration::from_millis(250));
    }

    #[test]
    fn handover_flags_reach_the_config_and_the_simulator() {
        let args = run(&["--connection-lifetime", "20", "--handover-margin", "5"]);
        let config = args.client_config(&endpoint(true)).unwrap();
        assert_eq!(config.connection_lifetime(), Some(Duration::from_secs(20)));
        assert_eq!(config.handover_margin(), Duration::from_secs(5));
        // The 120 s default jitter shrinks to fit: half the margin here.
        assert_eq!(config.handover_jitter(), Duration::from_millis(2_500));
        assert_eq!(
            args.link.simulator_lifetime(),
            Some(Duration::from_secs(20))
        );
        let args = run(&["--connection-lifetime", "7.5", "--handover-margin", "1.5"]);
        let config = args.client_config(&endpoint(true)).unwrap();
        assert_eq!(
            config.connection_lifetime(),
            Some(Duration::from_millis(7_500))
        );
        assert_eq!(config.handover_jitter(), Duration::from_millis(750));
        let args = run(&["--no-handover"]);
        let config = args.client_config(&endpoint(true)).unwrap();
        assert_eq!(config.connection_lifetime(), None);
        assert_eq!(run(&[]).link.simulator_lifetime(), None);
        let args = run(&["--connection-lifetime", "4", "--handover-margin", "5"]);
        assert!(args.client_config(&endpoint(true)).is_err());
    }

    #[test]
    fn every_option_reaches_the_config() {
        let args = run(&[
            "--email",
            "u@example.com",
            "--password",
            "pw",
            "--api-url",
            "http://127.0.0.1:1/api/v2.1",
            "--mqtt-url",
            "ws://127.0.0.1:2/mqtt",
            "--client-id",
            "monitor-1",
            "--device",
            "AA:BB:CC:DD:EE:FF",
            "--poll-interval",
            "0.5",
            "--keep-alive",
            "5",
            "--operation-timeout",
            "0.75",
            "--initial-reconnect-delay",
            "0.1",
            "--max-reconnect-delay",
            "0.4",
            "--deep-reconnect-every",
            "3",
            "--max-reconnect-attempts",
            "7",
            "--min-connect-interval",
            "0",
            "--stable-after",
            "2",
            "--credential-margin",
            "0",
            "--queue-max-age",
            "9",
            "--probe-interval",
            "0.3",
            "--subscriptions-per-connection",
            "9",
            "--device-list-interval",
            "0",
            "--celsius",
            "--duration",
            "1.5",
            "--json",
            "--token-file",
            "tokens.json",
        ]);
        let endpoint = args.cloud_endpoint().unwrap();
        assert_eq!(endpoint.email, "u@example.com");
        assert_eq!(endpoint.password, "pw");
        assert!(!endpoint.simulated);
        let c = args.client_config(&endpoint).unwrap();
        assert_eq!(c.email(), Some("u@example.com"));
        assert_eq!(c.password().map(|p| p.expose()), Some("pw"));
        assert_eq!(c.api_url().as_str(), "http://127.0.0.1:1/api/v2.1");
        assert_eq!(c.mqtt_url().as_str(), "ws://127.0.0.1:2/mqtt");
        assert_eq!(c.client_id(), Some("monitor-1"));
        assert_eq!(c.devices(), ["aabbccddeeff"]);
        assert_eq!(c.poll_interval(), Duration::from_millis(500));
        assert_eq!(c.keep_alive(), Duration::from_secs(5));
        assert_eq!(c.operation_timeout(), Duration::from_millis(750));
        assert_eq!(c.initial_reconnect_delay(), Duration::from_millis(100));
        assert_eq!(c.max_reconnect_delay(), Duration::from_millis(400));
        assert_eq!(c.deep_reconnect_every().get(), 3);
        assert_eq!(c.max_reconnect_attempts().map(|n| n.get()), Some(7));
        assert_eq!(c.min_connect_interval(), Duration::ZERO);
        assert_eq!(c.stable_after(), Duration::from_secs(2));
        assert_eq!(c.credential_margin(), Duration::ZERO);
        assert_eq!(c.queue_max_age(), Duration::from_secs(9));
        assert_eq!(c.probe_interval(), Duration::from_millis(300));
        assert_eq!(c.subscriptions_per_connection(), 9);
        assert_eq!(c.device_list_interval(), None);
        assert_eq!(c.unit_system(), UnitSystem::Metric);
        assert_eq!(c.token_file(), Some(std::path::Path::new("tokens.json")));
        assert_eq!(args.duration, Some(Duration::from_millis(1500)));
        assert!(args.json);
    }

    #[test]
    fn empty_values_count_as_not_given() {
        let args = run(&["--email", "", "--password", "", "--api-url", ""]);
        assert_eq!(args.cloud_endpoint(), None);
        assert_eq!(args.cloud.api_url, None);
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        assert!(usage(&["--poll-interval", "soon"]).contains("--poll-interval"));
        assert!(usage(&["--bogus"]).contains("--bogus"));
        assert!(usage(&["--email", "u@example.com"]).contains("--password"));
        assert!(usage(&["--api-url", "http://x"]).contains("--api-url"));
        assert!(usage(&["--deep-reconnect-every", "three"]).contains("--deep-reconnect-every"));
    }

    #[test]
    fn values_the_library_refuses_name_the_flag() {
        let args = run(&["--keep-alive", "0.5"]);
        let error = args.client_config(&endpoint(false)).unwrap_err();
        assert!(error.to_string().contains("--keep-alive"), "{error}");
        let args = run(&["--max-reconnect-attempts", "0"]);
        let error = args.client_config(&endpoint(false)).unwrap_err();
        assert!(
            error.to_string().contains("--max-reconnect-attempts"),
            "{error}"
        );
        let args = run(&["--device", "nope"]);
        let error = args.client_config(&endpoint(false)).unwrap_err();
        assert!(error.to_string().contains("--device"), "{error}");
    }

    #[test]
    fn help_is_information_not_an_error_and_lists_defaults() {
        match parse(["monitor", "--help"]) {
            Parsed::Info(text) => {
                for needle in [
                    "--poll-interval",
                    "5 on the embedded simulator",
                    "[default: 60]",
                    "--max-reconnect-attempts",
                    "unlimited",
                    "--token-file",
                    "quit",
                ] {
                    assert!(text.contains(needle), "help lacks {needle:?}:\n{text}");
                }
            }
            other => panic!("expected Info, got {other:?}"),
        }
    }
}
