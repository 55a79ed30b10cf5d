//! Section 6 — a seeded chaos soak: a few clients on default settings against one simulator
//! whose faults, drawn from a seed, come every 8–25 s for minutes (every kind the simulator
//! has, each lasting a short random time). Per fault and per client it measures the time from
//! the end of the fault to the next fresh status; over the soak, interruptions against
//! recoveries, the shortest gap between two CONNECTs of one client id and the longest time a
//! client went without a status. A kick loop follows (see `kick_loop`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use nwp500_sim::{SimConfig, Simulator};

use crate::chaos_plan::{schedule, Planned, RESTART_DOWNTIME};
use crate::chaos_trail;
use crate::cli::Options;
use crate::error::{BenchError, BenchResult};
use crate::faults::Fault;
use crate::fleet::{start_fleet, stop_fleet, FleetClient};
use crate::kick_loop;
use crate::outcomes::Outcomes;
use crate::profiles::Profile;
use crate::report::Table;
use crate::stats::{fmt_duration, Summary};

/// Clients in the soak, each with its own device.
const CLIENTS: usize = 4;

/// Flaky-link targets: median and worst time from a fault's end to the next status.
const TARGET_MEDIAN: Duration = Duration::from_secs(3);
const TARGET_WORST: Duration = Duration::from_secs(15);

/// A half-open link is found at the next poll: poll interval (30 s) + 5 s.
const HALF_OPEN_TARGET: Duration = Duration::from_secs(35);

/// After the last fault, how long the soak waits for every client's fresh status.
const TAIL: Duration = Duration::from_secs(90);

/// Longest waits listed with their event trail.
const SLOWEST: usize = 6;

/// The seed used without `--seed`.
pub const DEFAULT_SEED: u64 = 13;

/// One fault as it happened.
struct Happened {
    planned: Planned,
    /// The instant the fault began.
    start: Instant,
    /// The instant the endpoint was healthy again.
    end: Instant,
}

/// Runs the section.
pub async fn run(opts: &Options) -> BenchResult<Vec<Table>> {
    let mut tables = Vec::new();
    let minutes = opts.minutes.unwrap_or(opts.pick(3, 10));
    let seed = opts.seed.unwrap_or(DEFAULT_SEED);
    let case = "chaos/soak";
    if opts.wants(case) {
        tables.extend(soak(opts, case, seed, Duration::from_secs(60 * minutes)).await?);
    }
    if let Some(t) = kick_loop::run(opts).await? {
        tables.push(t);
    }
    Ok(tables)
}

async fn soak(opts: &Options, case: &str, seed: u64, length: Duration) -> BenchResult<Vec<Table>> {
    let mut config = SimConfig::with_devices(CLIENTS);
    config.broker_restart_downtime = RESTART_DOWNTIME;
    let sim = Simulator::start(config).map_err(|e| BenchError::Broker(e.to_string()))?;
    let fleet = start_fleet(&sim, CLIENTS, Profile::Default, "navien-client-chaos-").await?;
    // Settle as the recovery section does: the first fault hits long-lived connections.
    tokio::time::sleep(Profile::Default.stable_after() + Duration::from_secs(1)).await;
    let plan = schedule(seed, length, CLIENTS);
    let started = Instant::now();
    let mut happened = Vec::with_capacity(plan.len());
    for planned in plan {
        tokio::time::sleep_until((started + planned.at).into()).await;
        eprintln!(
            "   {:>6.1} s  {}  {}",
            planned.at.as_secs_f64(),
            planned.fault.label(),
            fmt_duration(planned.length)
        );
        let ids: Vec<String> = planned
            .targets
            .iter()
            .map(|&i| fleet[i].id.clone())
            .collect();
        let start = Instant::now();
        planned.fault.start(&sim, &ids);
        tokio::time::sleep(planned.length).await;
        planned.fault.end(&sim);
        happened.push(Happened {
            planned,
            start,
            end: Instant::now(),
        });
    }
    tokio::time::sleep_until((started + length).into()).await;
    sim.clear_faults();
    let last_end = happened.last().map_or(started, |h| h.end);
    wait_fresh(&fleet, last_end, TAIL).await;
    let finished = Instant::now();
    let tables = report(
        opts, case, seed, length, &sim, &fleet, &happened, started, finished,
    );
    stop_fleet(&fleet).await;
    let _ = tokio::task::spawn_blocking(move || drop(sim)).await;
    Ok(tables)
}

async fn wait_fresh(fleet: &[FleetClient], after: Instant, limit: Duration) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline
        && !fleet
            .iter()
            .all(|c| c.timeline.first_status_after(after).is_some())
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Per fault family: samples (fault end → next status) and faults seen.
#[derive(Default)]
struct Family {
    faults: usize,
    samples: Vec<Duration>,
    missing: usize,
    /// Clients a fault hit while they were still without a status since an earlier fault:
    /// their wait is the earlier fault's sample, not this one's.
    overlapping: usize,
}

