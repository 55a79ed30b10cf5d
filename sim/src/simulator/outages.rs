//! The outage switches of [`Simulator`]: failures at the WebSocket upgrade, during the MQTT
//! handshake and session, and of the REST server. Every one is also reachable over the control
//! API, is cleared by [`Simulator::clear_faults`] and shows in [`Simulator::faults`].

use std::time::Duration;

use super::Simulator;
use crate::faults::{is_connack_refusal, is_error_status, RestOutage};

impl Simulator {
    /// While `Some(status)`, every WebSocket upgrade request is answered with that HTTP status
    /// instead of 101, before any signature check — what AWS front ends answer during an
    /// incident (502, 503, 504). The connections end as
    /// [`ConnectionOutcome::UpgradeStatus`](crate::ConnectionOutcome::UpgradeStatus). The plain
    /// MQTT/TCP listener has no upgrade and is not affected. `None` switches it off.
    ///
    /// # Panics
    ///
    /// If the status is not in 400–599.
    pub fn set_upgrade_status(&self, status: Option<u16>) {
        if let Some(s) = status {
            assert!(is_error_status(s), "upgrade status {s} is not in 400..=599");
        }
        self.shared.set_upgrade_status(status);
    }

    /// While on, the WebSocket listener accepts TCP, reads the upgrade request and closes the
    /// socket without answering (a tungstenite client reports the handshake unfinished); a
    /// CONNECT arriving on either listener is read and the socket closed without a CONNACK.
    /// The connections end as
    /// [`ConnectionOutcome::ClosedDuringHandshake`](crate::ConnectionOutcome::ClosedDuringHandshake).
    /// Takes precedence over every other upgrade and CONNECT fault.
    pub fn set_close_during_handshake(&self, on: bool) {
        self.shared.set_close_during_handshake(on);
    }

    /// While `Some(code)`, every CONNECT (after a successful, still signature-checked upgrade)
    /// is answered with a CONNACK carrying that return code and the connection is closed, as
    /// AWS IoT does: 3 = server unavailable, 4 = bad user name or password, 5 = not
    /// authorized (1 and 2 are accepted too). The refused connection does not take over the
    /// client id, so it never counts as live. The connections end as
    /// [`ConnectionOutcome::ConnackRefused`](crate::ConnectionOutcome::ConnackRefused).
    /// `None` switches it off.
    ///
    /// # Panics
    ///
    /// If the code is not in 1–5.
    pub fn set_connack_refusal(&self, code: Option<u8>) {
        if let Some(c) = code {
            assert!(
                is_connack_refusal(c),
                "CONNACK refusal code {c} is not in 1..=5"
            );
        }
        self.shared.set_connack_refusal(code);
    }

    /// While on, CONNECTs are accepted (CONNACK 0) but SUBSCRIBE packets are neither applied nor
    /// acknowledged; the connection stays open, PINGREQ is still answered and PUBLISH still
    /// acknowledged — a client never completes its subscription restore. Every ignored
    /// SUBSCRIBE is counted in
    /// [`ConnectionRecord::subacks_withheld`](crate::ConnectionRecord::subacks_withheld).
    /// The simulated devices' own subscriptions are not affected.
    pub fn set_withhold_suback(&self, on: bool) {
        self.shared.set_withhold_suback(on);
    }

    /// While `Some(after)`, every connection is closed `after` its CONNACK was sent (a kick
    /// loop, as when a policy rejects the client right after connecting). Switching it off also
    /// spares connections whose kick is still pending. The connections end as
    /// [`ConnectionOutcome::KickedAfterConnack`](crate::ConnectionOutcome::KickedAfterConnack).
    pub fn set_kick_after_connack(&self, after: Option<Duration>) {
        self.shared.set_kick_after_connack(after);
    }

    /// Puts the REST server out of service in the given way, or back with `None`:
    ///
    /// * [`RestOutage::Refuse`]: every connection to the REST port is reset at once, open
    ///   keep-alive connections included;
    /// * [`RestOutage::Status`]: every REST request (sign-in, refresh, device calls, unknown
    ///   paths) is answered with that status and an HTML page;
    /// * [`RestOutage::Blackhole`]: connections are accepted and nothing is answered; open
    ///   connections stop forwarding too.
    ///
    /// The control API ([`Simulator::control_url`]) has its own port and keeps working. The
    /// REST port is not in the connection log; the effects are counted in [`Counters`]
    /// (`rest_connections_refused`, `rest_connections_blackholed`, `rest_outage_answers`).
    ///
    /// [`Counters`]: crate::Counters
    ///
    /// # Panics
    ///
    /// If a [`RestOutage::Status`] is not in 400–599.
    pub fn set_rest_outage(&self, outage: Option<RestOutage>) {
        if let Some(RestOutage::Status(s)) = outage {
            assert!(
                is_error_status(s),
                "REST outage status {s} is not in 400..=599"
            );
        }
        self.shared.set_rest_outage(outage);
    }

    /// Delays every REST answer (sign-in and refresh included) by this much, on top of
    /// [`Simulator::set_latency`]; MQTT traffic is not affected. `Duration::ZERO` removes it.
    pub fn set_rest_latency(&self, latency: Duration) {
        self.shared.set_rest_latency(latency);
    }
}
