//! Clients of one simulator for the recovery and chaos sections: each monitors its own
//! simulated device through the full production path (REST sign-in, signing WebSocket
//! gateway) on a thread of its own, and every status arrival and lifecycle event is recorded
//! with the harness's clock.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use nwp500::client::Client;
use nwp500::config::ClientConfig;
use nwp500::events::Event;
use nwp500_sim::{AwsQuotas, Simulator};
use tokio::sync::broadcast::error::RecvError;

use crate::client::{count_statuses, request_statuses, start_and_wait, Placement};
use crate::error::{BenchError, BenchResult};
use crate::profiles::Profile;

/// What one client saw, when.
#[derive(Default)]
pub struct Timeline {
    statuses: Mutex<Vec<Instant>>,
    /// Every event except statuses and features (those are in `statuses`).
    events: Mutex<Vec<(Instant, Event)>>,
}

impl Timeline {
    /// The first status delivered to the typed handler after `t`.
    pub fn first_status_after(&self, t: Instant) -> Option<Instant> {
        lock(&self.statuses).iter().copied().find(|&at| at > t)
    }

    /// The first event named `name` (e.g. `recovered`) after `t`.
    pub fn first_event_after(&self, t: Instant, name: &str) -> Option<Instant> {
        lock(&self.events)
            .iter()
            .find(|(at, e)| *at > t && e.name() == name)
            .map(|(at, _)| *at)
    }

    /// Every status arrival so far.
    pub fn statuses(&self) -> Vec<Instant> {
        lock(&self.statuses).clone()
    }

    /// Every recorded event so far.
    pub fn events(&self) -> Vec<(Instant, Event)> {
        lock(&self.events).clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One running client and its record.
pub struct FleetClient {
    /// The client.
    pub client: Client,
    /// Its MQTT client id.
    pub id: String,
    /// What it saw.
    pub timeline: Arc<Timeline>,
}

/// Starts a client for device `index` of `sim` with `profile`, named `id`, and waits until
/// it has delivered its first status.
pub async fn start_client(
    sim: &Simulator,
    index: usize,
    profile: Profile,
    id: String,
) -> BenchResult<FleetClient> {
    let account = &sim.config().account;
    let mac = sim
        .devices()
        .get(index)
        .map(|d| d.mac().to_owned())
        .ok_or_else(|| BenchError::client("no such simulated device"))?;
    let builder = profile.apply(
        ClientConfig::builder()
            .api_url(sim.rest_url())
            .mqtt_url(sim.mqtt_ws_url())
            .credentials(account.email.clone(), account.password.clone())
            .client_id(id.clone())
            .devices([mac]),
    );
    let client = start_and_wait(builder, Placement::OwnThread, Duration::from_secs(30)).await?;
    let timeline = Arc::new(Timeline::default());
    let statuses = timeline.clone();
    count_statuses(&client, index, 1, move |_| {
        lock(&statuses.statuses).push(Instant::now());
    })
    .await?;
    request_statuses(&client, index, 1).await?;
    let mut events = client.events();
    let record = timeline.clone();
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(e) if matches!(e.event, Event::Status { .. } | Event::Feature { .. }) => {}
                Ok(e) => lock(&record.events).push((Instant::now(), e.event)),
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            }
        }
    });
    // The status poll at connection time answers quickly; until then the client is not
    // steady.
    let limit = Duration::from_secs(30);
    let deadline = Instant::now() + limit;
    while lock(&timeline.statuses).is_empty() {
        if Instant::now() > deadline {
            let _ = client.disconnect().await;
            return Err(BenchError::timeout("first status", limit));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(FleetClient {
        client,
        id,
        timeline,
    })
}

/// Starts clients for devices `0..n` of `sim`, ids `<prefix><index>`, one after the other;
/// on a failure, disconnects those already started.
pub async fn start_fleet(
    sim: &Simulator,
    n: usize,
    profile: Profile,
    prefix: &str,
) -> BenchResult<Vec<FleetClient>> {
    if matches!(profile, Profile::DefaultTenth | Profile::Churn) {
        // These profiles reconnect faster than once a second: the CONNECT-rate quota alone is lifted.
        sim.set_quotas(AwsQuotas {
            min_connect_interval_per_client_id: None,
            ..sim.quotas()
        });
    }
    let mut clients = Vec::with_capacity(n);
    for i in 0..n {
        match start_client(sim, i, profile, format!("{prefix}{i:03}")).await {
            Ok(c) => clients.push(c),
            Err(e) => {
                stop_fleet(&clients).await;
                return Err(e);
            }
        }
    }
    Ok(clients)
}

/// Disconnects every client.
pub async fn stop_fleet(clients: &[FleetClient]) {
    for c in clients {
        let _ = c.client.disconnect().await;
    }
}
