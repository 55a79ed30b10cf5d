//! The simulator handle: start, inspect, inject faults, shut down.

use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use thiserror::Error;
use tokio::sync::oneshot;

use crate::auth_store::{AuthStore, IssuedAwsCredentials, Lifetimes};
use crate::config::SimConfig;
use crate::conn_log::{self, ConnectionOutcome, ConnectionRecord, Transport};
use crate::device::handle::{DeviceHandle, DeviceShared};
use crate::device::state::DeviceState;
use crate::device::{self};
use crate::faults::{FaultSnapshot, SignInFault};
use crate::mqtt::broker::{Broker, BrokerSettings};
use crate::quotas::AwsQuotas;
use crate::rest::{API_PREFIX, CONTROL_PREFIX};
use crate::shared::{Counters, Shared, SimUrls};
use crate::{gateway, rest};

mod outages;

/// Why the simulator could not start.
#[derive(Debug, Error)]
pub enum SimError {
    /// The configuration is unusable.
    #[error("invalid simulator configuration: {0}")]
    Config(String),
    /// A listener could not be bound.
    #[error("cannot bind {what} on 127.0.0.1:{port}: {source}")]
    Bind {
        /// Which listener.
        what: &'static str,
        /// Requested port (0 = ephemeral).
        port: u16,
        /// The OS error.
        source: std::io::Error,
    },
    /// The simulator thread failed while starting.
    #[error("simulator failed to start: {0}")]
    Start(String),
}

/// A running simulated NaviLink cloud. Dropping it shuts everything down.
///
/// It runs on its own thread (an actix system for the REST server plus the gateway, broker and
/// devices on the same thread's runtime), so it works the same from a plain `#[tokio::test]`,
/// from a test with paused tokio time, from inside an actix system, and from synchronous code.
pub struct Simulator {
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("urls", &self.shared.urls)
            .finish_non_exhaustive()
    }
}

fn bind(what: &'static str, port: u16) -> Result<(TcpListener, SocketAddr), SimError> {
    let err = |source| SimError::Bind { what, port, source };
    let listener = TcpListener::bind(("127.0.0.1", port)).map_err(err)?;
    listener.set_nonblocking(true).map_err(err)?;
    let addr = listener.local_addr().map_err(err)?;
    Ok((listener, addr))
}

fn validate(config: &SimConfig) -> Result<(), SimError> {
    for (i, d) in config.devices.iter().enumerate() {
        let valid_mac = d.mac.len() == 12
            && d.mac
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !valid_mac {
            return Err(SimError::Config(format!(
                "device {i}: MAC must be 12 lowercase hex digits"
            )));
        }
        if config.devices[..i].iter().any(|o| o.mac == d.mac) {
            return Err(SimError::Config(format!("device {i}: duplicate MAC")));
        }
    }
    if !(config.time_scale.is_finite() && config.time_scale >= 0.0) {
        return Err(SimError::Config(
            "time_scale must be finite and >= 0".into(),
        ));
    }
    Ok(())
}

