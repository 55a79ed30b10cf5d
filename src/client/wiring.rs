//! Building and starting the actor system from a [`ClientConfig`].

use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Addr, AsyncContext, Context};
use tracing::{info, warn};

use super::device::DeviceSummary;
use super::error::ClientError;
use super::features::FeatureCache;
use crate::auth::{Auth, AuthConfig, GetCredentials, Secret};
use crate::bus::{default_event_capacity, EventBus};
use crate::clock::{SharedClock, TokioClock};
use crate::config::ClientConfig;
use crate::connection::{Connection, ConnectionSettings};
use crate::periodic::{PeriodicRequests, PollKind, StartPolling};
use crate::protocol::{ClientId, ClientIdentity, DeviceRef, SessionId, UnitSystem};
use crate::reconnector::{probe_target, Peers, Reconnector, ReconnectorSettings, Start};
use crate::rest::RestClient;
use crate::subscriptions::{
    unit_system, AddHandler, HandlerSink, SubscribeDevice, SubscriptionSettings, Subscriptions,
};

/// How long a device's feature report is trusted before it is requested again, when the
/// configuration sets no feature poll interval (upstream caches it for 30 minutes).
const DEFAULT_FEATURE_REFRESH: Duration = Duration::from_secs(30 * 60);

/// Buffer of the internal feature-cache handler (feature reports are rare).
const FEATURE_BUFFER: usize = 64;

/// The addresses of a client's actors, for applications that embed them.
#[derive(Clone)]
pub struct Actors {
    /// Auth (absent when the configuration has no credentials).
    pub auth: Option<Addr<Auth>>,
    /// The Connection actor (under an actix `Supervisor`).
    pub connection: Addr<Connection>,
    /// The Subscriptions actor (registry and dispatcher).
    pub subscriptions: Addr<Subscriptions>,
    /// The PeriodicRequests actor.
    pub periodic: Addr<PeriodicRequests>,
    /// The Reconnector (supervisor).
    pub reconnector: Addr<Reconnector>,
}

impl std::fmt::Debug for Actors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Actors").finish_non_exhaustive()
    }
}

/// Everything a started client holds.
pub(super) struct Started {
    pub identity: ClientIdentity,
    pub devices: Vec<DeviceSummary>,
    pub refs: Vec<DeviceRef>,
    pub unit: UnitSystem,
    pub bus: EventBus,
    pub actors: Actors,
    pub features: FeatureCache,
    pub operation_timeout: Duration,
    pub first_receiver: tokio::sync::broadcast::Receiver<crate::events::TimestampedEvent>,
    pub rest: Option<RestClient>,
}

/// Starts on a dedicated thread running its own actix System.
pub(super) async fn start_on_own_thread(
    config: ClientConfig,
) -> Result<(Started, actix::System), ClientError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
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
                    warn!(%error, "client system ended with an error");
                }
            }
        })
        .map_err(|e| ClientError::Startup(e.to_string()))?;
    rx.await
        .map_err(|_| ClientError::Startup("the client thread ended early".into()))?
}

