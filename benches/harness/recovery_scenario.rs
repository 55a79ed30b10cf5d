//! One recovery scenario: a simulator with one device per client, every client settled, one
//! outage of one form and length, and per client the time from the outage's end to the first
//! fresh status and to its `Recovered` event.

use std::time::{Duration, Instant};

use nwp500_sim::{SimConfig, Simulator};

use crate::error::{BenchError, BenchResult};
use crate::faults::Fault;
use crate::fleet::{start_fleet, stop_fleet, FleetClient};
use crate::profiles::Profile;

/// Long enough for the slowest default path (a dead link found at the next poll, then a
/// connect timeout and the backoff) to finish.
const WAIT: Duration = Duration::from_secs(180);

/// One outage of one form, length and client configuration.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The outage form.
    pub fault: Fault,
    /// How long it lasts in this run.
    pub outage: Duration,
    /// The outage length this scenario stands for, in seconds (differs when emulated).
    pub nominal_secs: u64,
    /// The clients' settings.
    pub profile: Profile,
}

impl Scenario {
    /// Case id, e.g. `upgrade503/60s/default`.
    pub fn id(&self) -> String {
        format!(
            "{}/{}s/{}",
            self.fault.id(),
            self.nominal_secs,
            self.profile.id()
        )
    }

    /// Whether a long outage is emulated by a shorter one with every timing ÷10.
    pub fn emulated(&self) -> bool {
        self.outage.as_secs() != self.nominal_secs
    }
}

/// What one scenario measured.
pub struct Measured {
    /// Per client: end of the outage → first status at the handler after it.
    pub to_status: Vec<Duration>,
    /// Per client: end of the outage → `Recovered` event.
    pub to_recovered: Vec<Duration>,
    /// Clients without a fresh status within [`Measured::waited`].
    pub missing: usize,
    /// How long the scenario waited for fresh statuses.
    pub waited: Duration,
}

/// Runs `scenario` with `clients` clients, after waiting `stagger`.
pub async fn run(scenario: &Scenario, clients: usize, stagger: Duration) -> BenchResult<Measured> {
    tokio::time::sleep(stagger).await;
    let sim = Simulator::start(SimConfig::with_devices(clients))
        .map_err(|e| BenchError::Broker(e.to_string()))?;
    let prefix = format!("navien-client-bench-r{}-", scenario.id().replace('/', "-"));
    let result = match start_fleet(&sim, clients, scenario.profile, &prefix).await {
        Err(e) => Err(e),
        Ok(fleet) => {
            // An outage of a connection younger than the stability window continues the
            // previous cycle's backoff; real outages hit long-lived connections.
            tokio::time::sleep(scenario.profile.stable_after() + Duration::from_secs(1)).await;
            let m = measure(&sim, scenario, &fleet).await;
            stop_fleet(&fleet).await;
            Ok(m)
        }
    };
    let _ = tokio::task::spawn_blocking(move || drop(sim)).await;
    result
}

async fn measure(sim: &Simulator, scenario: &Scenario, fleet: &[FleetClient]) -> Measured {
    let ids: Vec<String> = fleet.iter().map(|c| c.id.clone()).collect();
    scenario.fault.start(sim, &ids);
    tokio::time::sleep(scenario.outage).await;
    scenario.fault.end(sim);
    let end = Instant::now();
    let deadline = end + WAIT;
    loop {
        let done = fleet
            .iter()
            .all(|c| c.timeline.first_status_after(end).is_some());
        if done || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let mut m = Measured {
        to_status: Vec::new(),
        to_recovered: Vec::new(),
        missing: 0,
        waited: WAIT,
    };
    for c in fleet {
        match c.timeline.first_status_after(end) {
            Some(at) => m.to_status.push(at - end),
            None => m.missing += 1,
        }
        if let Some(at) = c.timeline.first_event_after(end, "recovered") {
            m.to_recovered.push(at - end);
        }
    }
    m
}
