//! The Subscriptions actor: owns the registry, dispatches incoming publishes, keeps the
//! broker's subscriptions in line with the registry.

use std::collections::HashMap;
use std::sync::Arc;

use actix::fut::{ready, wrap_future};
use actix::prelude::*;
use futures::future::join_all;
use tracing::{debug, error, info, warn};

use super::dispatch::{redacted_topic, Dispatcher};
use super::error::{RegistrationError, ReplayError};
use super::messages::{
    AddFilterHandler, AddHandler, BrokerState, GetSubscriptionStats, Registration, RemoveHandler,
    Replay, ReplayReport, SetLink, SubscribeDevice, TypedHandler,
};
use super::overlap::OverlapDeduper;
use super::replay::{broker_state, filter_results, state_of, Tally};
use super::route::{HandlerEntry, Route};
use super::settings::SubscriptionSettings;
use super::sink::{CallbackEnd, CallbackThreads, Ended, Sink};
use super::stats::{HandlerStats, SubscriptionStats};
use crate::bus::EventBus;
use crate::connection::{IncomingPublish, Subscribe, Unsubscribe};
use crate::protocol::topics::{client_response_wildcard, device_wildcard};
use crate::protocol::{ClientId, DeviceRef, MacAddress};
use crate::registry::{HandlerId, SubscriptionState, TopicFilter, MAX_FILTERS_PER_SUBSCRIBE};

/// A device followed with [`SubscribeDevice`].
struct FollowedDevice {
    events: HandlerId,
    device_type: u32,
}

/// The Subscriptions actor. See the [module documentation](super) for its messages.
pub struct Subscriptions {
    pub(super) dispatcher: Dispatcher,
    client_id: ClientId,
    handler_buffer: usize,
    subscribe: Recipient<Subscribe>,
    unsubscribe: Recipient<Unsubscribe>,
    link_up: bool,
    /// Incremented on every link change and replay; SUBSCRIBE answers from an older epoch
    /// no longer describe the current connection and do not update filter states.
    epoch: u64,
    devices: HashMap<MacAddress, FollowedDevice>,
    /// Client response wildcard anchors, per device type.
    anchors: HashMap<u32, HandlerId>,
    panics: u64,
    closed: u64,
    /// Every callback thread started by this actor, so a shutdown can wait for them.
    callback_threads: CallbackThreads,
    /// Pairs up the two copies of each message while a handover's links overlap.
    pub(super) overlap: OverlapDeduper,
}

impl Subscriptions {
    /// A new actor (link down until [`SetLink`] or [`Replay`]). `subscribe` / `unsubscribe`
    /// are normally the Connection actor's; status and feature events go to `bus`.
    pub fn new(
        settings: SubscriptionSettings,
        subscribe: Recipient<Subscribe>,
        unsubscribe: Recipient<Unsubscribe>,
        bus: EventBus,
    ) -> Self {
        Self {
            dispatcher: Dispatcher::new(settings.unit, bus, settings.first_handler_id),
            client_id: settings.client_id,
            handler_buffer: settings.handler_buffer.max(1),
            subscribe,
            unsubscribe,
            link_up: false,
            epoch: 0,
            devices: HashMap::new(),
            anchors: HashMap::new(),
            panics: 0,
            closed: 0,
            callback_threads: CallbackThreads::default(),
            overlap: OverlapDeduper::new(),
        }
    }

    /// Adds a handler to the registry. Returns its id and whether its filter must be
    /// (re)subscribed: new to the registry, or its last SUBSCRIBE failed.
    fn register(
        &mut self,
        filter: &str,
        route: Route,
        watcher: Option<CallbackEnd>,
        ctx: &mut Context<Self>,
    ) -> Result<(HandlerId, bool), RegistrationError> {
        let added = self
            .dispatcher
            .registry
            .add(filter, HandlerEntry::new(route))?;
        if let Some(handle) = watcher {
            self.watch_callback(added.id, handle, ctx);
        }
        let failed = self.dispatcher.registry.state(filter) == Some(SubscriptionState::Failed);
        Ok((added.id, added.needs_subscribe || failed))
    }

