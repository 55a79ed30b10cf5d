//! State shared by the REST server, the gateway and the control API, and the fault operations
//! (one implementation used by both the Rust API and the HTTP control endpoint).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use crate::auth_store::AuthStore;
use crate::config::SimConfig;
use crate::conn_log::{ConnLog, ConnectionOutcome};
use crate::device::handle::DeviceHandle;
use crate::faults::{Faults, RestOutage, SignInFault};
use crate::gateway::connect_rate::ConnectRate;
use crate::gateway::registry::LiveRegistry;
use crate::mqtt::broker::Broker;
use crate::quotas::AwsQuotas;

/// Where the simulator listens.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SimUrls {
    /// REST base URL, e.g. `http://127.0.0.1:41234/api/v2.1`.
    pub rest: String,
    /// Signing WebSocket gateway, e.g. `ws://127.0.0.1:41235/mqtt`.
    pub mqtt_ws: String,
    /// Plain MQTT over TCP, e.g. `mqtt://127.0.0.1:41236`.
    pub mqtt_tcp: String,
    /// Control endpoint base, on its own port so that it stays reachable during a REST outage,
    /// e.g. `http://127.0.0.1:41237/_sim`.
    pub control: String,
}

/// REST counters.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Counters {
    /// Requests to `/user/sign-in`.
    pub sign_in_attempts: u64,
    /// Successful sign-ins.
    pub sign_ins: u64,
    /// Requests to `/auth/refresh`.
    pub refresh_attempts: u64,
    /// Successful refreshes.
    pub refreshes: u64,
    /// Requests to the authenticated endpoints (device list/info, firmware, TOU, push token).
    pub api_requests: u64,
    /// Authenticated requests refused with 401 (missing, unknown, expired or `Bearer`-prefixed
    /// token).
    pub unauthorized: u64,
    /// Connections to the REST port reset by [`RestOutage::Refuse`].
    pub rest_connections_refused: u64,
    /// Connections to the REST port held unanswered by [`RestOutage::Blackhole`].
    pub rest_connections_blackholed: u64,
    /// REST requests answered with the status of [`RestOutage::Status`].
    pub rest_outage_answers: u64,
}

#[derive(Default)]
pub(crate) struct CounterCells {
    pub sign_in_attempts: AtomicU64,
    pub sign_ins: AtomicU64,
    pub refresh_attempts: AtomicU64,
    pub refreshes: AtomicU64,
    pub api_requests: AtomicU64,
    pub unauthorized: AtomicU64,
    pub rest_connections_refused: AtomicU64,
    pub rest_connections_blackholed: AtomicU64,
    pub rest_outage_answers: AtomicU64,
}

impl CounterCells {
    pub(crate) fn bump(cell: &AtomicU64) {
        cell.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> Counters {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Counters {
            sign_in_attempts: get(&self.sign_in_attempts),
            sign_ins: get(&self.sign_ins),
            refresh_attempts: get(&self.refresh_attempts),
            refreshes: get(&self.refreshes),
            api_requests: get(&self.api_requests),
            unauthorized: get(&self.unauthorized),
            rest_connections_refused: get(&self.rest_connections_refused),
            rest_connections_blackholed: get(&self.rest_connections_blackholed),
            rest_outage_answers: get(&self.rest_outage_answers),
        }
    }
}

/// Everything the simulator's parts share.
pub(crate) struct Shared {
    pub config: SimConfig,
    pub urls: SimUrls,
    pub broker: Broker,
    auth: Mutex<AuthStore>,
    pub faults: Faults,
    pub log: ConnLog,
    pub live: LiveRegistry,
    /// The last accepted CONNECT of every client id, for the CONNECT-rate quota.
    pub connect_rate: ConnectRate,
    pub counters: CounterCells,
    pub devices: Vec<DeviceHandle>,
    /// Rate plans applied through `PUT /device/tou`, by MAC.
    pub rest_tou: Mutex<HashMap<String, Value>>,
    /// Devices left out of the account's device list (they keep running: a heater
    /// removed from the account, or not added yet).
    pub unlisted: Mutex<std::collections::HashSet<String>>,
}

impl Shared {
    pub(crate) fn new(
        config: SimConfig,
        urls: SimUrls,
        broker: Broker,
        auth: AuthStore,
        devices: Vec<DeviceHandle>,
    ) -> Self {
        Shared {
            config,
            urls,
            broker,
            auth: Mutex::new(auth),
            faults: Faults::default(),
            log: ConnLog::default(),
            live: LiveRegistry::default(),
            connect_rate: ConnectRate::default(),
            counters: CounterCells::default(),
            devices,
            rest_tou: Mutex::default(),
            unlisted: Mutex::default(),
        }
    }

    pub(crate) fn auth(&self) -> MutexGuard<'_, AuthStore> {
        self.auth.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn counters(&self) -> Counters {
        self.counters.snapshot()
    }

    /// Whether `mac` is in the account's device list.
    pub(crate) fn is_listed(&self, mac: &str) -> bool {
        !self
            .unlisted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(mac)
    }

