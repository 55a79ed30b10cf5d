//! The dispatcher: one incoming publish → the handlers whose filters match it.
//!
//! A payload is decoded at most once (with the protocol layer's `classify`), and only if
//! some matching handler needs decoded data; the decoded value is wrapped in an `Arc` and
//! shared by every handler. Requests (our own echoed back by the broker, or another
//! client's) are ignored; undecodable payloads are logged without their content and
//! dropped. Handlers are offered messages with `try_send` only, so nothing here waits.

use std::cell::Cell;
use std::sync::Arc;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;
use tracing::{debug, trace, warn};

use super::refusal::SeenRefusal;
use super::route::{HandlerEntry, Route};
use super::sink::{Offer, Sink};
use super::updates::{
    EnergyUpdate, FeatureUpdate, RawMessage, Schedule, ScheduleUpdate, StatusUpdate,
};
use crate::bus::EventBus;
use crate::events::{Event, Report};
use crate::protocol::topics::response_suffix_of;
use crate::protocol::{
    classify, EnergyUsage, Feature, Incoming, MacAddress, ResponseSuffix, Status, UnitSystem,
};
use crate::registry::{HandlerId, SubscriptionRegistry};

/// Totals over every dispatched message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct DispatchCounters {
    pub(crate) received: u64,
    pub(crate) unmatched: u64,
    pub(crate) delivered: u64,
    pub(crate) dropped: u64,
    pub(crate) malformed: u64,
    pub(crate) echoes: u64,
    pub(crate) refusals: u64,
}

/// A payload decoded once for all handlers.
enum Decoded {
    Status(Arc<Status>),
    Feature(Arc<Feature>),
    Schedule(Arc<Schedule>),
    Energy(Arc<EnergyUsage>),
    /// A control refusal: nothing for typed handlers, one event for the bus.
    Refused(SeenRefusal),
    /// A request, an unknown answer or an undecodable payload: nothing for typed handlers.
    Nothing,
}

impl Decoded {
    fn from_incoming(incoming: Incoming) -> Self {
        match incoming {
            Incoming::Status(s) => Self::Status(Arc::from(s)),
            Incoming::Feature(f) => Self::Feature(Arc::from(f)),
            Incoming::Reservation(r) => Self::Schedule(Arc::new(Schedule::Reservation(r))),
            Incoming::WeeklyReservation(r) => {
                Self::Schedule(Arc::new(Schedule::WeeklyReservation(r)))
            }
            Incoming::Tou(t) => Self::Schedule(Arc::new(Schedule::Tou(t))),
            Incoming::RecirculationSchedule(r) => {
                Self::Schedule(Arc::new(Schedule::Recirculation(r)))
            }
            Incoming::Energy(e) => Self::Energy(Arc::new(e)),
            _ => Self::Nothing,
        }
    }
}

/// What one dispatch leaves to the actor.
#[derive(Debug, Default)]
pub(crate) struct Dispatched {
    /// Handlers whose receiving side is gone (the caller removes them).
    pub(crate) closed: Vec<HandlerId>,
    /// A control refusal, for the actor to attribute to a device and report.
    pub(crate) refusal: Option<SeenRefusal>,
}

/// The registry plus what delivery needs. Plain data: the actor owns one.
pub(crate) struct Dispatcher {
    pub(crate) registry: SubscriptionRegistry<HandlerEntry>,
    pub(crate) counters: DispatchCounters,
    unit: UnitSystem,
    bus: EventBus,
}

impl Dispatcher {
    pub(crate) fn new(unit: UnitSystem, bus: EventBus, first_handler_id: u64) -> Self {
        Self {
            registry: SubscriptionRegistry::with_first_id(first_handler_id),
            counters: DispatchCounters::default(),
            unit,
            bus,
        }
    }

    /// Reports `event` on the bus.
    pub(crate) fn emit(&self, event: Event) {
        self.bus.emit(event);
    }