    /// Learns when a callback's thread ends; a panic removes the handler. The watch runs
    /// as a detached task holding only a weak address, so it never keeps the actor alive.
    fn watch_callback(&self, id: HandlerId, end: CallbackEnd, ctx: &mut Context<Self>) {
        let actor = ctx.address().downgrade();
        actix::spawn(async move {
            if end.await == Ok(Ended::Panicked) {
                if let Some(actor) = actor.upgrade() {
                    actor.do_send(CallbackPanicked(id));
                }
            }
        });
    }

    /// Drops every handler (so every callback thread's loop ends) and hands out what
    /// resolves once those threads are finished.
    pub(super) fn release_handlers(&mut self) -> CallbackThreads {
        self.dispatcher.registry = Default::default();
        self.devices.clear();
        self.anchors.clear();
        std::mem::take(&mut self.callback_threads)
    }

    /// Subscribes `to_send` now if the link is up; the answer is the registration's
    /// broker state over `all` its filters.
    fn subscribe_for(
        &mut self,
        id: HandlerId,
        to_send: Vec<String>,
        all: Vec<String>,
    ) -> ResponseActFuture<Self, Result<Registration, RegistrationError>> {
        if to_send.is_empty() || !self.link_up {
            let broker = self.current_state(&all);
            return Box::pin(ready(Ok(Registration { id, broker })));
        }
        let epoch = self.epoch;
        let request = self.subscribe.send(Subscribe {
            filters: to_send.clone(),
        });
        Box::pin(wrap_future(request).map(move |answer, act: &mut Self, _ctx| {
            let results = filter_results(&to_send, answer);
            act.record(epoch, &results);
            let broker = match broker_state(&results) {
                BrokerState::Acked => act.current_state(&all),
                failed => {
                    warn!(handler = %id, "SUBSCRIBE failed; the filter stays registered and is retried at the next replay");
                    failed
                }
            };
            Ok(Registration { id, broker })
        }))
    }

    /// `Acked` when every filter is acknowledged on the current connection, else `Pending`.
    fn current_state(&self, filters: &[String]) -> BrokerState {
        let acked = filters
            .iter()
            .all(|f| self.dispatcher.registry.state(f) == Some(SubscriptionState::Acked));
        if acked && self.link_up {
            BrokerState::Acked
        } else {
            BrokerState::Pending
        }
    }

    /// Records per-filter results if they belong to the current connection.
    fn record(
        &mut self,
        epoch: u64,
        results: &[(String, Result<(), crate::connection::RequestError>)],
    ) {
        if epoch != self.epoch {
            return;
        }
        for (filter, result) in results {
            // `false` only means the filter was removed meanwhile.
            self.dispatcher.registry.set_state(filter, state_of(result));
        }
    }

    /// Removes a handler; UNSUBSCRIBEs its filter if it was the last one and the link is
    /// up. Returns whether it existed.
    pub(super) fn remove(&mut self, id: HandlerId, ctx: &mut Context<Self>) -> bool {
        if self.dispatcher.registry.get(id).is_none() {
            return false;
        }
        let gone = self.dispatcher.registry.remove(id);
        self.anchors.retain(|_, anchor| *anchor != id);
        let unfollowed = self
            .devices
            .iter()
            .find(|(_, d)| d.events == id)
            .map(|(mac, d)| (mac.clone(), d.device_type));
        if let Some((mac, device_type)) = unfollowed {
            self.devices.remove(&mac);
            // The client response wildcard was registered for the followed devices.
            let still_used = self.devices.values().any(|d| d.device_type == device_type);
            if !still_used {
                if let Some(anchor) = self.anchors.remove(&device_type) {
                    self.remove(anchor, ctx);
                }
            }
        }
        if let Some(filter) = gone {
            self.unsubscribe_filter(filter, ctx);
        }
        true
    }