impl Simulator {
    /// Starts a simulator and returns once every listener accepts connections and every
    /// device is subscribed. Takes a few milliseconds; callable from sync or async code.
    pub fn start(config: SimConfig) -> Result<Simulator, SimError> {
        validate(&config)?;
        let (rest_listener, rest_addr) = bind("REST server", config.rest_port)?;
        // The REST server proper listens on a private port behind two fronts: the REST port's,
        // which applies the REST outages, and the control port's, which never does.
        let (upstream_listener, upstream_addr) = bind("REST server (behind its front)", 0)?;
        let (control_listener, control_addr) = bind("control server", config.control_port)?;
        let (ws_listener, ws_addr) = bind("WebSocket gateway", config.ws_port)?;
        let (tcp_listener, tcp_addr) = bind("MQTT/TCP gateway", config.tcp_port)?;
        let urls = SimUrls {
            rest: format!("http://{rest_addr}{API_PREFIX}"),
            mqtt_ws: format!("ws://{ws_addr}/mqtt"),
            mqtt_tcp: format!("mqtt://{tcp_addr}"),
            control: format!("http://{control_addr}{CONTROL_PREFIX}"),
        };

        let broker = Broker::new(BrokerSettings::default(), config.quotas);
        // Devices subscribe before anything can connect, so no request is ever missed.
        let mut devices = Vec::new();
        let mut device_tasks = Vec::new();
        for (index, spec) in config.devices.iter().enumerate() {
            let state = DeviceState::new(spec.clone(), config.seed, config.random_draws);
            let shared = Arc::new(DeviceShared::new(spec.clone(), state, config.time_scale));
            let client = broker.local_client(&device::session_id(index));
            device::subscribe(&client, &spec.mac);
            devices.push(DeviceHandle {
                inner: shared.clone(),
            });
            device_tasks.push((shared, client));
        }
        let auth = AuthStore::new(
            Lifetimes {
                access_token: config.access_token_lifetime,
                refresh_token: config.refresh_token_lifetime,
                aws_credentials: config.aws_credentials_lifetime,
            },
            config.seed,
        );
        let tick = config.tick_interval;
        let shared = Arc::new(Shared::new(config, urls, broker, auth, devices));

        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("nwp500-sim".into())
            .spawn(move || {
                let system = actix_web::rt::System::new();
                system.block_on(async move {
                    let shared = thread_shared;
                    let listeners = (|| {
                        let ws = tokio::net::TcpListener::from_std(ws_listener)?;
                        let tcp = tokio::net::TcpListener::from_std(tcp_listener)?;
                        let front = tokio::net::TcpListener::from_std(rest_listener)?;
                        let control = tokio::net::TcpListener::from_std(control_listener)?;
                        let server = rest::server(shared.clone(), upstream_listener)?;
                        Ok::<_, std::io::Error>((ws, tcp, front, control, server))
                    })();
                    let (ws, tcp, front, control, server) = match listeners {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e.to_string()));
                            return;
                        }
                    };
                    let server_handle = server.handle();
                    actix_web::rt::spawn(server);
                    tokio::spawn(rest::front::serve(shared.clone(), front, upstream_addr));
                    tokio::spawn(rest::front::serve_control(control, upstream_addr));
                    tokio::spawn(gateway::serve(shared.clone(), ws, Transport::WebSocket));
                    tokio::spawn(gateway::serve(shared.clone(), tcp, Transport::Tcp));
                    for (device, client) in device_tasks {
                        tokio::spawn(device::run(device, client, tick));
                    }
                    let _ = ready_tx.send(Ok(()));
                    let _ = stop_rx.await;
                    server_handle.stop(false).await;
                    // Returning drops the runtime, which ends every task and closes every socket.
                });
            })
            .map_err(|e| SimError::Start(e.to_string()))?;

        match ready_rx.recv_timeout(Duration::from_secs(10)) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(SimError::Start(e)),
            Err(_) => return Err(SimError::Start("simulator thread did not start".into())),
        }
        tracing::info!(rest = %shared.urls.rest, ws = %shared.urls.mqtt_ws, "simulator started");
        Ok(Simulator {
            shared,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// Starts a simulator with [`SimConfig::default`] (one device).
    pub fn start_default() -> Result<Simulator, SimError> {
        Simulator::start(SimConfig::default())
    }

    /// Stops everything (listeners, connections, devices) and waits for the simulator thread.
    /// Idempotent; also done on drop.
    pub fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        // Tasks were dropped with the runtime; give the still-open log entries their end.
        let now = Instant::now();
        for record in self.shared.log.snapshot() {
            if record.is_open() {
                self.shared
                    .log
                    .close(record.id, ConnectionOutcome::Shutdown, now);
            }
        }
    }

    // ---- where to connect -------------------------------------------------------------------

    /// All URLs at once.
    pub fn urls(&self) -> &SimUrls {
        &self.shared.urls
    }

    /// REST base URL (`http://127.0.0.1:PORT/api/v2.1`).
    pub fn rest_url(&self) -> &str {
        &self.shared.urls.rest
    }

    /// Signing WebSocket gateway URL (`ws://127.0.0.1:PORT/mqtt`).
    pub fn mqtt_ws_url(&self) -> &str {
        &self.shared.urls.mqtt_ws
    }

    /// Plain MQTT-over-TCP URL (`mqtt://127.0.0.1:PORT`).
    pub fn mqtt_tcp_url(&self) -> &str {
        &self.shared.urls.mqtt_tcp
    }

    /// Control endpoint base URL (`http://127.0.0.1:PORT/_sim`). The control API has its own
    /// port ([`SimConfig::control_port`]), so it stays reachable during a
    /// [REST outage](Simulator::set_rest_outage).
    pub fn control_url(&self) -> &str {
        &self.shared.urls.control
    }

    /// The configuration the simulator was started with (account, devices, lifetimes…). The
    /// quotas in force now are [`Simulator::quotas`].
    pub fn config(&self) -> &SimConfig {
        &self.shared.config
    }

    // ---- quotas ---------------------------------------------------------------------------

    /// The AWS IoT quotas in force now.
    pub fn quotas(&self) -> AwsQuotas {
        self.shared.broker.quotas()
    }

    /// Replaces the AWS IoT quotas. Applies at once to open connections too (their next
    /// SUBSCRIBE, PUBLISH or delivery) and to the next CONNECT; what an open connection
    /// already holds stays (subscriptions beyond a lowered quota are kept). Not a fault:
    /// [`Simulator::clear_faults`] leaves the quotas as they are.
    pub fn set_quotas(&self, quotas: AwsQuotas) {
        self.shared.set_quotas(quotas);
    }

    // ---- state ----------------------------------------------------------------------------

    /// Puts device `mac` in the account's device list (`true`, the default for every
    /// device) or takes it out (`false`): a heater added to or removed from the account.
    /// The device keeps running either way. Answers whether the device exists.
    pub fn set_device_listed(&self, mac: &str, listed: bool) -> bool {
        if self.shared.device(mac).is_none() {
            return false;
        }
        let mut unlisted = self
            .shared
            .unlisted
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if listed {
            unlisted.remove(mac);
        } else {
            unlisted.insert(mac.to_owned());
        }
        tracing::info!(mac, listed, "account device list changed");
        true
    }

    /// The simulated devices, in configuration order.
    pub fn devices(&self) -> &[DeviceHandle] {
        &self.shared.devices
    }

    /// The device with this MAC.
    pub fn device(&self, mac: &str) -> Option<&DeviceHandle> {
        self.shared.device(mac)
    }

    /// REST counters (sign-ins, refreshes, …).
    pub fn counters(&self) -> Counters {
        self.shared.counters()
    }

    /// Number of successful sign-ins.
    pub fn sign_in_count(&self) -> u64 {
        self.counters().sign_ins
    }

    /// Number of successful refreshes.
    pub fn refresh_count(&self) -> u64 {
        self.counters().refreshes
    }

    /// Current fault switches.
    pub fn faults(&self) -> FaultSnapshot {
        self.shared.faults.snapshot()
    }

    /// Issues AWS credentials directly (as a sign-in would, without counting one), for tests of
    /// the gateway that do not go through REST.
    pub fn issue_aws_credentials(&self) -> IssuedAwsCredentials {
        self.shared
            .auth()
            .issue_aws(Instant::now(), SystemTime::now())
    }

    /// Every connection the gateway saw, in accept order.
    pub fn connection_log(&self) -> Vec<ConnectionRecord> {
        self.shared.log.snapshot()
    }

    /// The connections open now.
    pub fn live_connections(&self) -> Vec<ConnectionRecord> {
        self.connection_log()
            .into_iter()
            .filter(ConnectionRecord::is_open)
            .collect()
    }

    /// The connections that sent a CONNECT with this client id.
    pub fn connections_of(&self, client_id: &str) -> Vec<ConnectionRecord> {
        self.connection_log()
            .into_iter()
            .filter(|r| r.client_id.as_deref() == Some(client_id))
            .collect()
    }

    /// The largest number of simultaneously live connections of `client_id` so far (a
    /// duplicate-id takeover counts as 2). "Never two live connections" = this is ≤ 1.
    pub fn max_concurrent_connections(&self, client_id: &str) -> usize {
        conn_log::max_concurrent_connections(&self.connection_log(), client_id)
    }

    /// The shortest gap between two CONNECT packets of `client_id` as the gateway received
    /// them, refused and unanswered ones included (`None` with fewer than two).
    pub fn min_connect_gap(&self, client_id: &str) -> Option<Duration> {
        conn_log::min_connect_gap(&self.connection_log(), client_id)
    }

    /// The instants at which the gateway received the CONNECT packets of `client_id`, in order,
    /// refused and unanswered ones included.
    pub fn connect_times(&self, client_id: &str) -> Vec<Instant> {
        conn_log::connect_times(&self.connection_log(), client_id)
    }

    // ---- faults ---------------------------------------------------------------------------

    /// Drops every live connection now (TCP close, no MQTT or WebSocket goodbye). Returns how
    /// many were dropped.
    pub fn drop_all_connections(&self) -> usize {
        self.shared.drop_all_connections()
    }

    /// While on, new connections are accepted and reset at once.
    pub fn set_refuse_connections(&self, on: bool) {
        self.shared.set_refuse_connections(on);
    }

    /// While on, nothing is forwarded on any connection, in either direction, and sockets stay
    /// open: a half-open link. A connection that was black-holed stays dead even after the
    /// switch is turned off (its broker session is gone); new connections work again.
    pub fn set_blackhole(&self, on: bool) {
        self.shared.set_blackhole(on);
    }

    /// While on, every WebSocket upgrade is answered with 403 (and, on the TCP listener, every
    /// CONNECT with "not authorized").
    pub fn set_reject_upgrades(&self, on: bool) {
        self.shared.set_reject_upgrades(on);
    }

    /// Adds this one-way delay to everything the gateway forwards and to every REST answer.
    /// `Duration::ZERO` removes it. For REST answers alone see [`Simulator::set_rest_latency`].
    pub fn set_latency(&self, latency: Duration) {
        self.shared.set_latency(latency);
    }

    /// Expires every AWS credential issued so far: upgrades signed with them get 403 from now
    /// on; credentials issued later work. Connections already open stay open (as on AWS IoT,
    /// where credentials are only checked at the upgrade).
    pub fn expire_credentials(&self) {
        self.shared.expire_credentials();
    }

    /// Expires every access token issued so far (REST calls get 401 until a refresh).
    pub fn expire_access_tokens(&self) {
        self.shared.expire_access_tokens();
    }

    /// Sets what sign-in does regardless of the password.
    pub fn set_sign_in_fault(&self, fault: SignInFault) {
        self.shared.set_sign_in_fault(fault);
    }

    /// While on, `/auth/refresh` answers 401.
    pub fn set_reject_refresh(&self, on: bool) {
        self.shared.set_reject_refresh(on);
    }

    /// The next `count` REST requests (any endpoint) get HTTP 500.
    pub fn fail_next_rest_requests(&self, count: u32) {
        self.shared.fail_next_rest_requests(count);
    }

    /// "Restarts the broker": every client connection is dropped, new connections are refused
    /// for [`SimConfig::broker_restart_downtime`], and the sessions that follow start clean (no
    /// subscriptions survive, as with a real broker restart and clean sessions). The simulated
    /// devices' own sessions are kept, as if they had reconnected instantly. Returns how many
    /// connections were dropped.
    pub fn restart_broker(&self) -> usize {
        self.shared.restart_broker()
    }

    /// Closes the live connection of `client_id`; false if it had none.
    pub fn kick(&self, client_id: &str) -> bool {
        self.shared.kick(client_id)
    }

    /// Turns every fault off.
    pub fn clear_faults(&self) {
        self.shared.clear_faults();
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.shutdown();
    }
}
