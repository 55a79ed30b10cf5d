//! Messages the Subscriptions actor accepts.

use actix::Message;

use super::error::{RegistrationError, ReplayError};
use super::sink::HandlerSink;
use super::stats::SubscriptionStats;
use super::updates::{EnergyUpdate, FeatureUpdate, RawMessage, ScheduleUpdate, StatusUpdate};
use crate::connection::RequestError;
use crate::protocol::DeviceRef;
use crate::registry::HandlerId;

/// Follow a device: registers its device wildcard `cmd/{dt}/navilink-{mac}/#` (status,
/// feature and control acknowledgements) and, once per client, the client response
/// wildcard `cmd/{dt}/{cid}/res/#` (schedule and energy answers, control refusals). Every
/// status and feature of the device is then emitted on the event bus as `Event::Status` /
/// `Event::Feature`.
///
/// Idempotent: a device already followed answers its existing registration. Undo with
/// [`RemoveHandler`] of the returned id.
#[derive(Debug, Message)]
#[rtype(result = "Result<Registration, RegistrationError>")]
pub struct SubscribeDevice {
    /// The device.
    pub device: DeviceRef,
}

/// Register a typed handler for one device.
///
/// Status, feature and raw handlers go on the device wildcard; schedule and energy
/// handlers on the client response wildcard (answers to this client's requests). A
/// filter new to the registry is subscribed at once while the link is up; while it is
/// down the handler is only recorded and its filter is subscribed at the next
/// `Replay` / `SetLink` `{ up: true }`.
///
/// ```
/// use nwp500::protocol::{DeviceRef, MacAddress};
/// use nwp500::subscriptions::{AddHandler, HandlerSink, StatusUpdate};
///
/// let device = DeviceRef::nwp500(MacAddress::new("aabbccddeeff").unwrap(), "1234");
/// let (tx, _rx) = tokio::sync::mpsc::channel::<StatusUpdate>(64);
/// let add = AddHandler::status(device, HandlerSink::Channel(tx));
/// assert!(matches!(add.handler, nwp500::subscriptions::TypedHandler::Status(_)));
/// ```
#[derive(Debug, Message)]
#[rtype(result = "Result<Registration, RegistrationError>")]
pub struct AddHandler {
    /// The device.
    pub device: DeviceRef,
    /// What to receive and where.
    pub handler: TypedHandler,
}

impl AddHandler {
    /// A status handler.
    pub fn status(device: DeviceRef, sink: impl Into<HandlerSink<StatusUpdate>>) -> Self {
        Self {
            device,
            handler: TypedHandler::Status(sink.into()),
        }
    }

    /// A feature handler.
    pub fn feature(device: DeviceRef, sink: impl Into<HandlerSink<FeatureUpdate>>) -> Self {
        Self {
            device,
            handler: TypedHandler::Feature(sink.into()),
        }
    }

    /// A schedule handler (reservation, weekly reservation, TOU, recirculation answers).
    pub fn schedule(device: DeviceRef, sink: impl Into<HandlerSink<ScheduleUpdate>>) -> Self {
        Self {
            device,
            handler: TypedHandler::Schedule(sink.into()),
        }
    }

    /// An energy-usage handler.
    pub fn energy(device: DeviceRef, sink: impl Into<HandlerSink<EnergyUpdate>>) -> Self {
        Self {
            device,
            handler: TypedHandler::Energy(sink.into()),
        }
    }

    /// A raw handler on the device wildcard (everything, undecoded).
    pub fn raw(device: DeviceRef, sink: impl Into<HandlerSink<RawMessage>>) -> Self {
        Self {
            device,
            handler: TypedHandler::Raw(sink.into()),
        }
    }
}

/// A typed handler: the kind of message and where it goes.
#[derive(Debug)]
pub enum TypedHandler {
    /// Every status of the device.
    Status(HandlerSink<StatusUpdate>),
    /// Every feature payload of the device.
    Feature(HandlerSink<FeatureUpdate>),
    /// Schedule answers (see [`ScheduleUpdate`] for device attribution).
    Schedule(HandlerSink<ScheduleUpdate>),
    /// Energy-usage answers.
    Energy(HandlerSink<EnergyUpdate>),
    /// Everything on the device wildcard, undecoded (requests included).
    Raw(HandlerSink<RawMessage>),
}

