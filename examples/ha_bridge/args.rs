//! Command-line options: the cloud side exactly as the monitor takes it (shared in
//! `examples/common/`), and the local broker and topic layout.

use std::time::Duration;

use clap::error::ErrorKind;
use clap::Parser;
use nwp500::config::ClientConfig;

use crate::broker::BrokerOptions;
use crate::cloud_args::{ArgError, CloudArgs, Endpoint};
use crate::link_args::{parse_seconds, LinkArgs};
use crate::topics::Topics;

/// Exit code for invalid arguments (`EX_USAGE` of sysexits.h).
pub const EXIT_USAGE: u8 = 64;

const AFTER_HELP: &str = "\
Without --email/--password (or NAVIEN_EMAIL/NAVIEN_PASSWORD) the bridge starts an embedded
simulated NaviLink cloud with one water heater and bridges that.

Topics on the local broker (with the default prefixes):
  homeassistant/<component>/nwp500_<mac>/<object>/config   discovery configs (retained)
  nwp500/bridge/availability                               online/offline (last will)
  nwp500/nwp500_<mac>/availability                         the device's cloud link
  nwp500/nwp500_<mac>/state                                values, one JSON object
  nwp500/nwp500_<mac>/{temperature,mode,power}/set         commands
Discovery is published again whenever Home Assistant publishes `online` on
homeassistant/status.

Exit codes: 0 after SIGINT or SIGTERM; 2 when reconnection to the cloud failed (invalid
credentials or --max-reconnect-attempts reached); 1 on other failures; 64 for invalid
arguments.

Log verbosity: RUST_LOG (default `info`); logs go to stderr.";

/// Home Assistant bridge for Navien NWP500 water heaters: every heater of the account on
/// your MQTT broker, with Home Assistant's MQTT discovery.
#[derive(Debug, Clone, Parser)]
#[command(name = "ha_bridge", version, after_help = AFTER_HELP)]
pub struct Args {
    /// Account, endpoints, client id, devices.
    #[command(flatten)]
    pub cloud: CloudArgs,

    /// Polling, keep-alive, timeouts, reconnect policy.
    #[command(flatten)]
    pub link: LinkArgs,

    /// The local MQTT broker (mqtt://HOST[:PORT], port 1883 by default; user and
    /// password may be given in the URL)
    #[arg(
        long,
        env = "NWP500_BROKER",
        value_name = "URL",
        default_value = "mqtt://127.0.0.1:1883"
    )]
    pub broker: String,

    /// User name on the local broker
    #[arg(long, env = "NWP500_BROKER_USERNAME", value_name = "NAME")]
    pub broker_username: Option<String>,

    /// Password on the local broker
    #[arg(
        long,
        env = "NWP500_BROKER_PASSWORD",
        hide_env_values = true,
        value_name = "PASSWORD"
    )]
    pub broker_password: Option<String>,

    /// MQTT client id on the local broker
    #[arg(long, value_name = "ID", default_value = "nwp500-ha-bridge")]
    pub broker_client_id: String,

    /// Home Assistant's discovery prefix
    #[arg(long, value_name = "PREFIX", default_value = "homeassistant")]
    pub discovery_prefix: String,

    /// First level of the bridge's state, availability and command topics
    #[arg(long, value_name = "TOPIC", default_value = "nwp500")]
    pub base_topic: String,

    /// Seconds between energy-usage requests per device (0: never)
    #[arg(long, value_name = "SECS", value_parser = parse_seconds, default_value = "900")]
    pub energy_interval: Duration,

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

