//! Section 3 — recovery latency with nwp500-sim: the time from the end of an outage (refusal
//! ended, black hole lifted, connections dropped) to the first fresh status delivered to a
//! typed handler, and to the client's `Recovered` event.
//!
//! Each scenario runs its own simulator with one device per client and 20 clients (one
//! sample each), all through the signing WebSocket gateway with REST sign-in: the full
//! production path. The scenarios of one outage length run at the same time on separate
//! simulators, their starts staggered so their recoveries do not coincide.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::future::join_all;
use nwp500::client::Client;
use nwp500::config::ClientConfig;
use nwp500::events::Event;
use nwp500_sim::{SimConfig, Simulator};

use crate::cli::Options;
use crate::client::{count_statuses, request_statuses, start_and_wait, Placement};
use crate::error::{BenchError, BenchResult};
use crate::profiles::Profile;
use crate::report::{case_command, Table};
use crate::stats::{fmt_duration, Summary};

/// Samples per scenario (clients in parallel).
const CLIENTS: usize = 20;

/// Target: median from the network's return to the first fresh status, with defaults.
const TARGET_MEDIAN: Duration = Duration::from_secs(3);

/// How the outage is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Every connection dropped (TCP close) and the network back at once.
    Drop,
    /// Live connections dropped, new ones reset at once, for the outage.
    Refuse,
    /// Nothing forwarded, sockets kept open (half-open links), for the outage.
    Blackhole,
}

impl Fault {
    fn id(self) -> &'static str {
        match self {
            Fault::Drop => "drop",
            Fault::Refuse => "refuse",
            Fault::Blackhole => "blackhole",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Fault::Drop => "connections dropped",
            Fault::Refuse => "connections refused",
            Fault::Blackhole => "black hole",
        }
    }
}

#[derive(Debug, Clone)]
struct Scenario {
    fault: Fault,
    outage: Duration,
    /// The outage length this scenario stands for (differs when emulated).
    nominal: &'static str,
    profile: Profile,
}

impl Scenario {
    fn id(&self) -> String {
        format!(
            "{}/{}/{}",
            self.fault.id(),
            self.nominal.replace(' ', ""),
            self.profile.id()
        )
    }
}

/// What one scenario measured.
struct Measured {
    to_status: Vec<Duration>,
    to_recovered: Vec<Duration>,
    missing: usize,
    waited: Duration,
}

