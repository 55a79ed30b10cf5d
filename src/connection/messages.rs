//! Messages the Connection actor accepts and the events it emits.

use std::fmt;
use std::time::Duration;

use actix::Message;
use bytes::Bytes;

use super::error::{ConnectError, LinkError, RequestError};
use crate::credentials::AwsCredentials;
use crate::protocol::MacAddress;

/// Opaque label a caller attaches to a publish so queue events can name the device and
/// command. `Debug` shows only the last four characters of the device MAC.
#[derive(Clone, PartialEq, Eq)]
pub struct CommandLabel {
    /// The device.
    pub device: MacAddress,
    /// Command code (docs/protocol.md §5.3).
    pub command: u32,
}

impl fmt::Debug for CommandLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommandLabel")
            .field("device", &self.device)
            .field("command", &self.command)
            .finish()
    }
}

/// A publish waiting in (or taken from) the offline queue. `Debug` omits the topic
/// (topics carry device MACs) and the payload.
#[derive(Clone, PartialEq, Eq)]
pub struct QueuedCommand {
    /// Topic to publish on.
    pub topic: String,
    /// Payload (UTF-8 JSON).
    pub payload: Bytes,
    /// Caller's label, echoed in queue events.
    pub label: Option<CommandLabel>,
}

impl fmt::Debug for QueuedCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueuedCommand")
            .field("topic_len", &self.topic.len())
            .field("payload_len", &self.payload.len())
            .field("label", &self.label)
            .finish()
    }
}

/// Open a new transport generation. Any current transport is dropped first, and the new
/// one opens only after the old one is closed. Resolves after CONNACK or with the error
/// (bounded by the connect timeout). On WebSocket URLs, `credentials` (when given) are used
/// to presign the URL at the moment of the attempt.
#[derive(Debug, Message)]
#[rtype(result = "Result<Connected, ConnectError>")]
pub struct Connect {
    /// Generation number chosen by the supervisor; tags every event of this transport.
    pub generation: u64,
    /// AWS credentials for SigV4 presigning; `None` connects unsigned.
    pub credentials: Option<AwsCredentials>,
}

/// A planned handover, step 1: open a second link for `generation` under `client_id`
/// while the current one stays in use (at most two links are alive, and only during a
/// handover). Resolves after its CONNACK, like [`Connect`]. A standby already open is
/// dropped first.
#[derive(Debug, Message)]
#[rtype(result = "Result<Connected, ConnectError>")]
pub struct OpenStandby {
    /// Generation number of the new link.
    pub generation: u64,
    /// AWS credentials for SigV4 presigning; `None` connects unsigned.
    pub credentials: Option<AwsCredentials>,
    /// Its client id (not the current link's: AWS IoT allows one connection per id).
    pub client_id: String,
}

/// A planned handover, step 2: subscribe `filters` on the standby link of `generation`
/// (as [`Subscribe`] does on the current one).
#[derive(Debug, Message)]
#[rtype(result = "Result<Vec<FilterOutcome>, RequestError>")]
pub struct SubscribeStandby {
    /// The standby link's generation.
    pub generation: u64,
    /// Topic filters.
    pub filters: Vec<String>,
}

/// A planned handover, step 3: the standby link of `generation` becomes the current one
/// (publishing, the pacer's waiting publishes and the offline queue move to it; the
/// next `Connect` uses its client id). The link it replaces keeps receiving until
/// [`CloseDraining`]. Fails with `NotConnected` when either link is not connected.
#[derive(Debug, Message)]
#[rtype(result = "Result<Swapped, RequestError>")]
pub struct SwapLinks {
    /// The standby link's generation.
    pub generation: u64,
}

/// Answer to [`SwapLinks`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Swapped {
    /// The generation of the link that was replaced (now draining).
    pub old_generation: u64,
    /// The client id now in use.
    pub client_id: String,
}

/// A planned handover, step 4: close the replaced link (DISCONNECT, bounded by the
/// close timeout). Publishes it sent that were not acknowledged go back to the queue
/// and are sent on the current link.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct CloseDraining;