impl Family {
    /// Adds fault `k` of `happened`.
    fn add(&mut self, happened: &[Happened], k: usize, fleet: &[FleetClient]) {
        let h = &happened[k];
        self.faults += 1;
        for &i in &h.planned.targets {
            let timeline = &fleet[i].timeline;
            let still_out = happened[..k].iter().any(|earlier| {
                earlier.planned.targets.contains(&i)
                    && timeline
                        .first_status_after(earlier.end)
                        .is_none_or(|at| at > h.start)
            });
            if still_out {
                self.overlapping += 1;
                continue;
            }
            match timeline.first_status_after(h.end) {
                Some(at) => self.samples.push(at - h.end),
                None => self.missing += 1,
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn report(
    opts: &Options,
    case: &str,
    seed: u64,
    length: Duration,
    sim: &Simulator,
    fleet: &[FleetClient],
    happened: &[Happened],
    started: Instant,
    finished: Instant,
) -> Vec<Table> {
    let command = chaos_command(case, seed, opts);
    let mut by_kind: BTreeMap<String, (String, Family)> = BTreeMap::new();
    let mut all = Family::default();
    let mut flaky = Family::default();
    let mut half_open = Family::default();
    for (k, h) in happened.iter().enumerate() {
        let f = h.planned.fault;
        by_kind
            .entry(f.id())
            .or_insert_with(|| (f.label(), Family::default()))
            .1
            .add(happened, k, fleet);
        all.add(happened, k, fleet);
        if f == Fault::Blackhole {
            half_open.add(happened, k, fleet);
        } else {
            flaky.add(happened, k, fleet);
        }
    }
    let slow = chaos_trail::slowest(
        happened
            .iter()
            .flat_map(|h| {
                h.planned.targets.iter().filter_map(move |&i| {
                    let t = &fleet[i].timeline;
                    let at = t.first_status_after(h.end)?;
                    let what = format!(
                        "{} at {:.1} s (lasted {}), client {i}: {} — {}",
                        h.planned.fault.label(),
                        h.planned.at.as_secs_f64(),
                        fmt_duration(h.end - h.start),
                        fmt_duration(at - h.end),
                        chaos_trail::trail(t, h.end, h.start, at)
                    );
                    Some((at - h.end, what))
                })
            })
            .collect(),
        SLOWEST,
    );
    let mut per_fault = Table::new(
        "6a. Chaos soak: fault's end → next fresh status, per client",
        &[
            "case", "faults", "fault", "samples", "median", "p95", "worst", "target", "command",
        ],
    );
    for (label, family) in by_kind.values() {
        per_fault.row(family_row(case, label, family, "–", &command));
    }
    per_fault.row(family_row(case, "**every fault**", &all, "–", &command));
    per_fault.row(family_row(
        case,
        "**every fault but black holes** (flaky link)",
        &flaky,
        &flaky_verdict(&flaky),
        &command,
    ));
    per_fault.row(family_row(
        case,
        "**black holes** (half-open links)",
        &half_open,
        &half_open_verdict(&half_open),
        &command,
    ));
    per_fault.note(format!(
        "Seed {seed}: {} faults over {} (one every 8–25 s, start to start; a state lasts \
         0.5–6 s; a broker restart refuses connections for {}; at least 3 s of service \
         between faults), {CLIENTS} clients on default settings, each monitoring its own \
         simulated device through the signing WebSocket gateway after a REST sign-in; the \
         soak starts once every client has reported and stayed up for the stability window \
         (31 s). A sample is one client's time from the instant the endpoint was healthy again \
         (the fault lifted; a drop's or kick's own instant; a restart's end of downtime) to \
         the next status delivered to its typed handler, whatever happened in between (a \
         later fault included). A client a fault hits while it has had no status since an \
         earlier fault is not a sample of the later fault (\"hit while still out\"): its wait \
         is already counted, whole, in the earlier fault's sample. Every client is a target of every fault but kicks, which \
         close a random non-empty subset. Every fault but the black hole drops the live \
         connections as it starts (see section 3). Statuses come from the client's own \
         polls (every 30 s) and the poll made at once after each recovery.",
        happened.len(),
        fmt_duration(length),
        fmt_duration(RESTART_DOWNTIME),
    ));
    per_fault.note(format!(
        "The {SLOWEST} longest waits, with the client's events from the fault's start to the \
         status (offsets from the end of the fault; `scheduled #n class in delay (reason)`):"
    ));
    for (_, what) in &slow {
        per_fault.note(format!("- {what}"));
    }
    per_fault.note(
        "Targets: flaky link (every fault but black holes) median ≤ 3 s and worst ≤ 15 s; a \
         black hole leaves a half-open link found at the next status poll, target ≤ poll \
         interval + 5 s = 35 s (the worst case is judged).",
    );
    vec![
        per_fault,
        summary(
            case, seed, length, sim, fleet, happened, started, finished, &command,
        ),
    ]
}

fn family_row(case: &str, label: &str, f: &Family, target: &str, command: &str) -> Vec<String> {
    let s = Summary::of(&f.samples);
    let cell = |pick: fn(&Summary) -> Duration| s.map_or("–".into(), |s| fmt_duration(pick(&s)));
    let mut samples = f.samples.len().to_string();
    if f.missing > 0 {
        samples.push_str(&format!(" ({} without a status)", f.missing));
    }
    if f.overlapping > 0 {
        samples.push_str(&format!(" (+{} hit while still out)", f.overlapping));
    }
    vec![
        case.to_owned(),
        f.faults.to_string(),
        label.to_owned(),
        samples,
        cell(|s| s.median),
        cell(|s| s.p95),
        cell(|s| s.max),
        target.to_owned(),
        command.to_owned(),
    ]
}

fn flaky_verdict(f: &Family) -> String {
    let Some(s) = Summary::of(&f.samples).filter(|_| f.missing == 0) else {
        return "MISSED (clients without a status)".into();
    };
    let mut misses = Vec::new();
    if s.median > TARGET_MEDIAN {
        misses.push(format!(
            "median by {}",
            fmt_duration(s.median - TARGET_MEDIAN)
        ));
    }
    if s.max > TARGET_WORST {
        misses.push(format!("worst by {}", fmt_duration(s.max - TARGET_WORST)));
    }
    if misses.is_empty() {
        "median ≤ 3 s, worst ≤ 15 s: met".into()
    } else {
        format!("MISSED: {}", misses.join(", "))
    }
}

fn half_open_verdict(f: &Family) -> String {
    match Summary::of(&f.samples) {
        None => "– (no black hole drawn)".into(),
        Some(_) if f.missing > 0 => "MISSED (clients without a status)".into(),
        Some(s) if s.max <= HALF_OPEN_TARGET => "≤ 35 s: met".into(),
        Some(s) => format!("MISSED by {}", fmt_duration(s.max - HALF_OPEN_TARGET)),
    }
}

#[allow(clippy::too_many_arguments)]
fn summary(
    case: &str,
    seed: u64,
    length: Duration,
    sim: &Simulator,
    fleet: &[FleetClient],
    happened: &[Happened],
    started: Instant,
    finished: Instant,
    command: &str,
) -> Table {
    let mut table = Table::new(
        "6b. Chaos soak: invariants over the whole soak",
        &["case", "measure", "value", "target", "command"],
    );
    let mut outcomes = Outcomes::default();
    let mut min_gap: Option<Duration> = None;
    let mut longest = Duration::ZERO;
    for c in fleet {
        let events = c.timeline.events();
        outcomes = outcomes.add(Outcomes::of(events.iter().map(|(_, e)| e)));
        if let Some(g) = sim.min_connect_gap(&c.id) {
            min_gap = Some(min_gap.map_or(g, |m: Duration| m.min(g)));
        }
        let mut last = started;
        for at in c
            .timeline
            .statuses()
            .into_iter()
            .filter(|&t| t > started && t <= finished)
        {
            longest = longest.max(at - last);
            last = at;
        }
        longest = longest.max(finished - last);
    }
    let connects: usize = fleet.iter().map(|c| sim.connect_times(&c.id).len()).sum();
    let mut row = |measure: &str, value: String, target: String| {
        table.row(vec![
            case.to_owned(),
            measure.to_owned(),
            value,
            target,
            command.to_owned(),
        ]);
    };
    row(
        "faults (seed)",
        format!("{} ({seed}) over {}", happened.len(), fmt_duration(length)),
        "–".into(),
    );
    row(
        "interruptions / recoveries (all clients)",
        format!("{} / {}", outcomes.interruptions, outcomes.recoveries),
        "–".into(),
    );
    row(
        "outages without exactly one outcome",
        outcomes.violations.to_string(),
        if outcomes.violations == 0 {
            "0: met".into()
        } else {
            "0: MISSED".into()
        },
    );
    row(
        "CONNECTs received (all clients)",
        connects.to_string(),
        "–".into(),
    );
    row(
        "shortest gap between two CONNECTs of one client id (server clock)",
        min_gap.map_or("–".into(), fmt_duration),
        match min_gap {
            Some(g) if g < Duration::from_secs(1) => {
                format!(
                    "≥ 1 s: MISSED by {}",
                    fmt_duration(Duration::from_secs(1) - g)
                )
            }
            _ => "≥ 1 s: met".into(),
        },
    );
    row(
        "longest time a client went without a status",
        fmt_duration(longest),
        "– (polls every 30 s)".into(),
    );
    table.note(format!(
        "Counted from each client's events and the simulator's connection log, from the start \
         of the soak until every client had a fresh status after the last fault (at most {} \
         after it). An outage is an `interrupted` event; its outcome the `recovered` (or \
         `reconnection_failed`) that must follow before the next `interrupted`; failed \
         attempts during an outage are not interruptions.",
        fmt_duration(TAIL)
    ));
    table
}

/// The command that reruns the soak as it ran (seed and length included when not the
/// defaults).
fn chaos_command(case: &str, seed: u64, opts: &Options) -> String {
    let mut extra = String::new();
    if seed != DEFAULT_SEED {
        extra.push_str(&format!(" --seed {seed}"));
    }
    if let Some(m) = opts.minutes {
        extra.push_str(&format!(" --minutes {m}"));
    }
    if opts.quick {
        extra.push_str(" --quick");
    }
    format!("`cargo bench --bench harness -- chaos --only {case}{extra}`")
}
