//! The client facade: one call starts the whole actor system; a cheap, cloneable
//! handle sends commands, hands out the event stream and disconnects.
//!
//! ```no_run
//! use nwp500::client::Client;
//! use nwp500::config::ClientConfig;
//! use nwp500::protocol::{Command, UnitSystem};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = ClientConfig::builder()
//!     .credentials("me@example.com", "secret")
//!     .build()?;
//! let client = Client::start(config).await?;
//! let mut events = client.events();
//! let mac = client.devices()[0].mac.clone();
//! client
//!     .send(&mac, Command::SetDhwTemperature { temperature: 120.0, unit: UnitSystem::UsCustomary })
//!     .await?;
//! while let Ok(event) = events.recv().await {
//!     println!("{}", serde_json::to_string(&event)?);
//! }
//! client.disconnect().await?;
//! # Ok(())
//! # }
//! ```
//!
//! [`Client::start`] runs inside the caller's actix System when there is one (the actors
//! live on the current arbiter, and [`Client::actors`] gives their addresses for
//! embedding), and otherwise on a dedicated thread with its own System, so plain tokio
//! code can use it.

mod actors;
mod device;
mod error;
mod features;
mod pool;
mod refresh;
mod router;
mod wiring;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actix::{Addr, Recipient};
use bytes::Bytes;
use tokio::sync::broadcast;
use tracing::debug;

pub use crate::connection::{CommandLabel, GetStatus, LinkPhase, LinkStatus};
pub use crate::periodic::{GetPollingStats, PollKind, PollingStats, ScheduleStats};
pub use crate::reconnector::GetDiagnostics;
pub use actors::Actors;
pub use device::DeviceSummary;
pub use error::ClientError;
#[cfg(feature = "internals")]
pub use pool::StackHandle;
#[cfg(feature = "internals")]
pub use wiring::ActorAddrs;

use crate::bus::{EventBus, EventMessage};
use crate::config::ClientConfig;
use crate::connection::{Publish, PublishOutcome};
use crate::diagnostics::DiagnosticsSnapshot;
use crate::events::{Event, TimestampedEvent};
use crate::lifecycle::Shutdown;
use crate::protocol::{ClientIdentity, Command, CommandError, DeviceRef, MacAddress, UnitSystem};
use crate::reconnector::{Disconnect, GetPhase, Phase};
use features::FeatureCache;

/// The least time each shutdown step of [`Client::disconnect`] gets, even when the
/// Reconnector used up the operation timeout (a half-open link).
const STEP_FLOOR: Duration = Duration::from_millis(200);

