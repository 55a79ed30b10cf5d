//! The Reconnector: the supervisor of the connection and the only place that decides
//! when a connection attempt happens.
//!
//! It consumes the Connection actor's generation-tagged events (events of older
//! generations are ignored), runs the pure [`ReconnectPolicy`](crate::policy::ReconnectPolicy)
//! and performs every attempt and every recovery as one ordered unit:
//!
//! ```text
//! quick: Close{old} → Auth: GetCredentials (renewed only when stale) → Connect{new}
//! deep:  Close{old} → Auth: RenewCredentials (refresh, sign-in fallback)
//!        → Connection: Restart (a new incarnation: only queue and settings kept) → Connect{new}
//! then:  (session present) SetLink{up} | (no session) Subscriptions: Replay
//!        → Connection: FlushQueue → PeriodicRequests: Resume → Event::Recovered
//! ```
//!
//! A failed step counts as a failed attempt and the loop goes on (auth errors
//! included); only invalid credentials or the optional attempt limit stop it, with
//! [`Event::ReconnectionFailed`](crate::events::Event::ReconnectionFailed).
//! [`Disconnect`] works in every state, cancels everything, emits
//! [`Event::Disconnected`](crate::events::Event::Disconnected) (never a failure), no
//! attempt happens after it, and the Reconnector stops.
//!
//! While waiting out a backoff after a network-level failure, the endpoint is probed
//! every `probe_interval` (an unsigned WebSocket upgrade request, or a bare TCP connect for
//! `mqtt://`; see [`ProbeProtocol`]); once it answers again, the next attempt
//! starts at once (still no sooner than the minimum interval after the last CONNECT).

mod actor;
mod handover_steps;
mod messages;
mod probe;
mod steps;

pub use actor::{Peers, Reconnector, ReconnectorSettings};
pub use handover_steps::HandoverError;
pub use messages::{Disconnect, GetDiagnostics, GetFailure, GetPhase, Phase, Retry, Start};
pub use probe::{ProbeProtocol, ProbeTarget};
pub use steps::DeviceDiscovery;