    fn unsubscribe_filter(&mut self, filter: String, ctx: &mut Context<Self>) {
        if !self.link_up {
            debug!(topic = %redacted_topic(&filter), "filter removed while offline: nothing to send");
            return;
        }
        let request = self.unsubscribe.send(Unsubscribe {
            filters: vec![filter],
        });
        ctx.spawn(wrap_future(request).map(|answer, _act: &mut Self, _ctx| {
            let failed = match answer {
                Ok(Ok(outcomes)) => outcomes.into_iter().find_map(|o| o.result.err()),
                Ok(Err(e)) => Some(e),
                Err(_) => Some(crate::connection::RequestError::ActorStopped),
            };
            if let Some(e) = failed {
                // The filter is gone from the registry: anything still arriving on it
                // matches no handler and is dropped.
                debug!(error = %e, "UNSUBSCRIBE not acknowledged");
            }
        }));
    }

    /// Sends every batch at once and tallies the answers.
    fn send_batches(
        &self,
        batches: Vec<Vec<String>>,
    ) -> impl ActorFuture<Self, Output = Result<ReplayReport, ReplayError>> {
        let epoch = self.epoch;
        // `send` queues each request immediately; the answers are awaited together.
        let requests: Vec<_> = batches
            .into_iter()
            .map(|filters| {
                let request = self.subscribe.send(Subscribe {
                    filters: filters.clone(),
                });
                async move { (filters, request.await) }
            })
            .collect();
        wrap_future(join_all(requests)).map(move |answers, act: &mut Self, _ctx| {
            let mut tally = Tally::default();
            for (filters, answer) in answers {
                let results = filter_results(&filters, answer);
                for (_, result) in &results {
                    tally.add(result);
                }
                act.record(epoch, &results);
            }
            tally.finish()
        })
    }

    /// Filter, route and (for callbacks) the thread handle of a typed handler.
    fn typed_route(
        &self,
        device: &DeviceRef,
        handler: TypedHandler,
    ) -> Result<(String, Route, Option<CallbackEnd>), RegistrationError> {
        let mac = Arc::new(device.mac.clone());
        let cap = self.handler_buffer;
        let device_filter = || device_wildcard(device);
        let client_filter = || client_response_wildcard(device.device_type, &self.client_id);
        let threads = &self.callback_threads;
        Ok(match handler {
            TypedHandler::Status(s) => {
                let (sink, w) = Sink::start(s, cap, threads)?;
                (device_filter(), Route::Status { device: mac, sink }, w)
            }
            TypedHandler::Feature(s) => {
                let (sink, w) = Sink::start(s, cap, threads)?;
                (device_filter(), Route::Feature { device: mac, sink }, w)
            }
            TypedHandler::Schedule(s) => {
                let (sink, w) = Sink::start(s, cap, threads)?;
                (client_filter(), Route::Schedule { device: mac, sink }, w)
            }
            TypedHandler::Energy(s) => {
                let (sink, w) = Sink::start(s, cap, threads)?;
                (client_filter(), Route::Energy { device: mac, sink }, w)
            }
            TypedHandler::Raw(s) => {
                let (sink, w) = Sink::start(s, cap, threads)?;
                (device_filter(), Route::Raw { sink }, w)
            }
        })
    }

    /// Registers a device's event handler and the client response anchor.
    fn follow(
        &mut self,
        device: &DeviceRef,
        ctx: &mut Context<Self>,
    ) -> Result<(HandlerId, Vec<String>, Vec<String>), RegistrationError> {
        let device_filter = device_wildcard(device);
        let client_filter = client_response_wildcard(device.device_type, &self.client_id);
        let all = vec![device_filter.clone(), client_filter.clone()];
        if let Some(followed) = self.devices.get(&device.mac) {
            return Ok((followed.events, Vec::new(), all));
        }
        let mut to_send = Vec::new();
        let route = Route::DeviceEvents {
            device: Arc::new(device.mac.clone()),
        };
        let (id, needs) = self.register(&device_filter, route, None, ctx)?;
        if needs {
            to_send.push(device_filter);
        }
        self.devices.insert(
            device.mac.clone(),
            FollowedDevice {
                events: id,
                device_type: device.device_type,
            },
        );
        if !self.anchors.contains_key(&device.device_type) {
            let (anchor, needs) =
                self.register(&client_filter, Route::ClientResponses, None, ctx)?;
            self.anchors.insert(device.device_type, anchor);
            if needs {
                to_send.push(client_filter);
            }
        }
        Ok((id, to_send, all))
    }

