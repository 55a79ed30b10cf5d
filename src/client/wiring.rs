//! Building and starting the actor system from a [`ClientConfig`].

use std::rc::Rc;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use actix::{Actor, Addr};
use futures::FutureExt;
use tracing::{info, warn};

use super::device::DeviceSummary;
use super::error::ClientError;
use super::features::FeatureCache;
use super::pool::{PoolBuilder, SharedPool, Stacks};
use super::refresh::DeviceListRefresher;
use super::router::HandlerRouter;
use crate::auth::{Auth, AuthConfig, GetCredentials, Secret};
use crate::bus::{default_event_capacity, EventBus};
use crate::clock::{SharedClock, TokioClock};
use crate::config::ClientConfig;
use crate::connection::Connection;
use crate::error_chain::Chain;
use crate::periodic::{PeriodicRequests, PollKind, StartPolling, StopPolling};
use crate::protocol::{ClientId, ClientIdentity, DeviceRef, MacAddress, SessionId, UnitSystem};
use crate::reconnector::{DeviceDiscovery, Reconnector};
use crate::rest::RestClient;
use crate::subscriptions::{AddHandler, ForgetDevice, HandlerSink, SubscribeDevice, Subscriptions};

/// How long a device's feature report is trusted before it is requested again, when the
/// configuration sets no feature poll interval (upstream caches it for 30 minutes).
const DEFAULT_FEATURE_REFRESH: Duration = Duration::from_secs(30 * 60);

/// Buffer of the internal feature-cache handler (feature reports are rare).
const FEATURE_BUFFER: usize = 64;

/// The addresses of a client's actors. Internal: an application gets
/// [`Actors`](super::Actors), which cannot start, close or restart a connection.
#[derive(Clone)]
pub struct ActorAddrs {
    /// Auth (absent when the configuration has no credentials).
    pub auth: Option<Addr<Auth>>,
    /// The Connection actor (under its restarting supervision, which `disconnect` ends).
    pub connection: Addr<Connection>,
    /// The Subscriptions actor (registry and dispatcher).
    pub subscriptions: Addr<Subscriptions>,
    /// The PeriodicRequests actor.
    pub periodic: Addr<PeriodicRequests>,
    /// The Reconnector (supervisor).
    pub reconnector: Addr<Reconnector>,
}

impl std::fmt::Debug for ActorAddrs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActorAddrs").finish_non_exhaustive()
    }
}

/// The devices a client follows. Shared between the client handle and the discovery
/// that fills it in when the client started during an outage.
#[derive(Debug, Clone, Default)]
pub(super) struct DeviceList {
    inner: Arc<RwLock<Vec<(DeviceSummary, DeviceRef, usize)>>>,
    known: Arc<std::sync::atomic::AtomicBool>,
}

impl DeviceList {
    pub(super) fn is_known(&self) -> bool {
        self.known.load(std::sync::atomic::Ordering::Acquire)
    }

    fn mark_known(&self) {
        self.known.store(true, std::sync::atomic::Ordering::Release);
    }

    pub(super) fn summaries(&self) -> Vec<DeviceSummary> {
        self.read().iter().map(|(s, _, _)| s.clone()).collect()
    }

    /// The device and the index of the pool connection it is on.
    pub(super) fn find(&self, mac: &str) -> Option<(DeviceRef, usize)> {
        self.read()
            .iter()
            .find(|(_, r, _)| r.mac.as_str().eq_ignore_ascii_case(mac))
            .map(|(_, r, connection)| (r.clone(), *connection))
    }

    pub(super) fn len(&self) -> usize {
        self.read().len()
    }

    /// The MACs of the followed devices.
    pub(super) fn macs(&self) -> Vec<String> {
        self.read()
            .iter()
            .map(|(_, r, _)| r.mac.as_str().to_owned())
            .collect()
    }