/// Parses `argv` (program name first) without exiting the process.
pub fn parse<I, T>(argv: I) -> Parsed
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let usage = |message: String| {
        Parsed::Usage(format!(
            "error: {message}\n\nFor more information, try '--help'."
        ))
    };
    match Args::try_parse_from(argv) {
        Ok(mut args) => {
            args.cloud.drop_empty_values();
            if let Err(message) = args.cloud.check("the bridge") {
                return usage(message);
            }
            if let Err(message) = args.broker_options() {
                return usage(message);
            }
            if let Err(message) = check_topic_prefixes(&args) {
                return usage(message);
            }
            Parsed::Run(Box::new(args))
        }
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

/// Prefixes end up in topics the bridge subscribes to: no wildcard, not empty.
fn check_topic_prefixes(args: &Args) -> Result<(), String> {
    for (value, flag) in [
        (&args.discovery_prefix, "--discovery-prefix"),
        (&args.base_topic, "--base-topic"),
    ] {
        let trimmed = value.trim_end_matches('/');
        if trimmed.is_empty() || trimmed.contains(['+', '#', '\0']) {
            return Err(format!(
                "{flag} `{value}`: expected a topic without wildcards"
            ));
        }
    }
    Ok(())
}

impl Args {
    /// The client configuration for these options and `endpoint`.
    pub fn client_config(&self, endpoint: &Endpoint) -> Result<ClientConfig, ArgError> {
        let mut builder = self
            .link
            .apply(self.cloud.builder(endpoint), endpoint.simulated);
        if let Some(path) = &self.token_file {
            builder = builder.token_file(path.clone());
        }
        builder.build().map_err(ArgError)
    }

    /// The topic layout.
    pub fn topics(&self) -> Topics {
        Topics::new(&self.discovery_prefix, &self.base_topic)
    }

    /// The local broker's address and login; `Err` names what is wrong with `--broker`.
    pub fn broker_options(&self) -> Result<BrokerOptions, String> {
        let url = url::Url::parse(&self.broker)
            .map_err(|error| format!("--broker `{}`: {error}", self.broker))?;
        if !matches!(url.scheme(), "mqtt" | "tcp") {
            return Err(format!(
                "--broker: `{}://` is not supported; use mqtt://HOST:PORT (plain MQTT)",
                url.scheme()
            ));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| "--broker: the URL names no host".to_owned())?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let url_user = (!url.username().is_empty()).then(|| decode(url.username()));
        let url_password = url.password().map(decode);
        let username = self.broker_username.clone().or(url_user);
        let password = self.broker_password.clone().or(url_password);
        if password.is_some() && username.is_none() {
            return Err("a broker password needs a user name (--broker-username)".to_owned());
        }
        Ok(BrokerOptions {
            host,
            port: url.port().unwrap_or(1883),
            client_id: self.broker_client_id.clone(),
            username,
            password,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(argv: &[&str]) -> Args {
        match parse(std::iter::once("ha_bridge").chain(argv.iter().copied())) {
            Parsed::Run(args) => *args,
            other => panic!("expected Run, got {other:?}"),
        }
    }

    fn usage(argv: &[&str]) -> String {
        match parse(std::iter::once("ha_bridge").chain(argv.iter().copied())) {
            Parsed::Usage(message) => message,
            other => panic!("expected Usage, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_a_local_broker_and_home_assistants_prefix() {
        let args = run(&[]);
        let broker = args.broker_options().unwrap();
        assert_eq!((broker.host.as_str(), broker.port), ("127.0.0.1", 1883));
        assert_eq!(broker.client_id, "nwp500-ha-bridge");
        assert_eq!(broker.username, None);
        assert_eq!(args.topics(), Topics::new("homeassistant", "nwp500"));
        assert_eq!(args.energy_interval, Duration::from_secs(900));
        assert_eq!(args.cloud.cloud_endpoint(), None);
    }

    #[test]
    fn broker_urls_with_and_without_a_login() {
        let args = run(&["--broker", "mqtt://ha:s%40cret@broker.lan"]);
        let b = args.broker_options().unwrap();
        assert_eq!((b.host.as_str(), b.port), ("broker.lan", 1883));
        assert_eq!(b.username.as_deref(), Some("ha"));
        assert_eq!(b.password.as_deref(), Some("s@cret"));
        let args = run(&[
            "--broker",
            "mqtt://u:p@10.0.0.2:1884",
            "--broker-username",
            "bridge",
            "--broker-password",
            "pw",
        ]);
        let b = args.broker_options().unwrap();
        assert_eq!(b.port, 1884);
        assert_eq!(b.username.as_deref(), Some("bridge"));
        assert_eq!(b.password.as_deref(), Some("pw"));
        let b = run(&["--broker", "tcp://[::1]:1885"])
            .broker_options()
            .unwrap();
        assert_eq!((b.host.as_str(), b.port), ("::1", 1885));
    }

    #[test]
    fn the_cloud_options_are_the_monitors() {
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
            "bridge-1",
            "--device",
            "AA:BB:CC:DD:EE:FF",
            "--poll-interval",
            "0.5",
            "--initial-reconnect-delay",
            "0.1",
        ]);
        let endpoint = args.cloud.cloud_endpoint().unwrap();
        let c = args.client_config(&endpoint).unwrap();
        assert_eq!(c.email(), Some("u@example.com"));
        assert_eq!(c.api_url().as_str(), "http://127.0.0.1:1/api/v2.1");
        assert_eq!(c.mqtt_url().as_str(), "ws://127.0.0.1:2/mqtt");
        assert_eq!(c.client_id(), Some("bridge-1"));
        assert_eq!(c.devices(), ["aabbccddeeff"]);
        assert_eq!(c.poll_interval(), Duration::from_millis(500));
        assert_eq!(c.initial_reconnect_delay(), Duration::from_millis(100));
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        assert!(usage(&["--broker", "mqtts://broker.lan:8883"]).contains("not supported"));
        assert!(usage(&["--broker", "not a url"]).contains("--broker"));
        assert!(usage(&["--broker", "mqtt://:pw@host"]).contains("--broker-username"));
        assert!(usage(&["--base-topic", "a/#"]).contains("--base-topic"));
        assert!(usage(&["--discovery-prefix", "/"]).contains("--discovery-prefix"));
        assert!(usage(&["--email", "u@example.com"]).contains("--password"));
        assert!(usage(&["--api-url", "http://x"]).contains("the bridge"));
        assert!(usage(&["--energy-interval", "soon"]).contains("--energy-interval"));
    }

    #[test]
    fn help_is_information() {
        match parse(["ha_bridge", "--help"]) {
            Parsed::Info(text) => {
                for needle in ["--broker", "--email", "homeassistant/status", "--device"] {
                    assert!(text.contains(needle), "help lacks {needle:?}:\n{text}");
                }
            }
            other => panic!("expected Info, got {other:?}"),
        }
    }
}