/// Register a raw handler on any topic filter (validated: `+`/`#` whole levels only,
/// `#` last).
#[derive(Debug, Message)]
#[rtype(result = "Result<Registration, RegistrationError>")]
pub struct AddFilterHandler {
    /// The MQTT topic filter.
    pub filter: String,
    /// Where the messages go.
    pub handler: HandlerSink<RawMessage>,
}

/// Unregister a handler. When it was the last handler of its filter, the filter leaves
/// the registry at once, whatever the link state (L-8): UNSUBSCRIBE is sent while the link
/// is up; while it is down nothing is sent (a clean session forgets subscriptions anyway)
/// and the filter is not replayed. Answers whether the handler existed.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "bool")]
pub struct RemoveHandler(pub HandlerId);

/// The link state, from the Reconnector. While down, registry edits only register. On
/// `up: true` (a connection whose broker session is present) every filter not yet
/// acknowledged is subscribed, and new filters are subscribed as they are added. After a
/// connection *without* a session send `Replay` instead (it also marks the link up).
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct SetLink {
    /// Whether the link is up.
    pub up: bool,
}

/// Subscribe the whole registry on the current connection (after a CONNACK without a
/// session): at most 8 filters per SUBSCRIBE, every batch sent at once (pipelined). Marks
/// the link up first, so filters added meanwhile are subscribed on their own.
///
/// The registry is never cleared: a failed replay leaves every filter registered (state
/// `Failed`), so the next replay retries it. Filters the broker refused (SUBACK 0x80) are
/// counted in [`ReplayReport::failed`]; a missing acknowledgement (timeout, interrupted
/// link, connection gone) makes the whole replay an error, meaning "this connection is not
/// healthy".
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "Result<ReplayReport, ReplayError>")]
pub struct Replay;

/// A planned handover: during an [`Overlap`] both links are subscribed and every message
/// arrives twice; each is delivered once (see `OverlapDeduper`). `None` ends the overlap.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct SetOverlap(pub Option<Overlap>);

/// Two links subscribed at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overlap {
    /// The replaced link's generation.
    pub old: u64,
    /// The new link's generation.
    pub new: u64,
    /// How long a message waits for its twin from the other link: shorter than the time
    /// from the new link's SUBACK to the old link's close.
    pub window: std::time::Duration,
}

/// Stop following `device` (removed from the account): every handler of its device
/// filter is dropped (the device's events, the feature cache's, the application's typed
/// handlers of it) and the filter unsubscribed; the other devices are not touched.
/// Answers how many handlers were removed.
#[derive(Debug, Clone, Message)]
#[rtype(result = "usize")]
pub struct ForgetDevice {
    /// The device.
    pub device: DeviceRef,
}

/// Every filter of the registry, in SUBSCRIBE-sized batches (at most 8), without
/// changing their state: what a handover's new link subscribes.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "Vec<Vec<String>>")]
pub struct GetFilterBatches;

/// Result of a successful `Replay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReplayReport {
    /// Filters acknowledged.
    pub restored: usize,
    /// Filters the broker refused (kept in the registry, retried at the next replay).
    pub failed: usize,
}

/// Ask for statistics.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "SubscriptionStats")]
pub struct GetSubscriptionStats;

/// Answer to a registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The handler's id (for [`RemoveHandler`]).
    pub id: HandlerId,
    /// The broker-side state of the handler's filter(s) when the answer was given.
    pub broker: BrokerState,
}

/// Broker-side state of a registration's filter(s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokerState {
    /// Acknowledged on the current connection: answers will arrive.
    Acked,
    /// Recorded, not (yet) acknowledged: the link is down (subscribed at the next replay)
    /// or a SUBSCRIBE for the filter is still in flight.
    Pending,
    /// The SUBSCRIBE failed; the filter stays registered and is retried at the next
    /// replay.
    Failed(RequestError),
}