    /// Stops listing `mac`.
    pub(super) fn remove(&self, mac: &str) {
        self.inner
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(_, r, _)| !r.mac.as_str().eq_ignore_ascii_case(mac));
    }

    fn add(&self, summary: DeviceSummary, device: DeviceRef, connection: usize) {
        self.inner
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push((summary, device, connection));
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<(DeviceSummary, DeviceRef, usize)>> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Everything a started client holds.
pub(super) struct Started {
    pub identity: ClientIdentity,
    pub devices: DeviceList,
    pub unit: UnitSystem,
    pub bus: EventBus,
    /// The first connection's actors.
    pub actors: ActorAddrs,
    /// Every connection of the pool.
    pub stacks: Stacks,
    /// Routes handler registrations to the connection of their device.
    pub router: Addr<HandlerRouter>,
    /// Reads the device list again (signed-in clients with a `device_list_interval`).
    pub refresher: Option<Addr<DeviceListRefresher>>,
    pub features: FeatureCache,
    pub operation_timeout: Duration,
    pub first_receiver: tokio::sync::broadcast::Receiver<crate::events::TimestampedEvent>,
    pub rest: Option<RestClient>,
}

/// The dedicated thread of a client started outside an actix System.
pub(super) struct OwnThread {
    system: actix::System,
    /// Fires as the thread's last act, once its System has stopped and dropped every
    /// actor and task.
    ended: tokio::sync::oneshot::Receiver<()>,
    thread: std::thread::JoinHandle<()>,
}

impl OwnThread {
    /// Stops the System and waits, until `deadline`, for the thread to end; a thread
    /// that ended is joined (without blocking: it has already finished).
    pub(super) async fn stop(self, deadline: tokio::time::Instant) {
        self.system.stop();
        if tokio::time::timeout_at(deadline, self.ended).await.is_err() {
            warn!("the client thread did not end in time");
            return;
        }
        // Between its last act and its end the thread only returns.
        while !self.thread.is_finished() {
            if tokio::time::Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        if self.thread.join().is_err() {
            warn!("the client thread panicked");
        }
    }
}

/// Starts on a dedicated thread running its own actix System.
pub(super) async fn start_on_own_thread(
    config: ClientConfig,
) -> Result<(Started, OwnThread), ClientError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (ended_tx, ended) = tokio::sync::oneshot::channel();
    let thread = std::thread::Builder::new()
        .name("nwp500".into())
        .spawn(move || {
            let system = actix::System::new();
            let handle = actix::System::current();
            let ok = system.block_on(async move {
                let result = start_here(config).await;
                let ok = result.is_ok();
                let _ = tx.send(result.map(|started| (started, handle)));
                ok
            });
            if ok {
                if let Err(error) = system.run() {
                    warn!(error = %Chain(&error), "client system ended with an error");
                }
            }
            let _ = ended_tx.send(());
        })
        .map_err(ClientError::Startup)?;
    let (started, system) = rx.await.map_err(|_| ClientError::ThreadEnded)??;
    Ok((
        started,
        OwnThread {
            system,
            ended,
            thread,
        },
    ))
}

/// Signs in and lists the account's devices (those the configuration wants).
pub(super) async fn list_devices(
    auth: &Addr<Auth>,
    rest: &RestClient,
    config: &ClientConfig,
) -> Result<Vec<DeviceSummary>, ClientError> {
    auth.send(GetCredentials)
        .await
        .map_err(|_| ClientError::Unavailable("auth"))??;
    Ok(rest
        .list_devices()
        .await?
        .iter()
        .map(DeviceSummary::from_rest)
        .filter(|d| config.wants_device(&d.mac))
        .collect())
}

/// Starts following devices: places each on a connection of the pool (building it if
/// it is new), registers its subscriptions, the feature cache's handler and its polls
/// there, and adds it to the client's list.
#[derive(Clone)]
pub(super) struct Follower {
    pool: SharedPool,
    feature_tx: tokio::sync::mpsc::Sender<crate::subscriptions::FeatureUpdate>,
    poll_interval: Duration,
    feature_interval: Duration,
    pub(super) list: DeviceList,
}

impl Follower {
    /// Stops following a device that left the account: its polls, its handlers and its
    /// place on its connection; the other devices are not touched.
    pub(super) async fn forget(&self, mac: &str) {
        let Some((device, index)) = self.list.find(mac) else {
            return;
        };
        if let Some(stack) = self.pool.stacks().get(index) {
            let _ = stack
                .actors
                .periodic
                .send(StopPolling {
                    mac: device.mac.clone(),
                    kind: None,
                })
                .await;
            let _ = stack
                .actors
                .subscriptions
                .send(ForgetDevice {
                    device: device.clone(),
                })
                .await;
        }
        self.pool.remove(&device.mac);
        self.list.remove(mac);
    }

    pub(super) async fn follow(&self, devices: Vec<DeviceSummary>) -> Result<usize, ClientError> {
        let mut followed = 0;
        for summary in devices {
            let device = match summary.device_ref() {
                Ok(device) => device,
                Err(error) => {
                    warn!(%error, "device list entry with an unusable MAC skipped");
                    continue;
                }
            };
            let stack = self.pool.place(&device.mac)?;
            let subscriptions = &stack.actors.subscriptions;
            let periodic = &stack.actors.periodic;
            let follow = subscriptions
                .send(SubscribeDevice {
                    device: device.clone(),
                })
                .await
                .map_err(|_| ClientError::Unavailable("subscriptions"))?;
            if let Err(error) = follow {
                warn!(device = %device.mac, error = %Chain(&error), "cannot follow device");
            }
            let _ = subscriptions
                .send(AddHandler::feature(
                    device.clone(),
                    HandlerSink::Channel(self.feature_tx.clone()),
                ))
                .await;
            periodic.do_send(StartPolling {
                device: device.clone(),
                kind: PollKind::Status,
                interval: self.poll_interval,
            });
            periodic.do_send(StartPolling {
                device: device.clone(),
                kind: PollKind::Feature,
                interval: self.feature_interval,
            });
            self.list.add(summary, device, stack.index);
            followed += 1;
        }
        Ok(followed)
    }
}

/// The discovery an attempt runs while the device list is unknown: list, follow,
/// announce.
fn discovery(
    auth: Addr<Auth>,
    rest: RestClient,
    config: Arc<ClientConfig>,
    follower: Follower,
    bus: EventBus,
) -> DeviceDiscovery {
    Rc::new(move || {
        let (auth, rest, config, follower, bus) = (
            auth.clone(),
            rest.clone(),
            config.clone(),
            follower.clone(),
            bus.clone(),
        );
        async move {
            let devices = match list_devices(&auth, &rest, &config).await {
                Ok(devices) => devices,
                Err(ClientError::Rest(e)) => return Err(e),
                Err(ClientError::Auth(source)) => {
                    return Err(crate::rest::RestError::Auth {
                        endpoint: "/user/sign-in",
                        source,
                    })
                }
                Err(other) => return Err(discovery_failure(other)),
            };
            if devices.is_empty() {
                warn!("no device to monitor");
            }
            let macs: Vec<MacAddress> = devices
                .iter()
                .filter_map(|d| MacAddress::new(d.mac.clone()).ok())
                .collect();
            let count = follower.follow(devices).await.map_err(discovery_failure)?;
            follower.list.mark_known();
            bus.emit(crate::events::Event::DevicesDiscovered { devices: macs });
            Ok(count)
        }
        .boxed_local()
    })
}

/// A discovery failure outside the REST call itself: the only one is an actor that has
/// stopped (the client is shutting down).
fn discovery_failure(error: ClientError) -> crate::rest::RestError {
    match error {
        ClientError::Rest(e) => e,
        ClientError::Unavailable(actor) => crate::rest::RestError::Unavailable { actor },
        other => {
            tracing::debug!(error = %Chain(&other), "device discovery failed");
            crate::rest::RestError::Unavailable { actor: "client" }
        }
    }
}

/// Starts the actors on the current arbiter.
///
/// With an account, it signs in and lists the devices first. Invalid credentials are
/// an error of `start`. Any other failure (the cloud unreachable or failing) is an
/// outage: the client starts anyway with no device yet, and its first attempts, under
/// the reconnect policy, obtain the device list before connecting
/// (`Event::DevicesDiscovered`).
pub(super) async fn start_here(config: ClientConfig) -> Result<Started, ClientError> {
    let clock: SharedClock = Arc::new(TokioClock);
    let client_id = match config.client_id() {
        Some(id) => ClientId::new(id)?,
        None => ClientId::random(),
    };
    let identity = ClientIdentity::new(client_id.clone(), SessionId::random());
    let unit = config.unit_system();
    let needs_tls = config.mqtt_endpoint().needs_tls();
    if needs_tls {
        // Warm the root store off this thread while signing in.
        actix::spawn(async {
            crate::connection::shared_tls_config().await;
        });
    }

    let mut pending_discovery = None;
    let (auth, rest, initial) = match (config.email(), config.password()) {
        (Some(email), Some(password)) => {
            let mut auth_config = AuthConfig::new(email, Secret::new(password.expose()))
                .with_api_base_url(config.api_url().clone())
                .with_safety_margin(config.credential_margin());
            if let Some(path) = config.token_file() {
                auth_config = auth_config.with_token_file(path);
            }
            let auth = Auth::with_clock(auth_config.clone(), clock.clone())?.start();
            let rest = RestClient::for_auth(auth.clone(), &auth_config)?;
            let initial = match list_devices(&auth, &rest, &config).await {
                Ok(devices) => {
                    if devices.is_empty() {
                        warn!("no device to monitor");
                    }
                    devices
                }
                Err(error) if error.is_invalid_credentials() => return Err(error),
                Err(error) => {
                    warn!(
                        error = %Chain(&error),
                        "the cloud does not answer yet; starting anyway and retrying under the reconnect policy"
                    );
                    pending_discovery = Some((auth.clone(), rest.clone()));
                    Vec::new()
                }
            };
            (Some(auth), Some(rest), initial)
        }
        _ => {
            let devices: Vec<DeviceSummary> = config
                .devices()
                .iter()
                .map(|mac| DeviceSummary::from_mac(mac))
                .collect();
            if devices.is_empty() {
                warn!("no device to monitor");
            }
            (None, None, devices)
        }
    };
    // Fail early on a MAC that cannot be used in topics.
    for device in &initial {
        device.device_ref()?;
    }

    let capacity = config
        .event_capacity()
        .unwrap_or_else(|| default_event_capacity(initial.len().max(config.devices().len())));
    let bus = EventBus::new(capacity, clock.clone());
    let features = FeatureCache::default();
    let operation_timeout = config.operation_timeout();
    let poll_interval = config.poll_interval();
    let feature_interval = config
        .feature_poll_interval()
        .unwrap_or(DEFAULT_FEATURE_REFRESH);
    let config = Arc::new(config);

    // One channel and one task keep every device's latest feature report (a callback
    // handler would cost a thread per device).
    let (feature_tx, mut feature_rx) =
        tokio::sync::mpsc::channel::<crate::subscriptions::FeatureUpdate>(FEATURE_BUFFER);
    let cache = features.clone();
    actix::spawn(async move {
        while let Some(update) = feature_rx.recv().await {
            cache.insert(update.device.as_str(), update.feature.clone());
        }
    });
    let pool: SharedPool = Rc::new(PoolBuilder::new(
        config.clone(),
        clock.clone(),
        auth.clone(),
        bus.clone(),
        client_id.clone(),
        identity.session_id.clone(),
    ));
    let list = DeviceList::default();
    let follower = Follower {
        pool: pool.clone(),
        feature_tx,
        poll_interval,
        feature_interval,
        list: list.clone(),
    };
    let discovery_pending = pending_discovery.is_some();
    pool.set_discovery(
        pending_discovery.map(|(auth, rest)| {
            discovery(auth, rest, config.clone(), follower.clone(), bus.clone())
        }),
    );
    // The first connection always exists: it runs the discovery of a start during an
    // outage, and holds the first devices.
    let first = pool.build_stack(0)?;
    follower.follow(initial).await?;
    let stacks = pool.stacks();
    if !discovery_pending {
        list.mark_known();
    }

    info!(
        client_id = %client_id,
        devices = list.len(),
        connections = stacks.len(),
        "client started; connecting"
    );
    let first_receiver = bus.subscribe();
    pool.start();
    let router = HandlerRouter {
        stacks: stacks.clone(),
        devices: list.clone(),
    }
    .start();
    let refresher = match (&auth, &rest, config.device_list_interval()) {
        (Some(auth), Some(rest), Some(interval)) => Some(
            DeviceListRefresher {
                auth: auth.clone(),
                rest: rest.clone(),
                config: config.clone(),
                follower,
                features: features.clone(),
                bus: bus.clone(),
                interval,
                running: false,
            }
            .start(),
        ),
        _ => None,
    };

    Ok(Started {
        identity,
        devices: list,
        unit,
        bus,
        actors: first.actors,
        stacks,
        router,
        refresher,
        features,
        operation_timeout,
        first_receiver,
        rest,
    })
}