/// Runs the section.
pub async fn run(opts: &Options) -> BenchResult<Vec<Table>> {
    let mut groups: Vec<Vec<Scenario>> = Vec::new();
    let both = [Profile::Default, Profile::Tuned];
    groups.push(
        both.iter()
            .map(|&profile| Scenario {
                fault: Fault::Drop,
                outage: Duration::ZERO,
                nominal: "0 s",
                profile,
            })
            .collect(),
    );
    let mut lengths: Vec<(Duration, &'static str, Vec<Profile>)> = vec![
        (Duration::from_secs(5), "5 s", both.to_vec()),
        (Duration::from_secs(60), "60 s", both.to_vec()),
    ];
    if opts.quick {
        lengths.push((
            Duration::from_secs(60),
            "600 s",
            vec![Profile::DefaultTenth],
        ));
    } else {
        lengths.push((Duration::from_secs(600), "600 s", both.to_vec()));
    }
    for (outage, nominal, profiles) in lengths {
        let mut group = Vec::new();
        for fault in [Fault::Refuse, Fault::Blackhole] {
            for &profile in &profiles {
                group.push(Scenario {
                    fault,
                    outage,
                    nominal,
                    profile,
                });
            }
        }
        groups.push(group);
    }

    let mut table = Table::new(
        "3. Recovery latency (network back → first fresh status at the handler)",
        &[
            "case",
            "outage",
            "kind",
            "settings",
            "to first fresh status: min / median / p95",
            "to `Recovered` event: median",
            "samples",
            "target (defaults: median < 3 s)",
            "command",
        ],
    );
    for group in groups {
        let group: Vec<Scenario> = group.into_iter().filter(|s| opts.wants(&s.id())).collect();
        if group.is_empty() {
            continue;
        }
        let runs = group.iter().enumerate().map(|(i, scenario)| {
            let stagger = Duration::from_secs(4 * i as u64);
            let scenario = scenario.clone();
            async move {
                let result = run_scenario(&scenario, stagger).await;
                (scenario, result)
            }
        });
        for (scenario, result) in join_all(runs).await {
            eprintln!("   {} done", scenario.id());
            table.row(row(&scenario, result, opts));
        }
    }
    table.note(format!(
        "{CLIENTS} clients per scenario, each monitoring its own simulated device through \
         nwp500-sim's signing WebSocket gateway after a REST sign-in, each one sample. A \
         scenario starts its clients, waits for every client's first status and then for the \
         stability window (30 s; 3 s at ÷10) so that the outage hits a settled connection, starts the outage, \
         ends it after the stated time and measures, per client, the time from that instant to \
         the first status delivered to its typed handler (\"fresh\": it arrived after the end) \
         and to its `Recovered` event. Scenarios of the same length run at once on separate \
         simulators, started 4 s apart. Kinds: connections dropped = every connection closed, \
         nothing else; refused = connections dropped and new ones reset for the outage; black \
         hole = nothing forwarded and sockets left open (half-open links, a dead link stays \
         dead after the black hole ends)."
    ));
    for profile in [Profile::Default, Profile::Tuned, Profile::DefaultTenth] {
        table.note(format!(
            "Settings `{}`: {}.",
            profile.label(),
            profile.description()
        ));
    }
    if opts.quick {
        table.note(
            "`--quick`: the 600 s outage is emulated by a 60 s outage with every client timing \
             divided by ten (settings `default ÷10`), which puts the client in the same state \
             at the end (backoff at its cap, deep reconnects done); the full run measures a \
             real 600 s outage.",
        );
    }
    Ok(vec![table])
}

fn row(scenario: &Scenario, result: BenchResult<Measured>, opts: &Options) -> Vec<String> {
    let id = scenario.id();
    let mut cells = vec![
        id.clone(),
        if scenario.nominal == "600 s" && scenario.outage != Duration::from_secs(600) {
            format!("600 s (emulated: {} at ÷10)", fmt_duration(scenario.outage))
        } else {
            scenario.nominal.to_owned()
        },
        scenario.fault.label().to_owned(),
        scenario.profile.label().to_owned(),
    ];
    match result {
        Err(e) => {
            cells.extend([
                format!("not measured: {e}"),
                "–".into(),
                "0".into(),
                "–".into(),
            ]);
        }
        Ok(m) => {
            let status = Summary::of(&m.to_status);
            let recovered = Summary::of(&m.to_recovered);
            cells.push(match status {
                Some(s) => format!(
                    "{} / {} / {}",
                    fmt_duration(s.min),
                    fmt_duration(s.median),
                    fmt_duration(s.p95)
                ),
                None => "none".into(),
            });
            cells.push(recovered.map_or("–".into(), |r| fmt_duration(r.median)));
            cells.push(if m.missing > 0 {
                format!(
                    "{} ({} without a status within {})",
                    m.to_status.len(),
                    m.missing,
                    fmt_duration(m.waited)
                )
            } else {
                m.to_status.len().to_string()
            });
            cells.push(verdict(
                scenario.profile,
                status.map(|s| s.median),
                m.missing,
            ));
        }
    }
    cells.push(case_command("recovery", &id, opts.quick));
    cells
}

fn verdict(profile: Profile, median: Option<Duration>, missing: usize) -> String {
    if profile == Profile::Tuned {
        return "–".into();
    }
    match median {
        Some(m) if m < TARGET_MEDIAN && missing == 0 => "met".into(),
        Some(m) if m >= TARGET_MEDIAN => {
            format!("MISSED by {}", fmt_duration(m - TARGET_MEDIAN))
        }
        _ => "MISSED (clients without a fresh status)".into(),
    }
}

/// Per-client arrival times of statuses and `Recovered` events.
#[derive(Default)]
struct Timeline {
    statuses: Mutex<Vec<Instant>>,
    recovered: Mutex<Vec<Instant>>,
}

