//! One gateway connection: learn the client id from CONNECT, hand the session to the broker, and
//! forward bytes both ways while applying the faults (latency, black hole, kicks, lifetime).

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{oneshot, watch};
use tokio::time::{sleep_until, Instant};

use super::delay::DelayLine;
use super::link::{ClientRx, ClientTx};
use crate::conn_log::{ConnectionOutcome, Transport};
use crate::faults::NetFaults;
use crate::mqtt::codec::{self, Packet};
use crate::mqtt::session::{self, SessionEnd, SessionHooks};
use crate::shared::Shared;

/// First byte of a CONNACK (type 2, no flags).
const CONNACK_FIRST_BYTE: u8 = 0x20;

/// Sleeps until `at`, or forever when there is no such instant.
async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The gateway's faults as the broker session sees them.
struct Hooks {
    shared: Arc<Shared>,
    id: u64,
}

impl SessionHooks for Hooks {
    fn withhold_suback(&self) -> bool {
        self.shared.faults.net().withhold_suback
    }

    fn suback_withheld(&self, _packet_id: u16) {
        self.shared.log.note_suback_withheld(self.id);
    }

    fn subscription_refused(&self) {
        self.shared.log.note_subscription_refused(self.id);
    }

    fn publish_throttled(&self) {
        self.shared.log.note_publish_throttled(self.id);
    }

    fn delivery_held(&self) {
        self.shared.log.note_delivery_held(self.id);
    }
}

/// Runs a connection whose transport is established, until it ends, and logs the outcome.
/// `blackholed` = the link is dead from the start (accepted during a black hole).
pub(crate) async fn run(
    shared: Arc<Shared>,
    id: u64,
    mut rx: ClientRx,
    mut tx: ClientTx,
    transport: Transport,
    blackholed: bool,
) {
    let kill = shared.live.add(id);
    let lifetime = shared.config.max_connection_lifetime;
    let deadline = Instant::now()
        .checked_add(lifetime)
        .unwrap_or_else(|| Instant::now() + Duration::from_secs(100 * 365 * 86400));
    let mut conn = Conn {
        shared: shared.clone(),
        id,
        kill,
        deadline,
        net: shared.faults.watch_net(),
        net_open: true,
    };
    let outcome = if blackholed {
        conn.hold(&mut rx).await
    } else {
        conn.pump(&mut rx, &mut tx, transport).await
    };
    shared.log.close(id, outcome, std::time::Instant::now());
    shared.live.remove(id);
}

struct Conn {
    shared: Arc<Shared>,
    id: u64,
    kill: oneshot::Receiver<ConnectionOutcome>,
    deadline: Instant,
    net: watch::Receiver<NetFaults>,
    net_open: bool,
}

impl Conn {
    fn latency(&self) -> Duration {
        self.net.borrow().latency
    }

    /// Whether the black hole is on now (after a change notification).
    fn blackhole_after_change(&mut self, changed: Result<(), watch::error::RecvError>) -> bool {
        if changed.is_err() {
            // The simulator is going away; stop watching.
            self.net_open = false;
            return false;
        }
        self.net.borrow_and_update().blackhole
    }

