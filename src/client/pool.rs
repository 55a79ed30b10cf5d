//! The client's pool of connections. AWS IoT Core allows 50 subscriptions per
//! connection; the client subscribes one filter per device and one for its own answers,
//! so a connection serves at most 49 devices. An account with more is spread over several
//! connections, each a *stack* of its own actors — Connection, Subscriptions,
//! PeriodicRequests and a Reconnector running its own reconnect loop — under its own
//! client id (`{id}`, `{id}-p1`, `{id}-p2`, …). Every stack shares the one Auth (one
//! credential renewal serves them all), the event bus (each stack's events carry its
//! index) and the feature cache. Where each device goes is [`PoolPlan`]'s decision.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::{Arc, PoisonError, RwLock};

use actix::{Actor, Addr, AsyncContext, Context};

use super::error::ClientError;
use super::wiring::ActorAddrs;
use crate::auth::Auth;
use crate::bus::EventBus;
use crate::clock::SharedClock;
use crate::config::ClientConfig;
use crate::connection::Connection;
use crate::periodic::PeriodicRequests;
use crate::policy::ConnectSpacing;
use crate::pool::PoolPlan;
use crate::protocol::{ClientId, ClientIdentity, MacAddress, SessionId};
use crate::reconnector::{DeviceDiscovery, Peers, Reconnector, ReconnectorSettings, Start};
use crate::subscriptions::{SubscriptionSettings, Subscriptions};

/// One connection of the pool and its actors.
#[derive(Clone)]
pub struct StackHandle {
    /// Its index in the pool (0 for the first).
    pub index: usize,
    /// Its request identity: its client id and the client's session id.
    pub identity: ClientIdentity,
    /// Its actors (Auth is the pool's one).
    pub actors: ActorAddrs,
}

impl std::fmt::Debug for StackHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StackHandle")
            .field("index", &self.index)
            .field("client_id", &self.identity.client_id)
            .finish_non_exhaustive()
    }
}

/// The pool's stacks, in index order; shared by the client handle (any thread) and the
/// builder (the client's arbiter).
#[derive(Clone, Default)]
pub(super) struct Stacks(Arc<RwLock<Vec<StackHandle>>>);

impl Stacks {
    pub(super) fn get(&self, index: usize) -> Option<StackHandle> {
        self.read().get(index).cloned()
    }

    pub(super) fn all(&self) -> Vec<StackHandle> {
        self.read().clone()
    }

    pub(super) fn len(&self) -> usize {
        self.read().len()
    }