/// A failed handover: drop the standby link of `generation`. Silent.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct CloseStandby {
    /// The standby link's generation.
    pub generation: u64,
}

/// Successful answer to [`Connect`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connected {
    /// The generation that connected.
    pub generation: u64,
    /// CONNACK's session-present flag (false with clean sessions: resubscribe everything).
    pub session_present: bool,
}

/// Close the transport of `generation` (DISCONNECT, then drop after the close timeout).
/// A no-op for any other generation. Never produces an `Interrupted` event.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Close {
    /// The generation to close.
    pub generation: u64,
}

/// Publish with QoS 1. Sent at once when the link is up and not restoring (resolves on
/// PUBACK); otherwise queued (answers `Queued`).
#[derive(Message)]
#[rtype(result = "Result<PublishOutcome, RequestError>")]
pub struct Publish {
    /// Topic.
    pub topic: String,
    /// Payload.
    pub payload: Bytes,
    /// Label echoed in queue events.
    pub label: Option<CommandLabel>,
}

impl fmt::Debug for Publish {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Publish")
            .field("topic_len", &self.topic.len())
            .field("payload_len", &self.payload.len())
            .field("label", &self.label)
            .finish()
    }
}

/// How a publish ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublishOutcome {
    /// The broker acknowledged it (PUBACK).
    Acknowledged,
    /// No usable link: it was queued and will be sent at the next flush.
    Queued {
        /// Queue length after queueing.
        queue_len: usize,
    },
    /// It was sent, but the transport ended before PUBACK (for a reason other than this
    /// publish's own timeout): it went back to the head of the queue.
    Requeued {
        /// Queue length after re-queueing.
        queue_len: usize,
    },
}

/// Subscribe (QoS 1) to `filters`, at most 8 per SUBSCRIBE packet, all packets sent
/// without waiting in between. Resolves with one outcome per filter, in order.
#[derive(Debug, Message)]
#[rtype(result = "Result<Vec<FilterOutcome>, RequestError>")]
pub struct Subscribe {
    /// Topic filters.
    pub filters: Vec<String>,
}

/// Unsubscribe from `filters` (one UNSUBSCRIBE each, pipelined). One outcome per filter.
#[derive(Debug, Message)]
#[rtype(result = "Result<Vec<FilterOutcome>, RequestError>")]
pub struct Unsubscribe {
    /// Topic filters.
    pub filters: Vec<String>,
}

/// Outcome for one filter of a [`Subscribe`] / [`Unsubscribe`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterOutcome {
    /// The filter.
    pub filter: String,
    /// `Ok` when acknowledged (and granted), else why not.
    pub result: Result<(), RequestError>,
}

/// Send the offline backlog (sent by the supervisor after resubscription). Expired entries
/// are reported, the rest are sent in order; publishes arriving meanwhile queue behind the
/// backlog. Resolves when the queue has drained and every flushed publish is acknowledged,
/// or when the link ends (then `complete` is false).
#[derive(Debug, Message)]
#[rtype(result = "Result<FlushReport, RequestError>")]
pub struct FlushQueue;

/// Result of a [`FlushQueue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlushReport {
    /// Publishes acknowledged.
    pub sent: usize,
    /// Entries dropped because they were older than the maximum age.
    pub expired: usize,
    /// Entries that went back to the queue because the link ended.
    pub requeued: usize,
    /// Whether the queue drained completely on this link.
    pub complete: bool,
}

/// Restart the actor (it stops and its supervision starts it again): the transport, the
/// acknowledgement tracker, the RTT estimate, the TLS settings and the timers are
/// discarded; the offline queue and the settings are kept. Counted in
/// [`LinkStatus::restarts`].
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Restart;

/// Empty the offline queue; answers how many entries were removed.
#[derive(Debug, Message)]
#[rtype(result = "usize")]
pub struct ClearQueue;

/// Ask for the current state.
#[derive(Debug, Message)]
#[rtype(result = "LinkStatus")]
pub struct GetStatus;

/// Where the current generation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPhase {
    /// No transport.
    Idle,
    /// Waiting for CONNACK.
    Connecting,
    /// Connected; publishes queue until the flush finishes.
    Restoring,
    /// Connected and flushed; publishes go straight out.
    Connected,
}