    async fn pump(
        &mut self,
        rx: &mut ClientRx,
        tx: &mut ClientTx,
        transport: Transport,
    ) -> ConnectionOutcome {
        if self.net.borrow_and_update().blackhole {
            return self.hold(rx).await;
        }
        let max_packet = self.shared.broker.settings().max_packet_size;
        let connect_by = Instant::now() + self.shared.broker.settings().connect_timeout;

        // Phase 1: collect bytes until the CONNECT packet is complete.
        let mut pending = Vec::new();
        let connect = loop {
            match codec::decode(&pending, max_packet) {
                Ok(Some((Packet::Connect(c), _))) => break c,
                Ok(Some(_)) | Err(_) => return ConnectionOutcome::ProtocolError,
                Ok(None) => {}
            }
            tokio::select! {
                outcome = &mut self.kill => return outcome.unwrap_or(ConnectionOutcome::Shutdown),
                () = sleep_until(self.deadline) => return ConnectionOutcome::LifetimeExceeded,
                () = sleep_until(connect_by) => return ConnectionOutcome::ProtocolError,
                changed = self.net.changed(), if self.net_open => {
                    if self.blackhole_after_change(changed) {
                        return self.hold(rx).await;
                    }
                }
                chunk = rx.next() => match chunk {
                    Some(data) => pending.extend_from_slice(&data),
                    None => return ConnectionOutcome::ClientClosed,
                },
            }
        };

        self.shared.log.set_connect_received(
            self.id,
            &connect.client_id,
            std::time::Instant::now(),
        );
        if let Some(outcome) = self.refuse_connect(tx, transport).await {
            tracing::info!(conn = self.id, client_id = %connect.client_id, ?outcome, "gateway: CONNECT refused");
            return outcome;
        }
        // After the injected faults, so a fault under test is never masked by the quota.
        let min_interval = self
            .shared
            .broker
            .quotas()
            .min_connect_interval_per_client_id;
        if let Err(since) = self.shared.connect_rate.admit(
            &connect.client_id,
            std::time::Instant::now(),
            min_interval,
        ) {
            // AWS throttles the CONNECT and hangs up; the client sees a close before CONNACK.
            tracing::info!(
                conn = self.id,
                client_id = %connect.client_id,
                since_ms = u64::try_from(since.as_millis()).unwrap_or(u64::MAX),
                "gateway: CONNECT throttled, closed before CONNACK"
            );
            return ConnectionOutcome::ConnectThrottled;
        }

        // Phase 2: the connection becomes the live one for its client id.
        self.shared
            .live
            .claim(self.id, &connect.client_id, &self.shared.log);
        tracing::info!(conn = self.id, client_id = %connect.client_id, ?transport, "gateway: client connected");
        let (gateway_side, broker_side) = tokio::io::duplex(64 * 1024);
        let broker = self.shared.broker.clone();
        let hooks = Hooks {
            shared: self.shared.clone(),
            id: self.id,
        };
        let session = tokio::spawn(session::serve(broker, broker_side, hooks));
        let (mut broker_rd, mut broker_wr) = tokio::io::split(gateway_side);
        let mut up = DelayLine::default();
        let mut down = DelayLine::default();
        up.push(pending, self.latency());
        let mut buf = vec![0u8; 8192];
        // The broker's first bytes are the CONNACK; the kick-after-CONNACK fault counts from it.
        let mut first_down = true;
        let mut kick_at: Option<Instant> = None;

        loop {
            tokio::select! {
                outcome = &mut self.kill => return outcome.unwrap_or(ConnectionOutcome::Shutdown),
                () = sleep_until(self.deadline) => return ConnectionOutcome::LifetimeExceeded,
                () = sleep_until_some(kick_at) => {
                    tracing::info!(conn = self.id, "gateway: kicked after CONNACK");
                    return ConnectionOutcome::KickedAfterConnack;
                }
                changed = self.net.changed(), if self.net_open => {
                    if self.net.borrow().kick_after_connack.is_none() {
                        // The fault was switched off before it struck: this connection stays.
                        kick_at = None;
                    }
                    if self.blackhole_after_change(changed) {
                        // The broker forgets the session (as AWS would once the link is dead);
                        // the client keeps an open socket that never answers again.
                        drop(broker_rd);
                        drop(broker_wr);
                        return self.hold(rx).await;
                    }
                }
                chunk = rx.next() => match chunk {
                    Some(data) => up.push(data, self.latency()),
                    None => return ConnectionOutcome::ClientClosed,
                },
                read = broker_rd.read(&mut buf) => match read {
                    Ok(n) if n > 0 => down.push(buf[..n].to_vec(), self.latency()),
                    _ => {
                        // The broker ended the session: deliver what it still sent (e.g. a
                        // refusing CONNACK), then report why it ended.
                        while let Some(data) = down.take_any() {
                            tx.send(data).await;
                        }
                        return match session.await {
                            Ok(SessionEnd::ClientClosed) => ConnectionOutcome::ClientClosed,
                            Ok(SessionEnd::TakenOver) => ConnectionOutcome::DuplicateClientId,
                            Ok(SessionEnd::TooManyFilters) => ConnectionOutcome::TooManyFilters,
                            _ => ConnectionOutcome::BrokerClosed,
                        };
                    }
                },
                data = up.next_due() => {
                    if broker_wr.write_all(&data).await.is_err() {
                        // The broker side is gone; its read end reports why on the next turn.
                        continue;
                    }
                }
                data = down.next_due() => {
                    let is_connack = first_down && data.first() == Some(&CONNACK_FIRST_BYTE);
                    first_down = false;
                    if !tx.send(data).await {
                        return ConnectionOutcome::ClientClosed;
                    }
                    if is_connack {
                        let kick_after = self.net.borrow().kick_after_connack;
                        kick_at = kick_after.map(|d| Instant::now() + d);
                    }
                }
            }
        }
    }

    /// Applies the faults that answer a CONNECT with anything but a session; `Some(outcome)`
    /// when the connection ends here.
    async fn refuse_connect(
        &self,
        tx: &mut ClientTx,
        transport: Transport,
    ) -> Option<ConnectionOutcome> {
        let net = self.net.borrow().clone();
        if net.close_during_handshake {
            // Nothing is sent: the client sees the connection closed before any CONNACK.
            return Some(ConnectionOutcome::ClosedDuringHandshake);
        }
        let (code, outcome) = if transport == Transport::Tcp && net.reject_upgrades {
            (
                codec::CONNACK_NOT_AUTHORIZED,
                ConnectionOutcome::Rejected("CONNECT refused by fault injection".into()),
            )
        } else if let Some(code) = net.connack_refusal {
            (code, ConnectionOutcome::ConnackRefused(code))
        } else {
            return None;
        };
        let refusal = codec::to_bytes(&Packet::ConnAck {
            session_present: false,
            code,
        });
        tx.send(refusal).await;
        Some(outcome)
    }

    /// A black-holed link: read and discard everything, answer nothing, until the client gives
    /// up or the connection is ended.
    async fn hold(&mut self, rx: &mut ClientRx) -> ConnectionOutcome {
        self.shared.log.mark_blackholed(self.id);
        tracing::info!(conn = self.id, "gateway: link black-holed");
        loop {
            tokio::select! {
                outcome = &mut self.kill => return outcome.unwrap_or(ConnectionOutcome::Shutdown),
                () = sleep_until(self.deadline) => return ConnectionOutcome::LifetimeExceeded,
                chunk = rx.next() => if chunk.is_none() {
                    return ConnectionOutcome::ClientClosed;
                },
            }
        }
    }
}