    pub(crate) fn device(&self, mac: &str) -> Option<&DeviceHandle> {
        self.devices.iter().find(|d| d.mac() == mac)
    }

    // ---- faults -------------------------------------------------------------------------

    pub(crate) fn drop_all_connections(&self) -> usize {
        let n = self.live.end_all(&ConnectionOutcome::Dropped, &self.log);
        tracing::info!(connections = n, "fault: dropped every live connection");
        n
    }

    pub(crate) fn set_refuse_connections(&self, on: bool) {
        self.faults.update_net(|f| f.refuse = on);
        tracing::info!(on, "fault: refuse new connections");
    }

    pub(crate) fn set_blackhole(&self, on: bool) {
        self.faults.update_net(|f| f.blackhole = on);
        tracing::info!(on, "fault: black hole");
    }

    pub(crate) fn set_reject_upgrades(&self, on: bool) {
        self.faults.update_net(|f| f.reject_upgrades = on);
        tracing::info!(on, "fault: reject every upgrade with 403");
    }

    pub(crate) fn set_latency(&self, latency: Duration) {
        self.faults.update_net(|f| f.latency = latency);
        tracing::info!(latency_ms = latency.as_millis() as u64, "fault: latency");
    }

    pub(crate) fn expire_credentials(&self) {
        self.auth().expire_all_aws(Instant::now());
        tracing::info!("fault: every issued AWS credential expired");
    }

    pub(crate) fn expire_access_tokens(&self) {
        self.auth().expire_all_access_tokens(Instant::now());
        tracing::info!("fault: every issued access token expired");
    }

    pub(crate) fn set_sign_in_fault(&self, fault: SignInFault) {
        self.faults.rest().sign_in = fault;
        tracing::info!(?fault, "fault: sign-in");
    }

    pub(crate) fn set_reject_refresh(&self, on: bool) {
        self.faults.rest().reject_refresh = on;
        tracing::info!(on, "fault: reject refreshes");
    }

    pub(crate) fn fail_next_rest_requests(&self, count: u32) {
        self.faults.rest().fail_next = count;
        tracing::info!(count, "fault: next REST requests fail with 500");
    }

    pub(crate) fn restart_broker(&self) -> usize {
        let downtime = self.config.broker_restart_downtime;
        self.faults
            .update_net(|f| f.down_until = Some(Instant::now() + downtime));
        let n = self
            .live
            .end_all(&ConnectionOutcome::BrokerRestart, &self.log);
        tracing::info!(
            connections = n,
            downtime_ms = downtime.as_millis() as u64,
            "fault: broker restart"
        );
        n
    }

    pub(crate) fn kick(&self, client_id: &str) -> bool {
        let n = self
            .live
            .end_client(client_id, &ConnectionOutcome::Kicked, &self.log);
        tracing::info!(client_id, kicked = n, "fault: kick");
        n > 0
    }

    pub(crate) fn set_upgrade_status(&self, status: Option<u16>) {
        self.faults.update_net(|f| f.upgrade_status = status);
        tracing::info!(?status, "fault: answer every upgrade with an HTTP status");
    }

    pub(crate) fn set_close_during_handshake(&self, on: bool) {
        self.faults.update_net(|f| f.close_during_handshake = on);
        tracing::info!(on, "fault: close connections during the handshake");
    }

    pub(crate) fn set_connack_refusal(&self, code: Option<u8>) {
        self.faults.update_net(|f| f.connack_refusal = code);
        tracing::info!(?code, "fault: refuse every CONNECT with a CONNACK code");
    }

    pub(crate) fn set_withhold_suback(&self, on: bool) {
        self.faults.update_net(|f| f.withhold_suback = on);
        tracing::info!(on, "fault: withhold every SUBACK");
    }

    pub(crate) fn set_kick_after_connack(&self, after: Option<Duration>) {
        self.faults.update_net(|f| f.kick_after_connack = after);
        tracing::info!(?after, "fault: kick every connection after its CONNACK");
    }

    pub(crate) fn set_rest_outage(&self, outage: Option<RestOutage>) {
        self.faults.set_rest_outage(outage);
        tracing::info!(?outage, "fault: REST outage");
    }

    pub(crate) fn set_rest_latency(&self, latency: Duration) {
        self.faults.rest().latency = latency;
        tracing::info!(
            latency_ms = latency.as_millis() as u64,
            "fault: REST latency"
        );
    }

    pub(crate) fn set_quotas(&self, quotas: AwsQuotas) {
        self.broker.set_quotas(quotas);
        tracing::info!(?quotas, "quotas changed");
    }

    /// Switches every fault off (issued credentials stay as they are).
    pub(crate) fn clear_faults(&self) {
        self.faults.update_net(|f| *f = Default::default());
        *self.faults.rest() = Default::default();
        self.faults.set_rest_outage(None);
        for d in &self.devices {
            d.set_responsive(true);
        }
        tracing::info!("fault: all cleared");
    }
}
