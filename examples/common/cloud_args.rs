//! The account and cloud endpoint options shared by the examples that talk to the
//! NaviLink cloud (the same flags and `NAVIEN_*` variables everywhere), and the embedded
//! simulated cloud they fall back on without an account.
//!
//! Included by each example with `#[path = "../common/cloud_args.rs"] mod cloud_args;`
//! and flattened into its clap `Args`.

use std::time::Duration;

use nwp500::config::{
    ClientConfig, ClientConfigBuilder, ConfigError, DEFAULT_API_URL, DEFAULT_MQTT_URL,
};
use nwp500_sim::{SimConfig, SimError, Simulator};

/// Account, endpoints, client id and device filter.
#[derive(Debug, Clone, clap::Args)]
pub struct CloudArgs {
    /// NaviLink account e-mail (with --password; without both, the embedded simulator is used)
    #[arg(
        long,
        env = "NAVIEN_EMAIL",
        hide_env_values = true,
        value_name = "EMAIL"
    )]
    pub email: Option<String>,

    /// NaviLink account password
    #[arg(
        long,
        env = "NAVIEN_PASSWORD",
        hide_env_values = true,
        value_name = "PASSWORD"
    )]
    pub password: Option<String>,

    /// REST base URL [default: https://nlus.naviensmartcontrol.com/api/v2.1]
    #[arg(
        long,
        env = "NAVIEN_API_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub api_url: Option<String>,

    /// MQTT URL (wss://, ws://, mqtt://) [default: the NaviLink AWS IoT endpoint,
    /// wss://a1t30mldyslmuq-ats.iot.us-east-1.amazonaws.com/mqtt]
    #[arg(
        long,
        env = "NAVIEN_MQTT_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub mqtt_url: Option<String>,

    /// MQTT client id [default: navien-client- plus 8 random hex digits]
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,

    /// Monitor only this device (MAC; may be repeated) [default: every device of the account]
    #[arg(long = "device", value_name = "MAC")]
    pub devices: Vec<String>,
}

/// Where the client connects and as whom.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// REST base URL.
    pub api_url: String,
    /// MQTT URL.
    pub mqtt_url: String,
    /// Account e-mail.
    pub email: String,
    /// Account password.
    pub password: String,
    /// Whether this is the embedded simulator.
    pub simulated: bool,
}

impl Endpoint {
    /// A local endpoint with the demo account, to check the other options before the
    /// embedded simulator runs.
    pub fn local_placeholder() -> Self {
        Self {
            api_url: "http://127.0.0.1/api/v2.1".to_owned(),
            mqtt_url: "ws://127.0.0.1/mqtt".to_owned(),
            email: "user@example.com".to_owned(),
            password: "placeholder".to_owned(),
            simulated: true,
        }
    }
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("api_url", &self.api_url)
            .field("mqtt_url", &self.mqtt_url)
            .field("simulated", &self.simulated)
            .finish_non_exhaustive()
    }
}

impl CloudArgs {
    /// An empty value (typically `NAVIEN_EMAIL=` in the environment) counts as not given.
    pub fn drop_empty_values(&mut self) {
        for value in [
            &mut self.email,
            &mut self.password,
            &mut self.api_url,
            &mut self.mqtt_url,
        ] {
            if value.as_deref().is_some_and(str::is_empty) {
                *value = None;
            }
        }
    }

    /// Checks what clap cannot: option combinations. `program` names the example in
    /// the message (`the monitor`).
    pub fn check(&self, program: &str) -> Result<(), String> {
        match (&self.email, &self.password) {
            (Some(_), None) => return Err("--email needs --password (or NAVIEN_PASSWORD)".into()),
            (None, Some(_)) => return Err("--password needs --email (or NAVIEN_EMAIL)".into()),
            _ => {}
        }
        if self.email.is_none() {
            for (given, flag) in [
                (self.api_url.is_some(), "--api-url"),
                (self.mqtt_url.is_some(), "--mqtt-url"),
            ] {
                if given {
                    return Err(format!(
                        "{flag} needs --email and --password \
                         (without credentials {program} runs its embedded simulator)"
                    ));
                }
            }
        }
        Ok(())
    }

    /// The cloud endpoint given by the options; `None` without credentials (then the
    /// embedded simulator is used).
    pub fn cloud_endpoint(&self) -> Option<Endpoint> {
        let (email, password) = (self.email.as_ref()?, self.password.as_ref()?);
        Some(Endpoint {
            api_url: self
                .api_url
                .clone()
                .unwrap_or_else(|| DEFAULT_API_URL.to_owned()),
            mqtt_url: self
                .mqtt_url
                .clone()
                .unwrap_or_else(|| DEFAULT_MQTT_URL.to_owned()),
            email: email.clone(),
            password: password.clone(),
            simulated: false,
        })
    }

    /// A configuration builder with the account, the endpoints, the client id and the
    /// device filter of these options set for `endpoint`.
    pub fn builder(&self, endpoint: &Endpoint) -> ClientConfigBuilder {
        let mut builder = ClientConfig::builder()
            .credentials(endpoint.email.clone(), endpoint.password.clone())
            .api_url(endpoint.api_url.clone())
            .mqtt_url(endpoint.mqtt_url.clone())
            .devices(self.devices.iter().cloned());
        if let Some(id) = &self.client_id {
            builder = builder.client_id(id.clone());
        }
        builder
    }
}

/// An option value the library refused, reported with the command-line flag.
#[derive(Debug, thiserror::Error)]
#[error("{0} (option {flag})", flag = flag_of(.0.option()))]
pub struct ArgError(pub ConfigError);

/// The command-line flag that sets a configuration option.
pub fn flag_of(option: &str) -> String {
    match option {
        "credentials" => "--email/--password".to_owned(),
        "devices" => "--device".to_owned(),
        other => format!("--{}", other.replace('_', "-")),
    }
}

/// Starts a simulated NaviLink cloud with one water heater on 127.0.0.1 and returns it
/// with the endpoint (URLs and demo account) to reach it. Dropping the simulator stops it.
/// `lifetime`: the simulator cuts every connection after this long (default AWS's 24 h).
pub fn start_simulator(lifetime: Option<Duration>) -> Result<(Simulator, Endpoint), SimError> {
    let defaults = SimConfig::default();
    let sim = Simulator::start(SimConfig {
        max_connection_lifetime: lifetime.unwrap_or(defaults.max_connection_lifetime),
        ..defaults
    })?;
    let account = &sim.config().account;
    let endpoint = Endpoint {
        api_url: sim.rest_url().to_owned(),
        mqtt_url: sim.mqtt_ws_url().to_owned(),
        email: account.email.clone(),
        password: account.password.clone(),
        simulated: true,
    };
    Ok((sim, endpoint))
}