/// A running client. Cloning is cheap; every clone drives the same actors.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    identity: ClientIdentity,
    devices: wiring::DeviceList,
    unit: UnitSystem,
    bus: EventBus,
    /// The first connection's actors.
    actors: wiring::ActorAddrs,
    /// Every connection of the pool (one unless the account has more devices than one
    /// connection may serve).
    stacks: pool::Stacks,
    /// Routes handler registrations to the connection of their device.
    router: Addr<router::HandlerRouter>,
    /// Reads the account's device list again.
    refresher: Option<Addr<refresh::DeviceListRefresher>>,
    /// What the application may send (built once from `actors`).
    public_actors: Actors,
    features: FeatureCache,
    operation_timeout: Duration,
    own_thread: Mutex<Option<wiring::OwnThread>>,
    /// Subscribed before the connection loop started, so the first call to
    /// [`Client::events`] sees every event from the very first `connecting`.
    first_receiver: Mutex<Option<broadcast::Receiver<TimestampedEvent>>>,
    disconnected: std::sync::atomic::AtomicBool,
    rest: Option<crate::rest::RestClient>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("client_id", &self.inner.identity.client_id)
            .field("devices", &self.inner.devices.len())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Signs in (when the configuration has credentials; invalid credentials fail
    /// here), lists the devices, spawns the actors and starts connecting. Returns
    /// without waiting for the connection: watch [`events`](Self::events).
    ///
    /// A start during an outage is an outage, not an error: when the sign-in or the
    /// device list fails for any reason other than invalid credentials (the cloud
    /// unreachable, answering 5xx, timing out), `start` still returns a running client.
    /// It has no device yet ([`devices`](Self::devices) is empty) and keeps trying under
    /// the reconnect policy (backoff, jitter, minimum interval, reachability probe of
    /// the REST API), reporting `connecting` and `reconnect_scheduled` (class
    /// `credentials`) until the cloud answers. Then it lists the devices, reports
    /// [`Event::DevicesDiscovered`], connects and reports `recovered`.
    pub async fn start(config: ClientConfig) -> Result<Client, ClientError> {
        if actix::Arbiter::try_current().is_some() {
            let started = wiring::start_here(config).await?;
            Ok(Self::from_started(started, None))
        } else {
            let (started, thread) = wiring::start_on_own_thread(config).await?;
            Ok(Self::from_started(started, Some(thread)))
        }
    }

    fn from_started(started: wiring::Started, own_thread: Option<wiring::OwnThread>) -> Self {
        let router = started.router;
        Self {
            inner: Arc::new(Inner {
                identity: started.identity,
                devices: started.devices,
                unit: started.unit,
                bus: started.bus,
                public_actors: Actors::of(&started.actors, &router),
                actors: started.actors,
                stacks: started.stacks,
                router,
                refresher: started.refresher,
                features: started.features,
                operation_timeout: started.operation_timeout,
                own_thread: Mutex::new(own_thread),
                first_receiver: Mutex::new(Some(started.first_receiver)),
                disconnected: std::sync::atomic::AtomicBool::new(false),
                rest: started.rest,
            }),
        }
    }

    /// The MQTT client id (stable across reconnects). A planned handover connects
    /// under its peer (the id with `-h`) and the next one under this id again; the
    /// request identity (the `clientID` field, response topics) stays this id.
    pub fn client_id(&self) -> &str {
        self.inner.identity.client_id.as_str()
    }

    /// The monitored devices (a snapshot). Empty after a start during an outage until
    /// the device list is known ([`Event::DevicesDiscovered`]).
    pub fn devices(&self) -> Vec<DeviceSummary> {
        self.inner.devices.summaries()
    }

    /// Whether the device list is known: true from the start when the cloud answered
    /// at start (or without an account), otherwise once [`Event::DevicesDiscovered`]
    /// was reported.
    pub fn devices_known(&self) -> bool {
        self.inner.devices.is_known()
    }

    /// The unit system statuses are reported in.
    pub fn unit(&self) -> UnitSystem {
        self.inner.unit
    }

    /// A receiver of the client's events. The first call returns a receiver that has
    /// every event since [`start`](Self::start) (from the first `connecting`); later
    /// calls see events from the moment of the call. A receiver that falls more than the
    /// bus capacity behind (the `event_capacity` option; by default 4 events per device,
    /// at least 1 024) is told how many it missed (`RecvError::Lagged`).
    #[must_use = "events are only seen through the receiver"]
    pub fn events(&self) -> broadcast::Receiver<TimestampedEvent> {
        self.inner
            .first_receiver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .unwrap_or_else(|| self.inner.bus.subscribe())
    }

    /// Delivers every event to an actix actor too (`try_send`: a full mailbox drops).
    pub fn add_event_recipient(&self, recipient: Recipient<EventMessage>) {
        self.inner.bus.add_recipient(recipient);
    }

    /// The REST API client (device info, firmware, TOU), when the client signed in.
    pub fn rest(&self) -> Option<&crate::rest::RestClient> {
        self.inner.rest.as_ref()
    }

    /// Recipients for what an application may ask the actors directly: handlers and
    /// statistics. Nothing here can start, close or restart a connection.
    pub fn actors(&self) -> &Actors {
        &self.inner.public_actors
    }

    /// Every actor's address, for the crate's own integration tests and benchmarks
    /// (feature `internals`): with them a caller can break the invariants the client
    /// keeps, e.g. start a second connection attempt. The first connection's; see
    /// [`internal_stacks`](Self::internal_stacks) for every connection of a pool.
    #[cfg(feature = "internals")]
    pub fn internal_actors(&self) -> &ActorAddrs {
        &self.inner.actors
    }

    /// Every connection's actors (feature `internals`), in pool order.
    #[cfg(feature = "internals")]
    pub fn internal_stacks(&self) -> Vec<StackHandle> {
        self.inner.stacks.all()
    }

    /// How many connections the client holds: one per 49 devices (AWS IoT Core's 50
    /// subscriptions per connection, see `subscriptions_per_connection`).
    pub fn connection_count(&self) -> usize {
        self.inner.stacks.len()
    }

    /// The MQTT client id of every connection of the pool, in order (`connection` in
    /// the events is an index into it).
    pub fn client_ids(&self) -> Vec<String> {
        self.inner
            .stacks
            .all()
            .iter()
            .map(|s| s.identity.client_id.as_str().to_owned())
            .collect()
    }

    fn device(&self, mac: &str) -> Result<(DeviceRef, pool::StackHandle), ClientError> {
        let unknown = || match MacAddress::new(mac) {
            Ok(mac) => ClientError::UnknownDevice(mac),
            Err(e) => ClientError::Id(e),
        };
        let (device, index) = self.inner.devices.find(mac).ok_or_else(unknown)?;
        let stack = self
            .inner
            .stacks
            .get(index)
            .ok_or(ClientError::Unavailable("connection"))?;
        Ok((device, stack))
    }

    /// Sends `command` to the device `mac`: validated first (a bad parameter or a
    /// missing capability is an error and nothing is sent; a gated command waits up to
    /// the operation timeout for the device's feature report when none is known yet),
    /// then published with QoS 1. Offline, it is queued and sent after recovery
    /// (`Ok(PublishOutcome::Queued)`).
    ///
    /// Online, the answer comes with the broker's PUBACK, so awaiting each call (or
    /// keeping a few dozen in flight) paces a burst. Thousands fired at once outrun the
    /// transport; the excess goes to the offline queue, which keeps the newest
    /// `queue_capacity` and reports each one dropped as `command_dropped`.
    pub async fn send(&self, mac: &str, command: Command) -> Result<PublishOutcome, ClientError> {
        let (device, stack) = self.device(mac)?;
        let request = match self.build(&command, &device, &stack) {
            Err(ClientError::Command(CommandError::FeatureUnknown { .. })) => {
                debug!(device = %device.mac, "feature unknown: requesting it first");
                self.publish(&device, &stack, Command::RequestFeature)
                    .await?;
                self.inner
                    .features
                    .wait_for(device.mac.as_str(), self.inner.operation_timeout)
                    .await
                    .ok_or(ClientError::FeatureTimeout(self.inner.operation_timeout))?;
                self.build(&command, &device, &stack)?
            }
            other => other?,
        };
        self.publish_request(&device, &stack, request).await
    }

    /// Asks the device for a fresh status now.
    pub async fn request_status(&self, mac: &str) -> Result<PublishOutcome, ClientError> {
        let (device, stack) = self.device(mac)?;
        self.publish(&device, &stack, Command::RequestStatus).await
    }

    /// Builds `command` under the identity of the device's connection (its answers come
    /// back on that connection).
    fn build(
        &self,
        command: &Command,
        device: &DeviceRef,
        stack: &pool::StackHandle,
    ) -> Result<crate::protocol::OutgoingRequest, ClientError> {
        let feature = self.inner.features.get(device.mac.as_str());
        Ok(command.build(&stack.identity, device, feature.as_deref())?)
    }

    async fn publish(
        &self,
        device: &DeviceRef,
        stack: &pool::StackHandle,
        command: Command,
    ) -> Result<PublishOutcome, ClientError> {
        let request = self.build(&command, device, stack)?;
        self.publish_request(device, stack, request).await
    }

    async fn publish_request(
        &self,
        device: &DeviceRef,
        stack: &pool::StackHandle,
        request: crate::protocol::OutgoingRequest,
    ) -> Result<PublishOutcome, ClientError> {
        let code = request
            .code
            .and_then(|c| u32::try_from(c.raw()).ok())
            .unwrap_or_default();
        let label = CommandLabel {
            device: device.mac.clone(),
            command: code,
        };
        let outcome = stack
            .actors
            .connection
            .send(Publish {
                topic: request.topic.clone(),
                payload: Bytes::from(request.payload_bytes()),
                label: Some(label.clone()),
            })
            .await
            .map_err(|_| ClientError::Unavailable("connection"))??;
        if outcome == PublishOutcome::Acknowledged {
            self.inner.bus.emit(Event::CommandSent {
                device: label.device,
                command: label.command,
            });
        }
        Ok(outcome)
    }

    /// Connection diagnostics: uptime, outages, longest outage, last error, counters.
    /// With a pool of connections, the pool's as a whole (see
    /// [`DiagnosticsSnapshot::combine`]); [`connection_diagnostics`](Self::connection_diagnostics)
    /// has each connection's.
    pub async fn diagnostics(&self) -> Result<DiagnosticsSnapshot, ClientError> {
        let each = self.connection_diagnostics().await?;
        Ok(DiagnosticsSnapshot::combine(&each))
    }

    /// Each connection's diagnostics, in pool order (`connection` in the events is an
    /// index into it).
    pub async fn connection_diagnostics(&self) -> Result<Vec<DiagnosticsSnapshot>, ClientError> {
        self.ask_each_reconnector(GetDiagnostics)
            .await
            .into_iter()
            .map(|answer| answer.map_err(|_| ClientError::Unavailable("reconnector")))
            .collect()
    }

    /// After a `reconnection_failed` event: starts a new attempt cycle on every
    /// connection that failed. Answers whether a cycle started (false when no connection
    /// had failed).
    ///
    /// After an attempt limit, the cycle reuses the credentials it has while they are
    /// valid, so it works without the REST API. After a rejected password, it signs in
    /// again first (with `new_password` when given); a rejected password is an error
    /// and leaves the client failed.
    pub async fn retry(&self, new_password: Option<&str>) -> Result<bool, ClientError> {
        let stacks = self.inner.stacks.all();
        let mut failures = Vec::with_capacity(stacks.len());
        for stack in &stacks {
            let failure = stack
                .actors
                .reconnector
                .send(crate::reconnector::GetFailure)
                .await
                .map_err(|_| ClientError::Unavailable("reconnector"))?;
            failures.push(failure);
        }
        let sign_in = new_password.is_some()
            || failures.contains(&Some(crate::events::FailureReason::InvalidCredentials));
        if let (true, Some(auth)) = (sign_in, &self.inner.actors.auth) {
            auth.send(crate::auth::SignInAgain {
                new_password: new_password.map(crate::auth::Secret::new),
            })
            .await
            .map_err(|_| ClientError::Unavailable("auth"))??;
        }
        let mut started = false;
        for stack in &stacks {
            started |= stack
                .actors
                .reconnector
                .send(crate::reconnector::Retry {
                    renew_credentials: false,
                })
                .await
                .map_err(|_| ClientError::Unavailable("reconnector"))?;
        }
        Ok(started)
    }

    /// Asks every connection's Reconnector at once; answers in pool order.
    async fn ask_each_reconnector<M>(&self, msg: M) -> Vec<Result<M::Result, actix::MailboxError>>
    where
        M: actix::Message + Copy + Send + 'static,
        M::Result: Send,
        crate::reconnector::Reconnector: actix::Handler<M>,
    {
        let stacks = self.inner.stacks.all();
        futures::future::join_all(
            stacks
                .iter()
                .map(|stack| stack.actors.reconnector.send(msg)),
        )
        .await
    }

    /// Whether every connection is up and restored.
    pub async fn is_connected(&self) -> bool {
        self.ask_each_reconnector(GetPhase)
            .await
            .iter()
            .all(|phase| matches!(phase, Ok(Phase::Up)))
    }

    /// Disconnects: works in every state (backoff, mid-connect, mid-deep reconnect),
    /// returns within the operation timeout (plus a little), emits
    /// `Event::Disconnected` and leaves nothing running; no connection attempt happens
    /// afterwards. A second call is harmless.
    ///
    /// Everything the client started ends, in this order: the Reconnector (no attempt
    /// starts any more; the live connection is closed gracefully), PeriodicRequests,
    /// Subscriptions (every handler dropped; each callback thread ends once its call in
    /// progress returns, which is waited for within the bound: a callback that never
    /// returns keeps its thread), the Connection (whatever transport is left, the
    /// offline queue and its timers; not restarted by its supervisor), Auth, and, for a
    /// client started outside an actix System, its thread. The event stream stays
    /// readable; the actors' addresses answer `MailboxError::Closed` from then on.
    pub async fn disconnect(&self) -> Result<(), ClientError> {
        if self
            .inner
            .disconnected
            .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            return Ok(());
        }
        // One budget for the whole sequence; a step that finds it spent still gets a
        // moment, so every actor is at least asked to stop.
        let deadline =
            tokio::time::Instant::now() + self.inner.operation_timeout + Duration::from_secs(1);
        let until = || deadline.max(tokio::time::Instant::now() + STEP_FLOOR);
        // No device is followed or forgotten from here on.
        if let Some(refresher) = &self.inner.refresher {
            refresher.do_send(Shutdown);
        }
        let stacks = self.inner.stacks.all();
        // Every connection's loop first (at once), so no attempt starts anywhere.
        let disconnects = stacks
            .iter()
            .map(|stack| stack.actors.reconnector.send(Disconnect));
        let results =
            tokio::time::timeout_at(deadline, futures::future::join_all(disconnects)).await;
        // An actor already gone is not an error. Only Subscriptions may take long: it
        // answers once the callbacks in progress have returned.
        let periodic = stacks
            .iter()
            .map(|stack| stack.actors.periodic.send(crate::periodic::Shutdown));
        let _ = tokio::time::timeout_at(until(), futures::future::join_all(periodic)).await;
        let subscriptions = stacks
            .iter()
            .map(|stack| stack.actors.subscriptions.send(Shutdown));
        let _ = tokio::time::timeout_at(until(), futures::future::join_all(subscriptions)).await;
        let connections = stacks
            .iter()
            .map(|stack| stack.actors.connection.send(Shutdown));
        let _ = tokio::time::timeout_at(until(), futures::future::join_all(connections)).await;
        self.inner.router.do_send(Shutdown);
        let actors = &self.inner.actors;
        if let Some(auth) = &actors.auth {
            let _ = tokio::time::timeout_at(until(), auth.send(Shutdown)).await;
        }
        let thread = self
            .inner
            .own_thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(thread) = thread {
            thread.stop(until()).await;
        }
        // Closed: a Reconnector stops only after a `Disconnect` (sent directly to it
        // before), so the client is disconnected all the same.
        let answered = |r: &Result<(), actix::MailboxError>| {
            matches!(r, Ok(()) | Err(actix::MailboxError::Closed))
        };
        match results {
            Ok(results) if !results.iter().all(answered) => {
                Err(ClientError::Unavailable("reconnector"))
            }
            _ => Ok(()),
        }
    }
}
