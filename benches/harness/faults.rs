//! How each outage form is made and lifted on nwp500-sim, for the recovery and chaos
//! sections. A form that only acts on new connections (an upgrade answered 5xx, CONNACK
//! refusals, expired credentials…) also drops every live connection when it starts: a client
//! with a settled link would otherwise never see it.

use std::time::Duration;

use nwp500_sim::{RestOutage, Simulator};

/// One way of breaking the cloud for a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Every connection dropped (TCP close); nothing else.
    Drop,
    /// The live connections of some clients closed by the broker (`kick`).
    Kick,
    /// Connections dropped, new ones reset at once.
    Refuse,
    /// Nothing forwarded, sockets kept open (half-open links that stay dead afterwards).
    Blackhole,
    /// Every connection dropped and new ones refused for the simulator's restart downtime.
    BrokerRestart,
    /// Every WebSocket upgrade answered with this 5xx status.
    UpgradeStatus(u16),
    /// Upgrade requests read and the socket closed without an answer.
    HandshakeClose,
    /// Every CONNECT answered with CONNACK carrying this refusal code (3, 4 or 5).
    ConnackRefusal(u8),
    /// AWS credentials expired and the REST API out of service in this way, so the client
    /// must renew through a REST API that cannot answer.
    RestOutage(RestOutage),
    /// AWS credentials and access tokens expired (the next attempt is refused at the upgrade
    /// and must renew); the REST API works.
    CredentialsExpired,
    /// CONNECTs accepted but SUBSCRIBEs never acknowledged (the restore cannot complete).
    WithholdSuback,
    /// Every connection closed shortly after its CONNACK.
    KickAfterConnack(Duration),
}

impl Fault {
    /// Case-id form.
    pub fn id(self) -> String {
        match self {
            Fault::Drop => "drop".into(),
            Fault::Kick => "kick".into(),
            Fault::Refuse => "refuse".into(),
            Fault::Blackhole => "blackhole".into(),
            Fault::BrokerRestart => "restart".into(),
            Fault::UpgradeStatus(s) => format!("upgrade{s}"),
            Fault::HandshakeClose => "handshake-close".into(),
            Fault::ConnackRefusal(c) => format!("connack{c}"),
            Fault::RestOutage(RestOutage::Status(s)) => format!("rest{s}"),
            Fault::RestOutage(RestOutage::Refuse) => "rest-refuse".into(),
            Fault::RestOutage(RestOutage::Blackhole) => "rest-blackhole".into(),
            Fault::CredentialsExpired => "expired".into(),
            Fault::WithholdSuback => "no-suback".into(),
            Fault::KickAfterConnack(_) => "kick-after-connack".into(),
        }
    }

    /// Words for tables.
    pub fn label(self) -> String {
        match self {
            Fault::Drop => "connections dropped".into(),
            Fault::Kick => "clients kicked".into(),
            Fault::Refuse => "connections refused".into(),
            Fault::Blackhole => "black hole".into(),
            Fault::BrokerRestart => "broker restart".into(),
            Fault::UpgradeStatus(s) => format!("upgrade answered {s}"),
            Fault::HandshakeClose => "closed during the handshake".into(),
            Fault::ConnackRefusal(c) => format!("CONNACK {c}"),
            Fault::RestOutage(RestOutage::Status(s)) => {
                format!("REST answers {s}, credentials expired")
            }
            Fault::RestOutage(RestOutage::Refuse) => "REST refused, credentials expired".into(),
            Fault::RestOutage(RestOutage::Blackhole) => {
                "REST black hole, credentials expired".into()
            }
            Fault::CredentialsExpired => "credentials expired".into(),
            Fault::WithholdSuback => "SUBACKs withheld".into(),
            Fault::KickAfterConnack(after) => {
                format!("kicked {} ms after CONNACK", after.as_millis())
            }
        }
    }

    /// Starts the fault. `kicked` are the client ids a [`Fault::Kick`] closes.
    pub fn start(self, sim: &Simulator, kicked: &[String]) {
        match self {
            Fault::Drop => {
                sim.drop_all_connections();
            }
            Fault::Kick => {
                for id in kicked {
                    sim.kick(id);
                }
            }
            Fault::Blackhole => sim.set_blackhole(true),
            Fault::BrokerRestart => {
                sim.restart_broker();
            }
            Fault::Refuse => {
                sim.set_refuse_connections(true);
                sim.drop_all_connections();
            }
            Fault::UpgradeStatus(s) => {
                sim.set_upgrade_status(Some(s));
                sim.drop_all_connections();
            }
            Fault::HandshakeClose => {
                sim.set_close_during_handshake(true);
                sim.drop_all_connections();
            }
            Fault::ConnackRefusal(c) => {
                sim.set_connack_refusal(Some(c));
                sim.drop_all_connections();
            }
            Fault::RestOutage(outage) => {
                sim.expire_credentials();
                sim.set_rest_outage(Some(outage));
                sim.drop_all_connections();
            }
            Fault::CredentialsExpired => {
                sim.expire_credentials();
                sim.expire_access_tokens();
                sim.drop_all_connections();
            }
            Fault::WithholdSuback => {
                sim.set_withhold_suback(true);
                sim.drop_all_connections();
            }
            Fault::KickAfterConnack(after) => {
                sim.set_kick_after_connack(Some(after));
                sim.drop_all_connections();
            }
        }
    }

    /// Lifts the fault: the endpoint is healthy again from this call on.
    pub fn end(self, sim: &Simulator) {
        match self {
            // A restart ends by itself after the configured downtime.
            Fault::Drop | Fault::Kick | Fault::BrokerRestart | Fault::CredentialsExpired => {}
            Fault::Refuse => sim.set_refuse_connections(false),
            Fault::Blackhole => sim.set_blackhole(false),
            Fault::UpgradeStatus(_) => sim.set_upgrade_status(None),
            Fault::HandshakeClose => sim.set_close_during_handshake(false),
            Fault::ConnackRefusal(_) => sim.set_connack_refusal(None),
            Fault::RestOutage(_) => sim.set_rest_outage(None),
            Fault::WithholdSuback => sim.set_withhold_suback(false),
            Fault::KickAfterConnack(_) => sim.set_kick_after_connack(None),
        }
    }
}
