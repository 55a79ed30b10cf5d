//! The Subscriptions actor: the subscription registry (topic filter → handlers) and the
//! dispatcher of incoming publishes.
//!
//! # Registry
//!
//! The registry (`crate::registry::SubscriptionRegistry`) is the source of truth for what
//! the client is subscribed to. It is never cleared by a reconnect (P-7, L-4); only
//! [`RemoveHandler`] (or a handler whose receiver is gone, or a panicked callback) removes
//! entries. Every filter has a broker-side state (pending, acknowledged, failed) that
//! SUBACKs update.
//!
//! # Messages
//!
//! | Message | Answer | Meaning |
//! |---|---|---|
//! | `SubscribeDevice` `{ device }` | `Result<`[`Registration`]`, _>` | Follow a device: device wildcard + (once per client) client response wildcard; statuses and features go to the event bus. |
//! | [`AddHandler`] `{ device, handler }` | `Result<`[`Registration`]`, _>` | A typed handler ([`TypedHandler`]: status, feature, schedule, energy, raw). |
//! | [`AddFilterHandler`] `{ filter, handler }` | `Result<`[`Registration`]`, _>` | A raw handler on any filter. |
//! | [`RemoveHandler`]`(id)` | `bool` | Unregister; UNSUBSCRIBE when its filter has no handler left (nothing sent while offline, L-8). |
//! | `SetLink` `{ up }` | `()` | From the Reconnector. Down: edits only register. Up: unacknowledged filters are subscribed, new ones at once. |
//! | `Replay` | `Result<``ReplayReport``, ``ReplayError``>` | Subscribe the whole registry, ≤ 8 filters per SUBSCRIBE, all packets pipelined. |
//! | [`GetSubscriptionStats`] | [`SubscriptionStats`] | Filters, handlers, delivered / dropped per handler, panics. |
//! | `IncomingPublish` | `()` | From the Connection actor's transport task: dispatch. |
//!
//! Registrations made while the link is down are recorded and subscribed by the next
//! `Replay` (or `SetLink` `{ up: true }`); they never fail for being offline. A
//! registration made while the link is up answers after the SUBACK, with the filter's
//! `BrokerState`; a failed SUBSCRIBE keeps the handler registered and the filter is
//! retried at the next replay (or by the next registration on it).
//!
//! Expected use by the Reconnector: `SetLink { up: false }` when the link is lost;
//! after a CONNACK without a session, `Replay` (it marks the link up) and count the
//! attempt as failed if it answers an error; after a CONNACK with a session,
//! `SetLink { up: true }`. The report maps onto `Event::Resubscribed`.
//!
//! # Dispatch
//!
//! Each publish is matched against the registry, decoded once (only if a matching
//! handler needs decoded data) and offered to every matching handler with `try_send`;
//! the decoded value is shared through an `Arc`. Routing within the device wildcard is by
//! content (docs/protocol.md §4.4): a status goes to status handlers, a feature to feature
//! handlers, whatever the exact topic. Requests (our own echoed by the broker, or another
//! client's) are ignored; undecodable payloads are logged without their content and
//! dropped. A control refusal (`…/res/controlfail`) is reported once on the event bus as
//! `Event::CommandRefused`, attributed to the device the frame names or, when it names
//! none, to the only followed device of its type. Publishes of any generation are dispatched (L-18: a message arriving right
//! after CONNACK, before the replay, still finds its handlers).
//!
//! Handler isolation: see [`HandlerSink`]. A full buffer drops that message for that
//! handler only (counted in [`HandlerStats::dropped`], logged once per overflow episode);
//! a panicking callback is removed; nothing a handler does can stall the actor or the
//! network task.
//!
//! ```
//! use actix::{Actor, Context, Handler};
//! use nwp500::bus::EventBus;
//! use nwp500::clock::TokioClock;
//! use nwp500::connection::{FilterOutcome, RequestError, Subscribe, Unsubscribe};
//! use nwp500::protocol::{ClientId, DeviceRef, MacAddress};
//! use nwp500::subscriptions::{
//!     BrokerState, Replay, SubscribeDevice, SubscriptionSettings, Subscriptions,
//! };
//!
//! /// Stands in for the Connection actor: acknowledges every filter.
//! struct Broker;
//! impl Actor for Broker {
//!     type Context = Context<Self>;
//! }
//! impl Handler<Subscribe> for Broker {
//!     type Result = Result<Vec<FilterOutcome>, RequestError>;
//!     fn handle(&mut self, msg: Subscribe, _: &mut Context<Self>) -> Self::Result {
//!         Ok(msg.filters.into_iter().map(|filter| FilterOutcome { filter, result: Ok(()) }).collect())
//!     }
//! }
//! impl Handler<Unsubscribe> for Broker {
//!     type Result = Result<Vec<FilterOutcome>, RequestError>;
//!     fn handle(&mut self, msg: Unsubscribe, _: &mut Context<Self>) -> Self::Result {
//!         Ok(msg.filters.into_iter().map(|filter| FilterOutcome { filter, result: Ok(()) }).collect())
//!     }
//! }
//!
//! # #[actix::main]
//! # async fn main() {
//! let broker = Broker.start();
//! let bus = EventBus::new(64, std::sync::Arc::new(TokioClock));
//! let settings = SubscriptionSettings::new(ClientId::new("navien-client-0a1b2c3d").unwrap());
//! let subs = Subscriptions::new(settings, broker.clone().recipient(), broker.recipient(), bus)
//!     .start();
//!
//! let device = DeviceRef::nwp500(MacAddress::new("aabbccddeeff").unwrap(), "1234");
//! // Offline: recorded only.
//! let reg = subs.send(SubscribeDevice { device }).await.unwrap().unwrap();
//! assert_eq!(reg.broker, BrokerState::Pending);
//! // Connected without a session: replay the registry.
//! let report = subs.send(Replay).await.unwrap().unwrap();
//! assert_eq!(report.restored, 2); // device wildcard + client response wildcard
//! # }
//! ```

mod actor;
mod dispatch;
mod error;
mod forget;
mod handover;
mod messages;
mod overlap;
mod refusal;
mod replay;
mod route;
mod settings;
mod shutdown;
mod sink;
mod stats;
mod updates;

internal_use!(actor::Subscriptions);
pub use error::RegistrationError;
internal_use!(error::ReplayError);
pub use messages::{
    AddFilterHandler, AddHandler, GetSubscriptionStats, Registration, RemoveHandler, TypedHandler,
};
internal_use!(messages::{
    BrokerState, ForgetDevice, GetFilterBatches, Overlap, Replay, ReplayReport, SetLink, SetOverlap,
    SubscribeDevice,
});
pub use route::HandlerKind;
internal_use!(settings::SubscriptionSettings);
pub use settings::DEFAULT_HANDLER_BUFFER;
pub use sink::{Callback, DeliveryMode, HandlerSink};
pub use stats::{HandlerStats, SubscriptionStats};
pub use updates::{
    EnergyUpdate, FeatureUpdate, RawMessage, Schedule, ScheduleUpdate, StatusUpdate,
};