    /// Delivers one publish.
    pub(crate) fn dispatch(&mut self, generation: u64, topic: &str, payload: &Bytes) -> Dispatched {
        let Self {
            registry,
            counters,
            unit,
            bus,
        } = self;
        counters.received += 1;
        let hits = registry.matching(topic);
        if hits.is_empty() {
            counters.unmatched += 1;
            trace!(generation, topic = %redacted_topic(topic), "publish matches no handler");
            return Dispatched::default();
        }

        // A refusal concerns no typed handler but is always reported, so its topic is
        // decoded even when only the client response anchor matched it.
        let refusal_topic = response_suffix_of(topic) == Some(ResponseSuffix::ControlFail);
        let decoded = if refusal_topic || hits.iter().any(|(_, h)| h.route.needs_decode()) {
            decode(generation, topic, payload, counters)
        } else {
            Decoded::Nothing
        };

        let mut closed = Vec::new();
        let mut raw: Option<RawMessage> = None;
        // `response.macAddress` of a client-addressed answer, looked up at most once.
        let mut named_device: Option<Option<String>> = None;
        let mut d = Delivery {
            counters,
            closed: &mut closed,
        };
        for (id, entry) in hits {
            match (&entry.route, &decoded) {
                (Route::Raw { sink }, _) => {
                    let message = raw
                        .get_or_insert_with(|| RawMessage {
                            topic: Arc::from(topic),
                            payload: payload.clone(),
                        })
                        .clone();
                    d.offer(id, entry, sink, message);
                }
                // Serialising a status is the costliest step: skip it when nobody listens.
                (Route::DeviceEvents { .. }, Decoded::Status(_) | Decoded::Feature(_))
                    if !bus.has_listeners() => {}
                (Route::DeviceEvents { device }, Decoded::Status(status)) => {
                    bus.emit(Event::Status {
                        device: MacAddress::clone(device),
                        status: Report::new(status.clone(), *unit),
                    });
                    d.count_internal(entry);
                }
                (Route::DeviceEvents { device }, Decoded::Feature(feature)) => {
                    bus.emit(Event::Feature {
                        device: MacAddress::clone(device),
                        feature: Report::new(feature.clone(), *unit),
                    });
                    d.count_internal(entry);
                }
                (Route::Status { device, sink }, Decoded::Status(status)) => {
                    let message = StatusUpdate {
                        device: device.clone(),
                        status: status.clone(),
                        unit: *unit,
                    };
                    d.offer(id, entry, sink, message);
                }
                (Route::Feature { device, sink }, Decoded::Feature(feature)) => {
                    let message = FeatureUpdate {
                        device: device.clone(),
                        feature: feature.clone(),
                        unit: *unit,
                    };
                    d.offer(id, entry, sink, message);
                }
                (Route::Schedule { device, sink }, Decoded::Schedule(schedule)) => {
                    let named = named_device.get_or_insert_with(|| peek_device(payload));
                    if let Some(confirmed) = attribution(device, named.as_deref()) {
                        let message = ScheduleUpdate {
                            device: device.clone(),
                            confirmed,
                            schedule: schedule.clone(),
                        };
                        d.offer(id, entry, sink, message);
                    }
                }
                (Route::Energy { device, sink }, Decoded::Energy(usage)) => {
                    let named = named_device.get_or_insert_with(|| peek_device(payload));
                    if let Some(confirmed) = attribution(device, named.as_deref()) {
                        let message = EnergyUpdate {
                            device: device.clone(),
                            confirmed,
                            usage: usage.clone(),
                        };
                        d.offer(id, entry, sink, message);
                    }
                }
                // Not this handler's kind of message.
                _ => {}
            }
        }
        let refusal = match decoded {
            Decoded::Refused(seen) => Some(seen),
            _ => None,
        };
        Dispatched { closed, refusal }
    }
}

/// Classifies a payload and logs what typed handlers will not see.
fn decode(
    generation: u64,
    topic: &str,
    payload: &[u8],
    counters: &mut DispatchCounters,
) -> Decoded {
    match classify(topic, payload) {
        Ok(Incoming::Echo(echo)) => {
            counters.echoes += 1;
            trace!(generation, command = ?echo.command, "ignoring a request seen on a subscribed topic");
            Decoded::Nothing
        }
        Ok(Incoming::ControlRefused(refusal)) => {
            counters.refusals += 1;
            Decoded::Refused(SeenRefusal::read(topic, payload, refusal))
        }
        Ok(incoming) => {
            let decoded = Decoded::from_incoming(incoming);
            if matches!(decoded, Decoded::Nothing) {
                trace!(generation, topic = %redacted_topic(topic), "ignoring a message of unknown kind");
            }
            decoded
        }
        Err(crate::protocol::DecodeError::Malformed(e)) => {
            counters.malformed += 1;
            // Never the payload, never the serde message (it may quote payload values).
            let n = counters.malformed;
            if n.is_power_of_two() {
                warn!(
                    generation,
                    topic = %redacted_topic(topic),
                    category = ?e.classify(),
                    line = e.line(),
                    column = e.column(),
                    payload_len = payload.len(),
                    malformed_total = n,
                    "dropping an undecodable payload"
                );
            } else {
                debug!(generation, category = ?e.classify(), malformed_total = n, "dropping an undecodable payload");
            }
            Decoded::Nothing
        }
    }
}

