//! Simulator configuration.

use std::time::Duration;

use serde::Serialize;

use crate::quotas::AwsQuotas;

/// The form in which a rejected sign-in is answered (docs/protocol.md §2.2 lists both as "invalid
/// credentials").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InvalidCredentialsForm {
    /// HTTP 401 with body `{"code": 401, "msg": "Invalid credentials"}`.
    Http401,
    /// HTTP 200 with body `{"code": 1001, "msg": "INVALID_USER_PASSWORD"}` (seen in the field).
    Http200InvalidPassword,
    /// HTTP 200 with body `{"code": 1002, "msg": "USER_NOT_FOUND"}`.
    Http200UserNotFound,
}

/// The account the simulated cloud knows.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    /// E-mail address (`userId`).
    pub email: String,
    /// Password.
    pub password: String,
    /// `userFirstName`.
    pub first_name: String,
    /// `userLastName`.
    pub last_name: String,
    /// `userSeq`.
    pub user_seq: u64,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl Default for Account {
    /// The demo account of docs/protocol.md §14: `user@example.com` / `correct-horse`.
    fn default() -> Self {
        Account {
            email: "user@example.com".into(),
            password: "correct-horse".into(),
            first_name: "Jane".into(),
            last_name: "Doe".into(),
            user_seq: 20002,
        }
    }
}

/// Identity of one simulated water heater.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSpec {
    /// MAC address: 12 lowercase hex digits.
    pub mac: String,
    /// `additionalValue`.
    pub additional_value: String,
    /// `deviceName`.
    pub name: String,
    /// `controllerSerialNumber` (feature payload) / `controllerId` (REST TOU).
    pub serial_number: String,
    /// `homeSeq`.
    pub home_seq: u64,
    /// Display unit reported as `temperatureType`: `true` = Celsius (1), `false` = Fahrenheit (2).
    pub celsius: bool,
}

impl DeviceSpec {
    /// Device number `index` (0-based). Device 0 is the golden device of docs/protocol.md §14
    /// (MAC `aabbccddeeff`, `additionalValue` `1234`, serial `TESTSERIAL0001`).
    pub fn numbered(index: usize) -> Self {
        if index == 0 {
            return DeviceSpec {
                mac: "aabbccddeeff".into(),
                additional_value: "1234".into(),
                name: "Garage Water Heater".into(),
                serial_number: "TESTSERIAL0001".into(),
                home_seq: 10001,
                celsius: false,
            };
        }
        DeviceSpec {
            mac: format!("02aabbcc{:04x}", index & 0xffff),
            additional_value: format!("{}", 1234 + index),
            name: format!("Water Heater {}", index + 1),
            serial_number: format!("TESTSERIAL{:04}", index + 1),
            home_seq: 10001,
            celsius: false,
        }
    }
}

/// Everything that can be chosen when starting a [`Simulator`](crate::Simulator).
///
/// `Default` gives one device, the demo account, AWS-like lifetimes and ephemeral ports.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The simulated water heaters.
    pub devices: Vec<DeviceSpec>,
    /// The account that can sign in.
    pub account: Account,
    /// Lifetime of access/id tokens (`authenticationExpiresIn`). Default 3600 s.
    pub access_token_lifetime: Duration,
    /// Lifetime of refresh tokens. Default 30 days.
    pub refresh_token_lifetime: Duration,
    /// Lifetime of AWS temporary credentials (`authorizationExpiresIn`). Default 3600 s.
    pub aws_credentials_lifetime: Duration,
    /// Whether `/auth/refresh` also returns new AWS credentials. Default `true`.
    pub refresh_returns_aws_credentials: bool,
    /// How a wrong password is answered. Default: HTTP 200 with code 1001.
    pub invalid_password_form: InvalidCredentialsForm,
    /// The gateway closes every connection after this long (AWS IoT: 24 h).
    pub max_connection_lifetime: Duration,
    /// Accepted distance between `X-Amz-Date` and the simulator's clock; `None` disables the
    /// check (for clients running on a manual clock). Default 300 s.
    pub signature_max_skew: Option<Duration>,
    /// Region expected in the signature scope. Default `us-east-1`.
    pub region: String,
    /// Port of the REST server; 0 = ephemeral (default).
    pub rest_port: u16,
    /// Port of the control API (`/_sim/…`), apart from the REST port so that it stays
    /// reachable during a REST outage; 0 = ephemeral (default).
    pub control_port: u16,
    /// Port of the signing WebSocket gateway (`ws://…/mqtt`); 0 = ephemeral (default).
    pub ws_port: u16,
    /// Port of the plain MQTT-over-TCP pass-through; 0 = ephemeral (default).
    pub tcp_port: u16,
    /// How long new connections are refused after [`Simulator::restart_broker`](crate::Simulator::restart_broker).
    pub broker_restart_downtime: Duration,
    /// Simulated seconds per real second for the heater physics. Default 1.0.
    pub time_scale: f64,
    /// Real-time interval between physics updates. Default 1 s.
    pub tick_interval: Duration,
    /// Whether the devices see occasional random hot-water draws. Default `true`.
    pub random_draws: bool,
    /// Seed for every random choice (tokens, draws), so runs are reproducible.
    pub seed: u64,
    /// AWS IoT Core's per-connection quotas. Default: AWS's numbers, all enforced; see
    /// [AWS IoT quotas](crate#aws-iot-quotas). Changeable at runtime with
    /// [`Simulator::set_quotas`](crate::Simulator::set_quotas).
    pub quotas: AwsQuotas,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            devices: vec![DeviceSpec::numbered(0)],
            account: Account::default(),
            access_token_lifetime: Duration::from_secs(3600),
            refresh_token_lifetime: Duration::from_secs(30 * 86400),
            aws_credentials_lifetime: Duration::from_secs(3600),
            refresh_returns_aws_credentials: true,
            invalid_password_form: InvalidCredentialsForm::Http200InvalidPassword,
            max_connection_lifetime: Duration::from_secs(24 * 3600),
            signature_max_skew: Some(Duration::from_secs(300)),
            region: "us-east-1".into(),
            rest_port: 0,
            control_port: 0,
            ws_port: 0,
            tcp_port: 0,
            broker_restart_downtime: Duration::from_millis(250),
            time_scale: 1.0,
            tick_interval: Duration::from_secs(1),
            random_draws: true,
            seed: 1,
            quotas: AwsQuotas::default(),
        }
    }
}

impl SimConfig {
    /// The default configuration with `count` devices (numbered as [`DeviceSpec::numbered`]).
    pub fn with_devices(count: usize) -> Self {
        SimConfig {
            devices: (0..count).map(DeviceSpec::numbered).collect(),
            ..SimConfig::default()
        }
    }
}
