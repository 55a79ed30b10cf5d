//! Fault switches shared by the gateway, the REST server and the REST front.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::watch;

use crate::config::InvalidCredentialsForm;

/// What the sign-in endpoint does, whatever the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case", tag = "kind", content = "form")]
pub enum SignInFault {
    /// Normal behaviour: the right password signs in, a wrong one is refused.
    #[default]
    None,
    /// Every sign-in is refused as invalid credentials, in the given form.
    InvalidCredentials(InvalidCredentialsForm),
    /// Every sign-in (and refresh) fails transiently with HTTP 500.
    ServerError,
}

/// How the REST server is down (see [`Simulator::set_rest_outage`](crate::Simulator::set_rest_outage)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "status")]
pub enum RestOutage {
    /// Every TCP connection to the REST port is reset at once, open ones included, as if the
    /// server process were down.
    Refuse,
    /// Every REST request (sign-in, refresh and device calls included) is answered with this
    /// HTTP status and a small HTML body, as a load balancer in front of a failed service
    /// answers. Must be 400–599.
    Status(u16),
    /// Connections are accepted and requests never answered; open connections stop forwarding
    /// too. Nothing sent meanwhile ever reaches the server: when the outage ends, a connection
    /// on which the client sent anything (a request, or its close) is reset, and an idle one
    /// (e.g. a pooled keep-alive connection) carries on.
    Blackhole,
}

/// Whether `status` can be used as an error answer (upgrade or REST outage).
pub(crate) fn is_error_status(status: u16) -> bool {
    (400..=599).contains(&status)
}

/// Whether `code` is a CONNACK refusal code of MQTT 3.1.1 (1–5).
pub(crate) fn is_connack_refusal(code: u8) -> bool {
    (1..=5).contains(&code)
}

/// Network faults, read by every gateway connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NetFaults {
    pub refuse: bool,
    pub blackhole: bool,
    pub reject_upgrades: bool,
    pub latency: Duration,
    /// New connections are refused until then (broker restart).
    pub down_until: Option<Instant>,
    /// Every WebSocket upgrade is answered with this status.
    pub upgrade_status: Option<u16>,
    /// Upgrade requests (WebSocket) and CONNECTs are read and the socket closed unanswered.
    pub close_during_handshake: bool,
    /// Every CONNECT is answered with a CONNACK carrying this code, then closed.
    pub connack_refusal: Option<u8>,
    /// SUBSCRIBEs of network sessions are ignored: never applied, never acknowledged.
    pub withhold_suback: bool,
    /// Connections are closed this long after their CONNACK.
    pub kick_after_connack: Option<Duration>,
}

/// REST faults.
#[derive(Debug, Clone, Default)]
pub(crate) struct RestFaults {
    pub sign_in: SignInFault,
    pub reject_refresh: bool,
    /// The next this-many REST requests (any endpoint) get HTTP 500.
    pub fail_next: u32,
    /// Added to every REST answer (on top of the network latency).
    pub latency: Duration,
}

/// A serialisable view of every fault switch.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FaultSnapshot {
    /// New connections are reset at once.
    pub refuse_connections: bool,
    /// Nothing is forwarded on any connection; sockets stay open.
    pub blackhole: bool,
    /// Every WebSocket upgrade gets 403.
    pub reject_upgrades: bool,
    /// Added one-way delay in milliseconds.
    pub latency_ms: u64,
    /// A broker restart is in progress (connections refused).
    pub broker_restarting: bool,
    /// The sign-in fault.
    pub sign_in: SignInFault,
    /// Refreshes are refused with 401.
    pub reject_refresh: bool,
    /// REST requests still to fail with 500.
    pub fail_next_rest_requests: u32,
    /// Every WebSocket upgrade is answered with this HTTP status.
    pub upgrade_status: Option<u16>,
    /// Upgrade requests and CONNECTs are read, then the socket is closed without an answer.
    pub close_during_handshake: bool,
    /// Every CONNECT is answered with a CONNACK carrying this refusal code.
    pub connack_refusal: Option<u8>,
    /// SUBSCRIBEs are never acknowledged.
    pub withhold_suback: bool,
    /// Connections are closed this many milliseconds after their CONNACK.
    pub kick_after_connack_ms: Option<u64>,
    /// The REST outage in force.
    pub rest_outage: Option<RestOutage>,
    /// Delay added to REST answers only, in milliseconds.
    pub rest_latency_ms: u64,
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// All fault switches.
pub(crate) struct Faults {
    net: watch::Sender<NetFaults>,
    rest: Mutex<RestFaults>,
    /// Watched by every connection through the REST front, which must react to a change.
    rest_outage: watch::Sender<Option<RestOutage>>,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            net: watch::Sender::new(NetFaults::default()),
            rest: Mutex::default(),
            rest_outage: watch::Sender::new(None),
        }
    }
}

impl Faults {
    pub(crate) fn net(&self) -> NetFaults {
        self.net.borrow().clone()
    }

    pub(crate) fn watch_net(&self) -> watch::Receiver<NetFaults> {
        self.net.subscribe()
    }

    pub(crate) fn update_net(&self, f: impl FnOnce(&mut NetFaults)) {
        self.net.send_modify(f);
    }

    pub(crate) fn rest_outage(&self) -> Option<RestOutage> {
        *self.rest_outage.borrow()
    }

    pub(crate) fn watch_rest_outage(&self) -> watch::Receiver<Option<RestOutage>> {
        self.rest_outage.subscribe()
    }

    pub(crate) fn set_rest_outage(&self, outage: Option<RestOutage>) {
        self.rest_outage.send_replace(outage);
    }

    pub(crate) fn rest(&self) -> MutexGuard<'_, RestFaults> {
        self.rest.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Consumes one "fail next" credit; true when this request must fail.
    pub(crate) fn take_fail_next(&self) -> bool {
        let mut rest = self.rest();
        if rest.fail_next > 0 {
            rest.fail_next -= 1;
            true
        } else {
            false
        }
    }

    pub(crate) fn snapshot(&self) -> FaultSnapshot {
        let net = self.net();
        let rest = self.rest().clone();
        FaultSnapshot {
            refuse_connections: net.refuse,
            blackhole: net.blackhole,
            reject_upgrades: net.reject_upgrades,
            latency_ms: millis(net.latency),
            broker_restarting: net.down_until.is_some_and(|t| Instant::now() < t),
            sign_in: rest.sign_in,
            reject_refresh: rest.reject_refresh,
            fail_next_rest_requests: rest.fail_next,
            upgrade_status: net.upgrade_status,
            close_during_handshake: net.close_during_handshake,
            connack_refusal: net.connack_refusal,
            withhold_suback: net.withhold_suback,
            kick_after_connack_ms: net.kick_after_connack.map(millis),
            rest_outage: self.rest_outage(),
            rest_latency_ms: millis(rest.latency),
        }
    }
}