    fn push(&self, stack: StackHandle) {
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(stack);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<StackHandle>> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What every stack shares, and how to build one. Lives on the client's arbiter (stacks
/// are actix actors started there).
pub(super) struct PoolBuilder {
    config: Arc<ClientConfig>,
    clock: SharedClock,
    auth: Option<Addr<Auth>>,
    bus: EventBus,
    base: ClientId,
    session: SessionId,
    stacks: Stacks,
    plan: RefCell<PoolPlan>,
    /// Set once the client has started: stacks built later start connecting at once.
    started: Cell<bool>,
    /// The first stack's device discovery (a start during an outage).
    discovery: RefCell<Option<DeviceDiscovery>>,
    /// CONNECT slots shared by every stack (AWS IoT's per-account CONNECT rate).
    connect_spacing: ConnectSpacing,
}

impl PoolBuilder {
    pub(super) fn new(
        config: Arc<ClientConfig>,
        clock: SharedClock,
        auth: Option<Addr<Auth>>,
        bus: EventBus,
        base: ClientId,
        session: SessionId,
    ) -> Self {
        let per_connection = config.devices_per_connection();
        Self {
            config,
            clock,
            auth,
            bus,
            base,
            session,
            stacks: Stacks::default(),
            plan: RefCell::new(PoolPlan::new(per_connection)),
            started: Cell::new(false),
            discovery: RefCell::new(None),
            connect_spacing: ConnectSpacing::default(),
        }
    }

    pub(super) fn stacks(&self) -> Stacks {
        self.stacks.clone()
    }

    /// The discovery the first stack runs while the device list is unknown.
    pub(super) fn set_discovery(&self, discovery: Option<DeviceDiscovery>) {
        *self.discovery.borrow_mut() = discovery;
    }

    /// The stack `device` is placed on, built (and, once the client runs, started) if
    /// it is new.
    pub(super) fn place(&self, device: &MacAddress) -> Result<StackHandle, ClientError> {
        let placed = self.plan.borrow_mut().place(device);
        match self.stacks.get(placed.connection) {
            Some(stack) => Ok(stack),
            None => self.build_stack(placed.connection),
        }
    }

    /// Frees the place of a device that left the account (the connection stays; the
    /// next device added fills it).
    pub(super) fn remove(&self, device: &MacAddress) -> Option<usize> {
        self.plan.borrow_mut().remove(device)
    }

    /// Starts every stack's reconnect loop; stacks built from now on start at once.
    pub(super) fn start(&self) {
        self.started.set(true);
        for stack in self.stacks.all() {
            stack.actors.reconnector.do_send(Start);
        }
    }

    /// Builds stack `index` (the next one) and returns it.
    pub(super) fn build_stack(&self, index: usize) -> Result<StackHandle, ClientError> {
        let config = &self.config;
        let client_id = self.base.pool_member(index);
        let identity = ClientIdentity::new(client_id.clone(), self.session.clone());
        let bus = self.bus.for_connection(index);
        // The Reconnector and Subscriptions need the Connection's address and it needs
        // theirs: create their contexts first.
        let reconnector_ctx = Context::<Reconnector>::new();
        let subscriptions_ctx = Context::<Subscriptions>::new();
        let connection = Connection::new(
            config.connection_settings(&client_id, self.clock.clone()),
            reconnector_ctx.address().recipient(),
            subscriptions_ctx.address().recipient(),
        )?
        .start_supervised();
        let subscriptions = subscriptions_ctx.run(Subscriptions::new(
            SubscriptionSettings::from_config(config, client_id.clone()).for_connection(index),
            connection.clone().recipient(),
            connection.clone().recipient(),
            bus.clone(),
        ));
        let periodic =
            PeriodicRequests::new(connection.clone().recipient(), identity.clone()).start();
        let discovery = if index == 0 {
            self.discovery.borrow_mut().take()
        } else {
            None
        };
        let reconnector = reconnector_ctx.run(Reconnector::new(
            ReconnectorSettings {
                client_id: client_id.as_str().to_owned(),
                handover: config.handover_config(),
                handover_bound: handover_bound(config),
                connect_spacing: self.connect_spacing.clone(),
                policy: config.policy_config(),
                seed: None,
                operation_timeout: config.operation_timeout(),
                probe_interval: config.probe_interval(),
                probe_target: Some(config.mqtt_probe_target()),
                api_probe_target: self.auth.as_ref().map(|_| config.api_probe_target()),
                needs_tls: config.mqtt_endpoint().needs_tls(),
                clock: self.clock.clone(),
            },
            Peers {
                auth: self.auth.clone(),
                connection: connection.clone(),
                replay: subscriptions.clone().recipient(),
                link: subscriptions.clone().recipient(),
                filters: subscriptions.clone().recipient(),
                overlap: subscriptions.clone().recipient(),
                resume: periodic.clone().recipient(),
                pause: periodic.clone().recipient(),
                bus,
                discovery,
            },
        ));
        if self.started.get() {
            tracing::info!(
                connection = index,
                client_id = %client_id,
                "a new connection of the pool starts"
            );
            reconnector.do_send(Start);
        }
        let stack = StackHandle {
            index,
            identity,
            actors: ActorAddrs {
                auth: self.auth.clone(),
                connection,
                subscriptions,
                periodic,
                reconnector,
            },
        };
        self.stacks.push(stack.clone());
        Ok(stack)
    }
}

/// Bound on one planned handover: connecting (the connect timeout, plus the close of a
/// previous handover's link), then subscribing and swapping (an operation each).
fn handover_bound(config: &ClientConfig) -> std::time::Duration {
    config
        .connect_timeout()
        .saturating_add(config.operation_timeout().saturating_mul(2))
}

/// Shared ownership of the builder on the arbiter (the follower and the discovery hold it).
pub(super) type SharedPool = Rc<PoolBuilder>;
