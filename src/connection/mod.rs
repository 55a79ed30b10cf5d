//! The Connection actor: one MQTT transport generation at a time, acknowledged operations,
//! and the offline command queue.
//!
//! # Ownership
//!
//! The actor owns at most one *transport generation*: a rumqttc `AsyncClient` and its
//! `EventLoop`, created for that generation and polled by one dedicated task that does
//! nothing else. The task forwards every relevant event to the actor tagged with its
//! transport, sends incoming publishes straight to the dispatcher (tagged with the
//! generation), and on its first error reports once and exits: a failed event loop is
//! never polled again, so rumqttc never reconnects on its own. The actor **never decides
//! to reconnect**: the supervisor (Reconnector) drives it with the messages below.
//!
//! Invariants:
//! - The old transport is closed before a new one opens: `Connect` drops the current
//!   transport and the new task waits until the old socket is gone before connecting.
//!   The one exception is a planned handover: a second link under another client id
//!   (`OpenStandby`) while the current one stays in use, so at most two are alive.
//! - Intentional teardown (`Close`, a replacing `Connect`, `Restart`) never emits
//!   `Interrupted`, so it cannot feed the reconnect trigger (P-11).
//! - Every acknowledgement wait is bounded by the operation timeout; an overdue
//!   acknowledgement or PINGRESP on a live transport ends that generation with
//!   `Interrupted` (half-open link, L-12).
//! - No handler ever waits on rumqttc's request channel (`try_*` only).
//! - On WebSocket URLs with credentials, the URL is SigV4-presigned inside rumqttc's
//!   request modifier, i.e. afresh at the moment of the attempt, never cached.
//!
//! # Transports (by URL scheme)
//!
//! The transport is the one the configured [`MqttEndpoint`](crate::endpoint::MqttEndpoint)
//! selects:
//!
//! | URL | Transport |
//! |---|---|
//! | `wss://host/mqtt` | WebSocket over TLS (rustls, platform roots loaded without panicking, ALPN `http/1.1`) |
//! | `ws://host:port/mqtt` | plain WebSocket (local brokers, simulator) |
//! | `mqtt://host:port` | plain TCP |
//!
//! Every transport uses MQTT 3.1.1, the same client id for every generation, clean
//! session, the configured keep-alive ([`KeepAlive`](crate::config::KeepAlive), already
//! validated), QoS 1 and `Sec-WebSocket-Protocol: mqtt` on WebSockets.
//!
//! # Messages
//!
//! | Message | Answer | Meaning |
//! |---|---|---|
//! | [`Connect`] `{ generation, credentials }` | `Result<`[`Connected`]`, `[`ConnectError`]`>` | Drop any current transport, open generation `generation`; resolves on CONNACK or with a classified error within the connect timeout. The link is then *restoring*. |
//! | [`Close`] `{ generation }` | `()` | Graceful DISCONNECT then drop (bounded by the close timeout). No-op for other generations. Silent. |
//! | [`Publish`] `{ topic, payload, label }` | `Result<`[`PublishOutcome`]`, `[`RequestError`]`>` | QoS 1. Connected and flushed: sent, resolves on PUBACK (or `Timeout`). Otherwise queued (`Queued`). |
//! | [`Subscribe`] `{ filters }` | `Result<Vec<`[`FilterOutcome`]`>, _>` | ≤ 8 filters per SUBSCRIBE, all packets pipelined; per-filter outcome. Allowed while restoring. |
//! | [`Unsubscribe`] `{ filters }` | `Result<Vec<`[`FilterOutcome`]`>, _>` | One UNSUBSCRIBE per filter, pipelined. |
//! | [`FlushQueue`] | `Result<`[`FlushReport`]`, _>` | Send the backlog in order (expired entries reported, not sent); publishes arriving meanwhile queue behind it. Ends restoring. |
//! | [`Restart`] | `()` | Restart the actor: everything but the offline queue and the settings is discarded (transport, acknowledgements, RTT estimate, TLS settings, timers). |
//! | [`ClearQueue`] | `usize` | Empty the queue. |
//! | [`OpenStandby`] `{ generation, credentials, client_id }` | as `Connect` | A planned handover's second link, opened while the current one stays in use. |
//! | [`SubscribeStandby`] `{ generation, filters }` | as `Subscribe` | Subscribe on the second link. |
//! | [`SwapLinks`] `{ generation }` | `Result<`[`Swapped`]`, _>` | The second link becomes current (publishing, waiting publishes, queue); the replaced one drains. |
//! | [`CloseDraining`] | `()` | Close the replaced link; its unacknowledged publishes go out on the current one. |
//! | [`CloseStandby`] `{ generation }` | `()` | A failed handover: drop the second link. |
//! | [`GetStatus`] | [`LinkStatus`] | Snapshot (phase, queue length, live transports…). |
//!
//! Generations are chosen by the supervisor and should increase; events carry them so
//! stale ones can be ignored.
//!
//! # Events out
//!
//! To the `Recipient<`[`ConnectionEvent`]`>` given at construction:
//! `Connected { generation, session_present }` (also the answer to `Connect`),
//! `Interrupted { generation, error }` (only for a live generation ending on its own), and
//! `Command(`[`CommandEvent`]`)`: `Queued`, `Dropped` (overflow), `Expired` (too old at
//! flush), `Sent` (a queued command was acknowledged).
//! To the `Recipient<`[`IncomingPublish`]`>`: every incoming publish.
//!
//! # Publishes and the queue
//!
//! A publish that was sent but whose generation ended before PUBACK goes back to the head
//! of the queue in its original order (at-least-once, P-4) and its caller is answered
//! `Requeued`; only a publish whose own operation timeout passed is answered `Timeout` to
//! its caller instead. Entries keep their first enqueue time, so the maximum age still
//! applies (P-30).
//!
//! # Recovery order expected from the supervisor
//!
//! `Close { old }` → `Connect { new, creds }` → (session not present) `Subscribe` the
//! whole registry → `FlushQueue` → resume periodic requests. `FlushQueue` is needed after
//! every successful `Connect`, including the first (L-9); until then publishes queue.

mod ack;
mod actor;
mod error;
mod messages;
mod pacer;
mod poller;
mod rtt;
mod settings;
mod shutdown;
mod supervisor;
mod transport;

internal_use!(actor::{Connection, MAX_FILTERS_PER_SUBSCRIBE});
pub use pacer::DEFAULT_PUBLISH_RATE;
pub use error::{Cause, ConnectError, ConnectErrorKind, LinkError, Operation, RequestError};
pub use messages::{CommandLabel, GetStatus, LinkPhase, LinkStatus, PublishOutcome};
internal_use!(messages::{
    ClearQueue, Close, CloseDraining, CloseStandby, CommandEvent, Connect, Connected,
    ConnectionEvent, FilterOutcome, FlushQueue, FlushReport, IncomingPublish, OpenStandby,
    Publish, QueuedCommand, Restart, Subscribe, SubscribeStandby, SwapLinks, Swapped,
    Unsubscribe,
});
internal_use!(settings::{ConnectionSettings, SettingsError});
pub(crate) use transport::shared_tls_config;