/// Offers messages and keeps the counters.
struct Delivery<'a> {
    counters: &'a mut DispatchCounters,
    closed: &'a mut Vec<HandlerId>,
}

impl Delivery<'_> {
    fn offer<T>(&mut self, id: HandlerId, entry: &HandlerEntry, sink: &Sink<T>, message: T)
    where
        T: actix::Message<Result = ()> + Send + 'static,
    {
        match sink.offer(message) {
            Offer::Delivered => {
                bump(&entry.delivered);
                self.counters.delivered += 1;
                if entry.overflowing.replace(false) {
                    debug!(handler = %id, dropped_total = entry.dropped.get(), "handler caught up");
                }
            }
            Offer::Full => {
                bump(&entry.dropped);
                self.counters.dropped += 1;
                if !entry.overflowing.replace(true) {
                    warn!(
                        handler = %id,
                        kind = ?entry.route.kind(),
                        dropped_total = entry.dropped.get(),
                        "handler buffer full: dropping messages for this handler"
                    );
                }
            }
            Offer::Closed => self.closed.push(id),
        }
    }

    fn count_internal(&mut self, entry: &HandlerEntry) {
        bump(&entry.delivered);
        self.counters.delivered += 1;
    }
}

fn bump(cell: &Cell<u64>) {
    cell.set(cell.get().saturating_add(1));
}

/// Whether an answer naming `named` goes to a handler of `device`, and if so whether the
/// attribution is confirmed: `Some(true)` names this device, `Some(false)` names none
/// (delivered to every device's handlers), `None` names another device.
fn attribution(device: &MacAddress, named: Option<&str>) -> Option<bool> {
    match named {
        None => Some(false),
        Some(mac) if mac.eq_ignore_ascii_case(device.as_str()) => Some(true),
        Some(_) => None,
    }
}

/// `response.macAddress` of a client-addressed answer (those topics name no device). Only
/// looked up for schedule and energy answers that have a handler, which are rare.
fn peek_device(payload: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Envelope {
        #[serde(default)]
        response: Option<Response>,
    }
    #[derive(Deserialize)]
    struct Response {
        #[serde(rename = "macAddress", default)]
        mac: Option<Value>,
    }
    let envelope: Envelope = serde_json::from_slice(payload).ok()?;
    match envelope.response?.mac? {
        Value::String(mac) if !mac.is_empty() => Some(mac),
        _ => None,
    }
}

/// A topic for logs: every `navilink-{mac}` level shortened to its last four characters.
pub(crate) fn redacted_topic(topic: &str) -> String {
    let mut out = String::with_capacity(topic.len());
    for (i, level) in topic.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        match level.strip_prefix("navilink-") {
            Some(mac) => {
                let n = mac.chars().count();
                let tail: String = mac.chars().skip(n.saturating_sub(4)).collect();
                out.push_str("navilink-…");
                out.push_str(&tail);
            }
            None => out.push_str(level),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_are_redacted() {
        assert_eq!(
            redacted_topic("cmd/52/navilink-aabbccddeeff/navien-client-0a1b2c3d/res"),
            "cmd/52/navilink-…eeff/navien-client-0a1b2c3d/res"
        );
        assert_eq!(redacted_topic("a/b"), "a/b");
        assert_eq!(redacted_topic("navilink-ab"), "navilink-…ab");
    }

    #[test]
    fn attribution_by_named_device() {
        let mac = MacAddress::new("aabbccddeeff").unwrap();
        assert_eq!(attribution(&mac, None), Some(false));
        assert_eq!(attribution(&mac, Some("AABBCCDDEEFF")), Some(true));
        assert_eq!(attribution(&mac, Some("001122334455")), None);
    }

    #[test]
    fn device_peek_tolerates_anything() {
        assert_eq!(
            peek_device(br#"{"response":{"macAddress":"aabbccddeeff","total":{}}}"#).as_deref(),
            Some("aabbccddeeff")
        );
        assert_eq!(peek_device(br#"{"response":{"macAddress":5}}"#), None);
        assert_eq!(peek_device(br#"{"response":{"macAddress":""}}"#), None);
        assert_eq!(peek_device(br#"{"response":null}"#), None);
        assert_eq!(peek_device(b"not json"), None);
    }
}