/// Snapshot of the actor's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkStatus {
    /// Current generation, if any transport exists.
    pub generation: Option<u64>,
    /// Phase of the current generation.
    pub phase: LinkPhase,
    /// Offline queue length.
    pub queue_len: usize,
    /// Operations awaiting an acknowledgement.
    pub pending_acks: usize,
    /// Transports whose socket may be open right now (0 or 1).
    pub live_transports: usize,
    /// The largest number of simultaneously live transports ever observed.
    pub max_live_transports: usize,
    /// Transports opened since the actor was created.
    pub transports_opened: u64,
    /// Incoming PUBLISH packets received since the actor was created.
    pub messages_received: u64,
    /// Our publishes the broker acknowledged (PUBACK) since the actor was created.
    pub publishes_acknowledged: u64,
    /// The live link's smoothed round trip (from PUBACK/SUBACK/PINGRESP timings), once
    /// measured.
    pub smoothed_rtt: Option<std::time::Duration>,
    /// The live link's current acknowledgement deadline (adapts to the round trip).
    pub ack_timeout: Option<std::time::Duration>,
    /// How many times the actor was restarted (`Restart`): each restart discards
    /// everything but the offline queue and the settings.
    pub restarts: u64,
}

/// Events for the supervisor (and observers).
#[derive(Debug, Clone, PartialEq, Eq, Message)]
#[rtype(result = "()")]
pub enum ConnectionEvent {
    /// CONNACK received for `generation`.
    Connected {
        /// Generation.
        generation: u64,
        /// CONNACK's session-present flag.
        session_present: bool,
    },
    /// A live generation ended on its own (transport error, broker close, missing
    /// PINGRESP or acknowledgement). Never emitted for `Close`, `Connect` replacements or
    /// restarts.
    Interrupted {
        /// Generation.
        generation: u64,
        /// Why.
        error: LinkError,
    },
    /// Something happened to a queued command.
    Command(CommandEvent),
}

/// Offline-queue events (never silent: every drop and expiry is reported).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandEvent {
    /// A publish was queued (or put back at the head after its transport ended).
    Queued {
        /// The publish's label.
        label: Option<CommandLabel>,
        /// Queue length afterwards.
        queue_len: usize,
    },
    /// A queued publish was dropped because the queue was full.
    Dropped {
        /// The publish's label.
        label: Option<CommandLabel>,
    },
    /// A queued publish was older than the maximum age at flush time and was not sent.
    Expired {
        /// The publish's label.
        label: Option<CommandLabel>,
        /// Its age.
        age: Duration,
    },
    /// A publish that had been queued was acknowledged by the broker.
    Sent {
        /// The publish's label.
        label: Option<CommandLabel>,
    },
}

/// An incoming PUBLISH, for the dispatcher. Forwarded straight from the transport task.
#[derive(Clone, PartialEq, Eq, Message)]
#[rtype(result = "()")]
pub struct IncomingPublish {
    /// Generation that received it.
    pub generation: u64,
    /// Topic.
    pub topic: String,
    /// Payload.
    pub payload: Bytes,
}

impl fmt::Debug for IncomingPublish {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IncomingPublish")
            .field("generation", &self.generation)
            .field("topic_len", &self.topic.len())
            .field("payload_len", &self.payload.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_a_full_mac_or_topic() {
        let label = CommandLabel {
            device: MacAddress::new("aabbccddeeff").unwrap(),
            command: 16_777_219,
        };
        let cmd = QueuedCommand {
            topic: "cmd/52/navilink-aabbccddeeff/st".into(),
            payload: Bytes::from_static(b"{}"),
            label: Some(label.clone()),
        };
        for s in [format!("{label:?}"), format!("{cmd:?}")] {
            assert!(!s.contains("aabbccddeeff"), "{s}");
            assert!(s.contains("eeff"), "{s}");
        }
        let incoming = IncomingPublish {
            generation: 1,
            topic: "cmd/52/navilink-aabbccddeeff/st".into(),
            payload: Bytes::new(),
        };
        assert!(!format!("{incoming:?}").contains("aabbcc"));
    }
}
