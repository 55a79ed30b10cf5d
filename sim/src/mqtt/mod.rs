//! A small in-process MQTT 3.1.1 broker.
//!
//! Why not an off-the-shelf embedded broker (rumqttd 0.20 was evaluated): it cannot be shut down
//! (its router and listener threads and its port live until the process exits, so every
//! simulator started in a test would leak them); it cannot report an ephemeral port; and its
//! duplicate-client-id takeover reuses connection slots, so the late disconnect of a kicked
//! connection can end the new connection that took its slot. Kicking older connections with the
//! same client id is exactly what the simulator must do reliably, so the broker is written here:
//! CONNECT/CONNACK, SUBSCRIBE/SUBACK with `+`/`#`, UNSUBSCRIBE, PUBLISH at QoS 0/1 with PUBACK,
//! PINGREQ, DISCONNECT, keep-alive enforcement, no retained messages, no persistent sessions,
//! and AWS IoT's per-connection quotas (`limits.rs` and the session; see the crate docs).

pub(crate) mod broker;
pub(crate) mod codec;
pub(crate) mod limits;
pub(crate) mod session;
pub(crate) mod topic;
