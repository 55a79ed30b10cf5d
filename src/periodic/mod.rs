//! The PeriodicRequests actor: status (and optionally feature) requests per device, each
//! on its own interval, published through the Connection actor.
//!
//! # Messages
//!
//! | Message | Answer | Meaning |
//! |---|---|---|
//! | [`StartPolling`] `{ device, kind, interval }` | `Result<(), `[`PollingError`]`>` | Add or replace the schedule of `(device, kind)`; sends one request at once when resumed. |
//! | [`StopPolling`] `{ mac, kind }` | `usize` | Remove the schedule(s) of a device (`kind: None` = all kinds). |
//! | [`Pause`] | `()` | Link down: ticks are skipped. |
//! | [`Resume`] | `()` | Link restored: one request per schedule now (every status before any feature), then every interval from now. |
//! | [`GetPollingStats`] | [`PollingStats`] | Per-schedule counters. |
//! | [`Shutdown`] | `()` | Stop every schedule and the actor. |
//!
//! # Behaviour
//!
//! * The actor starts paused; the Reconnector sends [`Resume`] when a connection is ready
//!   (connected, resubscribed, queue flushed) and [`Pause`] when the link is lost.
//! * While paused, ticks are skipped and nothing is published: a poll is not a user
//!   command, so it never goes into the offline queue to be sent stale later. The first
//!   skip of an outage is logged (info), the rest only counted (P-5). A poll that races a
//!   disconnect may still be queued by the Connection actor; that is at most one per
//!   request in flight (the send window) per outage, and it is counted as `queued`.
//! * At most [`DEFAULT_MAX_POLLS_IN_FLIGHT`] requests (see
//!   [`PeriodicRequests::with_max_in_flight`]) await their PUBACK at once; the others wait
//!   their turn in the order they became due. A resume with a thousand devices thus never
//!   floods the Connection: nothing overflows into the offline queue (where it would evict
//!   user commands) and no request ages past its PUBACK deadline behind the others. An
//!   answer other than a PUBACK (queued, failed) drops the waiting line: the link is down,
//!   and the resume after recovery requests everything again.
//! * A tick whose previous request is still unanswered is skipped, so requests never pile
//!   up on a half-open link (the Connection actor bounds every wait).
//! * Every publish error is counted and logged (the first of a streak at warn) and the
//!   schedule carries on (P-19). Only [`StopPolling`] or stopping the actor ends a schedule.
//! * When recovery gives up (`reconnection_failed`), the Reconnector sends [`Pause`]: the
//!   schedules are kept, skipped quietly, and resume with the link if it ever returns
//!   (L-19).
//! * Schedules live as long as the actor: reconnects, deep reconnects and Connection
//!   restarts do not touch them; timers belong to the actor's context and end with it
//!   ([`Shutdown`], or the first tick after the last address is dropped).
//!
//! ```
//! use std::time::Duration;
//! use actix::{Actor, Context, Handler};
//! use nwp500::connection::{Publish, PublishOutcome, RequestError};
//! use nwp500::periodic::{GetPollingStats, PeriodicRequests, PollKind, Resume, StartPolling};
//! use nwp500::protocol::{ClientIdentity, DeviceRef, MacAddress};
//!
//! /// Stands in for the Connection actor: acknowledges every publish.
//! struct Broker;
//! impl Actor for Broker {
//!     type Context = Context<Self>;
//! }
//! impl Handler<Publish> for Broker {
//!     type Result = Result<PublishOutcome, RequestError>;
//!     fn handle(&mut self, _: Publish, _: &mut Context<Self>) -> Self::Result {
//!         Ok(PublishOutcome::Acknowledged)
//!     }
//! }
//!
//! # #[actix::main]
//! # async fn main() {
//! let poller = PeriodicRequests::new(Broker.start().recipient(), ClientIdentity::random()).start();
//! let device = DeviceRef::nwp500(MacAddress::new("aabbccddeeff").unwrap(), "1234");
//! poller
//!     .send(StartPolling { device, kind: PollKind::Status, interval: Duration::from_secs(30) })
//!     .await
//!     .unwrap()
//!     .unwrap();
//! poller.send(Resume).await.unwrap(); // the first status request goes out now
//! let stats = poller.send(GetPollingStats).await.unwrap();
//! assert_eq!(stats.schedules[0].sent, 1);
//! # }
//! ```

mod actor;
mod error;
mod messages;
mod schedule;
mod stats;
mod window;

internal_use!(actor::PeriodicRequests);
internal_use!(error::PollingError);
pub use messages::{GetPollingStats, PollKind};
internal_use!(messages::{Pause, Resume, Shutdown, StartPolling, StopPolling});
pub use stats::{PollingStats, ScheduleStats};
internal_use!(window::DEFAULT_MAX_POLLS_IN_FLIGHT);