    fn stats(&self) -> SubscriptionStats {
        let registry = &self.dispatcher.registry;
        let counters = self.dispatcher.counters;
        let mut stats = SubscriptionStats {
            filters: registry.filter_count(),
            handlers: registry.len(),
            link_up: self.link_up,
            received: counters.received,
            unmatched: counters.unmatched,
            delivered: counters.delivered,
            dropped: counters.dropped,
            malformed: counters.malformed,
            echoes: counters.echoes,
            refusals: counters.refusals,
            panics: self.panics,
            closed: self.closed,
            ..SubscriptionStats::default()
        };
        for filter in registry.filters() {
            match registry.state(filter) {
                Some(SubscriptionState::Acked) => stats.acked_filters += 1,
                Some(SubscriptionState::Failed) => stats.failed_filters += 1,
                _ => stats.pending_filters += 1,
            }
            for &id in registry.handlers_of(filter) {
                if let Some(entry) = registry.get(id) {
                    stats.per_handler.push(HandlerStats {
                        id,
                        kind: entry.route.kind(),
                        mode: entry.route.mode(),
                        delivered: entry.delivered.get(),
                        dropped: entry.dropped.get(),
                    });
                }
            }
        }
        stats.per_handler.sort_by_key(|h| h.id);
        stats
    }
}

impl Actor for Subscriptions {
    type Context = Context<Self>;

    fn started(&mut self, _ctx: &mut Self::Context) {
        crate::lifecycle::actor_started(crate::lifecycle::ActorKind::Subscriptions);
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        crate::lifecycle::actor_stopped(crate::lifecycle::ActorKind::Subscriptions);
        debug!(
            filters = self.dispatcher.registry.filter_count(),
            "subscriptions actor stopped"
        );
    }
}

/// A callback handler's thread ended with a panic.
#[derive(Debug, Message)]
#[rtype(result = "()")]
struct CallbackPanicked(HandlerId);

impl Handler<CallbackPanicked> for Subscriptions {
    type Result = ();

    fn handle(&mut self, msg: CallbackPanicked, ctx: &mut Self::Context) {
        self.panics = self.panics.saturating_add(1);
        let removed = self.remove(msg.0, ctx);
        error!(handler = %msg.0, removed, panics_total = self.panics, "callback handler panicked: removed");
    }
}

impl Handler<IncomingPublish> for Subscriptions {
    type Result = ();

    fn handle(&mut self, msg: IncomingPublish, ctx: &mut Self::Context) {
        let now = tokio::time::Instant::now();
        if !self
            .overlap
            .admit(msg.generation, &msg.topic, &msg.payload, now)
        {
            return; // the other link's copy was delivered
        }
        let dispatched = self
            .dispatcher
            .dispatch(msg.generation, &msg.topic, &msg.payload);
        if let Some(refusal) = dispatched.refusal {
            let followed = self.devices.iter().map(|(mac, d)| (mac, d.device_type));
            let event = refusal.into_event(followed);
            super::refusal::log(&event);
            self.dispatcher.emit(event);
        }
        for id in dispatched.closed {
            self.closed = self.closed.saturating_add(1);
            debug!(handler = %id, "handler's receiving side is gone: removed");
            self.remove(id, ctx);
        }
    }
}

impl Handler<SubscribeDevice> for Subscriptions {
    type Result = ResponseActFuture<Self, Result<Registration, RegistrationError>>;

    fn handle(&mut self, msg: SubscribeDevice, ctx: &mut Self::Context) -> Self::Result {
        match self.follow(&msg.device, ctx) {
            Ok((id, to_send, all)) => self.subscribe_for(id, to_send, all),
            Err(e) => Box::pin(ready(Err(e))),
        }
    }
}

impl Handler<AddHandler> for Subscriptions {
    type Result = ResponseActFuture<Self, Result<Registration, RegistrationError>>;