impl Timeline {
    fn first_after(list: &Mutex<Vec<Instant>>, t: Instant) -> Option<Instant> {
        list.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .copied()
            .find(|&at| at > t)
    }

    fn push(list: &Mutex<Vec<Instant>>, at: Instant) {
        list.lock().unwrap_or_else(PoisonError::into_inner).push(at);
    }
}

async fn start_client(
    sim: &Simulator,
    index: usize,
    profile: Profile,
) -> BenchResult<(Client, Arc<Timeline>)> {
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
            .client_id(format!("navien-client-bench-r{index:03}"))
            .devices([mac]),
    );
    let client = start_and_wait(builder, Placement::OwnThread, Duration::from_secs(30)).await?;
    let timeline = Arc::new(Timeline::default());
    let statuses = timeline.clone();
    count_statuses(&client, index, 1, move |_| {
        Timeline::push(&statuses.statuses, Instant::now());
    })
    .await?;
    request_statuses(&client, index, 1).await?;
    let mut events = client.events();
    let recovered = timeline.clone();
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(e) if matches!(e.event, Event::Recovered { .. }) => {
                    Timeline::push(&recovered.recovered, Instant::now());
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    });
    // The status poll at connection time answers quickly; until then the client is not
    // steady.
    let deadline = Instant::now() + Duration::from_secs(30);
    while timeline
        .statuses
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .is_empty()
    {
        if Instant::now() > deadline {
            let _ = client.disconnect().await;
            return Err(BenchError::timeout("first status", Duration::from_secs(30)));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok((client, timeline))
}

async fn run_scenario(scenario: &Scenario, stagger: Duration) -> BenchResult<Measured> {
    tokio::time::sleep(stagger).await;
    let sim = Simulator::start(SimConfig::with_devices(CLIENTS))
        .map_err(|e| BenchError::Broker(e.to_string()))?;
    let mut clients = Vec::with_capacity(CLIENTS);
    let mut failure = None;
    for i in 0..CLIENTS {
        match start_client(&sim, i, scenario.profile).await {
            Ok(c) => clients.push(c),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let result = match failure {
        Some(e) => Err(e),
        None => {
            // An outage of a connection younger than the stability window continues the
            // previous cycle's backoff; real outages hit long-lived connections.
            tokio::time::sleep(scenario.profile.stable_after() + Duration::from_secs(1)).await;
            measure(&sim, scenario, &clients).await
        }
    };
    for (client, _) in &clients {
        let _ = client.disconnect().await;
    }
    let _ = tokio::task::spawn_blocking(move || drop(sim)).await;
    result
}

async fn measure(
    sim: &Simulator,
    scenario: &Scenario,
    clients: &[(Client, Arc<Timeline>)],
) -> BenchResult<Measured> {
    match scenario.fault {
        Fault::Drop => {}
        Fault::Refuse => {
            sim.set_refuse_connections(true);
            sim.drop_all_connections();
        }
        Fault::Blackhole => sim.set_blackhole(true),
    }
    tokio::time::sleep(scenario.outage).await;
    let end = Instant::now();
    match scenario.fault {
        Fault::Drop => {
            sim.drop_all_connections();
        }
        Fault::Refuse => sim.set_refuse_connections(false),
        Fault::Blackhole => sim.set_blackhole(false),
    }
    // Long enough for the slowest default path (a dead link found by keep-alive + ping
    // timeout, then a connect timeout and the backoff) to finish.
    let waited = Duration::from_secs(180);
    let deadline = end + waited;
    loop {
        let done = clients
            .iter()
            .all(|(_, t)| Timeline::first_after(&t.statuses, end).is_some());
        if done || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let mut to_status = Vec::new();
    let mut to_recovered = Vec::new();
    let mut missing = 0;
    for (_, t) in clients {
        match Timeline::first_after(&t.statuses, end) {
            Some(at) => to_status.push(at - end),
            None => missing += 1,
        }
        if let Some(at) = Timeline::first_after(&t.recovered, end) {
            to_recovered.push(at - end);
        }
    }
    Ok(Measured {
        to_status,
        to_recovered,
        missing,
        waited,
    })
}