/// Starts the actors on the current arbiter.
pub(super) async fn start_here(config: ClientConfig) -> Result<Started, ClientError> {
    let clock: SharedClock = Arc::new(TokioClock);
    let client_id = match config.client_id() {
        Some(id) => ClientId::new(id)?,
        None => ClientId::random(),
    };
    let identity = ClientIdentity::new(client_id.clone(), SessionId::random());
    let unit = unit_system(config.temperature_unit());

    // Sign in first, so a wrong password is an error of `start` and not a loop.
    let (auth, rest, devices) = match (config.email(), config.password()) {
        (Some(email), Some(password)) => {
            let mut auth_config = AuthConfig::new(email, Secret::new(password.expose()))
                .with_api_base_url(config.api_url().clone())
                .with_safety_margin(config.credential_margin());
            if let Some(path) = config.token_file() {
                auth_config = auth_config.with_token_file(path);
            }
            let auth = Auth::with_clock(auth_config.clone(), clock.clone())?.start();
            auth.send(GetCredentials)
                .await
                .map_err(|_| ClientError::Unavailable("auth"))??;
            let rest = RestClient::for_auth(auth.clone(), &auth_config)?;
            let devices: Vec<DeviceSummary> = rest
                .list_devices()
                .await?
                .iter()
                .map(DeviceSummary::from_rest)
                .filter(|d| config.wants_device(&d.mac))
                .collect();
            (Some(auth), Some(rest), devices)
        }
        _ => (
            None,
            None,
            config
                .devices()
                .iter()
                .map(|mac| DeviceSummary::from_mac(mac))
                .collect(),
        ),
    };
    if devices.is_empty() {
        warn!("no device to monitor");
    }
    let refs = devices
        .iter()
        .map(DeviceSummary::device_ref)
        .collect::<Result<Vec<_>, _>>()?;

    let capacity = config
        .event_capacity()
        .unwrap_or_else(|| default_event_capacity(refs.len()));
    let bus = EventBus::new(capacity, clock.clone());
    let features = FeatureCache::default();

    // The Reconnector and Subscriptions need the Connection's address and it needs
    // theirs: create their contexts first.
    let reconnector_ctx = Context::<Reconnector>::new();
    let subscriptions_ctx = Context::<Subscriptions>::new();
    let reconnector_addr = reconnector_ctx.address();
    let subscriptions_addr = subscriptions_ctx.address();

    let mut settings = ConnectionSettings::new(config.mqtt_url().as_str(), client_id.as_str())?;
    settings.keep_alive = config.keep_alive();
    settings.ping_timeout = settings.ping_timeout.min(config.keep_alive());
    settings.connect_timeout = config.connect_timeout();
    settings.operation_timeout = config.operation_timeout();
    settings.close_timeout = settings.close_timeout.min(config.operation_timeout());
    settings.queue_capacity = config.queue_capacity();
    settings.queue_max_age = config.queue_max_age();
    settings.region = config.aws_region().to_owned();
    settings.clock = clock.clone();
    let connection = Connection::new(
        settings,
        reconnector_addr.clone().recipient(),
        subscriptions_addr.clone().recipient(),
    )?
    .start_supervised();

    let subscriptions = subscriptions_ctx.run(Subscriptions::new(
        SubscriptionSettings::from_config(&config, client_id.clone()),
        connection.clone().recipient(),
        connection.clone().recipient(),
        bus.clone(),
    ));
    let periodic = PeriodicRequests::new(connection.clone().recipient(), identity.clone()).start();

    let reconnector = reconnector_ctx.run(Reconnector::new(
        ReconnectorSettings {
            client_id: client_id.as_str().to_owned(),
            policy: config.policy_config(),
            seed: None,
            operation_timeout: config.operation_timeout(),
            probe_interval: config.probe_interval(),
            probe_target: probe_target(config.mqtt_url().as_str()),
            clock: clock.clone(),
        },
        Peers {
            auth: auth.clone(),
            connection: connection.clone(),
            replay: subscriptions.clone().recipient(),
            link: subscriptions.clone().recipient(),
            resume: periodic.clone().recipient(),
            pause: periodic.clone().recipient(),
            bus: bus.clone(),
        },
    ));

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
    for device in &refs {
        let follow = subscriptions
            .send(SubscribeDevice {
                device: device.clone(),
            })
            .await
            .map_err(|_| ClientError::Unavailable("subscriptions"))?;
        if let Err(error) = follow {
            warn!(device = %device.mac, %error, "cannot follow device");
        }
        let _ = subscriptions
            .send(AddHandler::feature(
                device.clone(),
                HandlerSink::Channel(feature_tx.clone()),
            ))
            .await;
        periodic.do_send(StartPolling {
            device: device.clone(),
            kind: PollKind::Status,
            interval: config.poll_interval(),
        });
        periodic.do_send(StartPolling {
            device: device.clone(),
            kind: PollKind::Feature,
            interval: config
                .feature_poll_interval()
                .unwrap_or(DEFAULT_FEATURE_REFRESH),
        });
    }
    info!(
        client_id = %client_id,
        devices = refs.len(),
        "client started; connecting"
    );
    let first_receiver = bus.subscribe();
    reconnector.do_send(Start);

    Ok(Started {
        identity,
        devices,
        refs,
        unit,
        bus,
        actors: Actors {
            auth,
            connection,
            subscriptions,
            periodic,
            reconnector,
        },
        features,
        operation_timeout: config.operation_timeout(),
        first_receiver,
        rest,
    })
}