    fn handle(&mut self, msg: AddHandler, ctx: &mut Self::Context) -> Self::Result {
        let (filter, route, watcher) = match self.typed_route(&msg.device, msg.handler) {
            Ok(typed) => typed,
            Err(e) => return Box::pin(ready(Err(e))),
        };
        match self.register(&filter, route, watcher, ctx) {
            Ok((id, needs)) => {
                let to_send = if needs {
                    vec![filter.clone()]
                } else {
                    Vec::new()
                };
                self.subscribe_for(id, to_send, vec![filter])
            }
            Err(e) => Box::pin(ready(Err(e))),
        }
    }
}

impl Handler<AddFilterHandler> for Subscriptions {
    type Result = ResponseActFuture<Self, Result<Registration, RegistrationError>>;

    fn handle(&mut self, msg: AddFilterHandler, ctx: &mut Self::Context) -> Self::Result {
        // Validate before a callback thread is started for nothing.
        if let Err(e) = TopicFilter::new(&msg.filter) {
            return Box::pin(ready(Err(e.into())));
        }
        let (sink, watcher) =
            match Sink::start(msg.handler, self.handler_buffer, &self.callback_threads) {
                Ok(started) => started,
                Err(e) => return Box::pin(ready(Err(e))),
            };
        match self.register(&msg.filter, Route::Raw { sink }, watcher, ctx) {
            Ok((id, needs)) => {
                let to_send = if needs {
                    vec![msg.filter.clone()]
                } else {
                    Vec::new()
                };
                self.subscribe_for(id, to_send, vec![msg.filter])
            }
            Err(e) => Box::pin(ready(Err(e))),
        }
    }
}

impl Handler<RemoveHandler> for Subscriptions {
    type Result = bool;

    fn handle(&mut self, msg: RemoveHandler, ctx: &mut Self::Context) -> bool {
        self.remove(msg.0, ctx)
    }
}

impl Handler<SetLink> for Subscriptions {
    type Result = ();

    fn handle(&mut self, msg: SetLink, ctx: &mut Self::Context) {
        if msg.up == self.link_up {
            return;
        }
        self.link_up = msg.up;
        self.epoch = self.epoch.wrapping_add(1);
        if !msg.up {
            debug!("link down: registry edits are recorded only");
            return;
        }
        let batches = self
            .dispatcher
            .registry
            .pending_batches(MAX_FILTERS_PER_SUBSCRIBE);
        if batches.is_empty() {
            return;
        }
        ctx.spawn(self.send_batches(batches).map(|result, _act, _ctx| match result {
            Ok(report) => debug!(
                restored = report.restored,
                refused = report.failed,
                "subscribed the filters added while the link was down"
            ),
            Err(e) => warn!(error = %e, "subscribing filters added while the link was down failed"),
        }));
    }
}

impl Handler<Replay> for Subscriptions {
    type Result = ResponseActFuture<Self, Result<ReplayReport, ReplayError>>;

    fn handle(&mut self, _msg: Replay, _ctx: &mut Self::Context) -> Self::Result {
        self.link_up = true;
        self.epoch = self.epoch.wrapping_add(1);
        // A new connection without a session knows none of the filters.
        self.dispatcher.registry.mark_all_pending();
        let batches = self
            .dispatcher
            .registry
            .replay_batches(MAX_FILTERS_PER_SUBSCRIBE);
        if batches.is_empty() {
            return Box::pin(ready(Ok(ReplayReport::default())));
        }
        info!(
            filters = self.dispatcher.registry.filter_count(),
            packets = batches.len(),
            "replaying subscriptions"
        );
        Box::pin(self.send_batches(batches).map(|result, _act, _ctx| {
            match &result {
                Ok(report) if report.failed > 0 => warn!(
                    restored = report.restored,
                    refused = report.failed,
                    "subscriptions replayed; the broker refused some filters (retried at the next replay)"
                ),
                Ok(report) => info!(restored = report.restored, "subscriptions replayed"),
                Err(e) => warn!(error = %e, "subscription replay failed; the registry is kept"),
            }
            result
        }))
    }
}

impl Handler<GetSubscriptionStats> for Subscriptions {
    type Result = MessageResult<GetSubscriptionStats>;

    fn handle(&mut self, _msg: GetSubscriptionStats, _ctx: &mut Self::Context) -> Self::Result {
        MessageResult(self.stats())
    }
}
