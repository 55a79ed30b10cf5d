//! Section 7 — the planned handover before the server's lifetime cut. A simulator cuts every
//! connection after a set lifetime (AWS IoT: 24 h; here seconds), and one client monitors one
//! device with a status poll every 2 s, for ten lifetimes:
//!
//! * `handover`: the client knows the lifetime and hands its connection over before the cut
//!   (a second connection under its second client id, subscribed before publishing moves to
//!   it and the old one is closed);
//! * `cut`: the same client with the handover disabled, so that every cut is an outage.
//!
//! Both cases run at the same time, each on its own simulator. Per case: the longest gap
//! between two statuses of the device, the handover times, interruptions and recoveries, the
//! status requests the device received against the statuses the client delivered, and the
//! CONNECTs per client id from the simulator's connection log.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use futures::future::join_all;
use nwp500::client::Client;
use nwp500::config::{ClientConfig, ClientConfigBuilder};
use nwp500::events::Event;
use nwp500_sim::{ConnectionOutcome, DeviceHandle, SimConfig, Simulator};
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

use crate::cli::Options;
use crate::client::{start_and_wait, Placement};
use crate::error::{BenchError, BenchResult};
use crate::report::{case_command, Table};
use crate::stats::{fmt_duration, Summary};

/// The command code of a status request (what the poller sends).
const STATUS_REQUEST: u64 = 16_777_219;

/// The client's status poll interval.
const POLL: Duration = Duration::from_secs(2);

/// Handovers (or cuts) each case runs for.
const CYCLES: usize = 10;

/// How much a gap may exceed the poll interval and still count as "within one poll
/// interval": the variation of one request's round trip and of the poll timer on a shared
/// 2-core machine, not a poll missed or delayed.
const GAP_ALLOWANCE: Duration = Duration::from_millis(100);

/// How long to wait for the client's first status.
const FIRST_STATUS_LIMIT: Duration = Duration::from_secs(30);

/// The section's section name, for the command column.
const SECTION: &str = "handover";

/// The lifetime and the client's handover timing of a run.
struct Setup {
    /// The server's maximum connection lifetime (and the client's `connection_lifetime`).
    lifetime: Duration,
    /// `handover_margin`.
    margin: Duration,
    /// `handover_jitter`.
    jitter: Duration,
}

impl Setup {
    fn for_run(opts: &Options) -> Self {
        opts.pick(
            Setup {
                lifetime: Duration::from_secs(8),
                margin: Duration::from_secs(3),
                jitter: Duration::from_millis(500),
            },
            Setup {
                lifetime: Duration::from_secs(20),
                margin: Duration::from_secs(5),
                jitter: Duration::from_secs(1),
            },
        )
    }

    /// The client's stability window. The default (30 s) is longer than these lifetimes: a
    /// connection cut every few seconds would never count as stable, so each cut would
    /// continue the previous cut's backoff (1 s, 2 s, 4 s, …), where a real connection cut
    /// after 24 h has long been stable and starts again from the initial delay.
    fn stable_after(&self) -> Duration {
        self.lifetime / 4
    }

    /// Generous: about twice what ten lifetimes take, plus a minute.
    fn limit(&self) -> Duration {
        self.lifetime * (2 * CYCLES as u32) + Duration::from_secs(60)
    }
}

/// The two cases of the section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    /// The planned handover on.
    Handover,
    /// The planned handover off: every cut is an outage.
    Cut,
}

impl Case {
    const ALL: [Case; 2] = [Case::Handover, Case::Cut];

    fn id(self) -> &'static str {
        match self {
            Case::Handover => "handover",
            Case::Cut => "cut",
        }
    }

    /// A fixed client id, to read the connection log by.
    fn client_id(self) -> &'static str {
        match self {
            Case::Handover => "navien-client-bench-handover",
            Case::Cut => "navien-client-bench-cut",
        }
    }

    fn settings(self, setup: &Setup) -> String {
        match self {
            Case::Handover => format!(
                "`connection_lifetime` {}, handover {}–{} before it",
                fmt_duration(setup.lifetime),
                fmt_duration(setup.margin),
                fmt_duration(setup.margin + setup.jitter)
            ),
            Case::Cut => "`connection_lifetime(None)`: no handover".to_owned(),
        }
    }

    fn configure(self, builder: ClientConfigBuilder, setup: &Setup) -> ClientConfigBuilder {
        match self {
            Case::Handover => builder
                .connection_lifetime(Some(setup.lifetime))
                .handover_margin(setup.margin)
                .handover_jitter(setup.jitter),
            Case::Cut => builder.connection_lifetime(None),
        }
    }

    /// Whether `event` ends one cycle of the case: a handover, or the recovery from a cut.
    fn ends_cycle(self, event: &Event) -> bool {
        match self {
            Case::Handover => matches!(event, Event::HandedOver { .. }),
            Case::Cut => matches!(event, Event::Recovered { .. }),
        }
    }

    /// What one cycle is called.
    fn cycle(self) -> &'static str {
        match self {
            Case::Handover => "handovers",
            Case::Cut => "recoveries",
        }
    }
}

/// Runs the section.
pub async fn run(opts: &Options) -> BenchResult<Vec<Table>> {
    let setup = Setup::for_run(opts);
    let cases: Vec<Case> = Case::ALL
        .into_iter()
        .filter(|c| opts.wants(c.id()))
        .collect();
    let mut table = Table::new(
        format!(
            "7. Planned handover before the server's lifetime cut (one device, status poll \
             every {} s, server lifetime {})",
            POLL.as_secs(),
            fmt_duration(setup.lifetime)
        ),
        &[
            "case",
            "settings",
            "handovers / server cuts",
            "longest gap between two statuses (median gap; gaps over the interval + allowance)",
            "handover (cut) came after the last status: min–max",
            "handover time `took`: median / longest",
            "handovers failed",
            "interruptions / recoveries",
            "status requests received / statuses delivered / lost",
            "CONNECTs per client id",
            "client diagnostics: handovers / failures / outages",
            "target",
            "command",
        ],
    );
    let runs = cases.iter().map(|&case| {
        let setup = &setup;
        async move { (case, measure(case, setup).await) }
    });
    for (case, result) in join_all(runs).await {
        eprintln!("   {} done", case.id());
        table.row(row(case, &setup, result, opts));
    }
    notes(&mut table, &setup, opts);
    Ok(vec![table])
}

/// Every event of a client as the harness saw it, with the harness's clock.
#[derive(Default)]
struct Recording {
    events: Mutex<Vec<(Instant, Event)>>,
    /// Events the receiver missed because it fell behind (must stay 0).
    lagged: AtomicU64,
}

impl Recording {
    fn events(&self) -> MutexGuard<'_, Vec<(Instant, Event)>> {
        self.events.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Starts recording `client`'s events; the task ends when aborted or the bus closes.
fn record(client: &Client) -> (Arc<Recording>, JoinHandle<()>) {
    let recording = Arc::new(Recording::default());
    let mut rx = client.events();
    let into = recording.clone();
    let task = tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(e) => into.events().push((Instant::now(), e.event)),
                Err(RecvError::Lagged(n)) => {
                    into.lagged.fetch_add(n, Ordering::Relaxed);
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
    (recording, task)
}

/// What one case measured, over its window: from the first status the harness saw to the
/// first status after the last needed handover (or recovery).
struct Measured {
    /// Whether the case reached [`CYCLES`] cycles within [`Setup::limit`].
    complete: bool,
    /// Length of the window.
    window: Duration,
    /// `took` of every handover.
    took: Vec<Duration>,
    /// Per handover (cut): from the last status before it to its start (the cut).
    after_status: Vec<Duration>,
    handovers_failed: usize,
    interruptions: usize,
    recoveries: usize,
    /// Connections the server closed at the end of their lifetime.
    server_cuts: usize,
    /// Gaps between consecutive statuses of the device.
    gaps: Vec<Duration>,
    /// Status requests the device received.
    requests: usize,
    /// Statuses of the device the client delivered.
    statuses: usize,
    /// CONNECTs per client id (the initial one included), in id order.
    connects: BTreeMap<String, usize>,
    /// CONNECTs closed unanswered by the one-per-second quota.
    throttled: usize,
    /// The client's diagnostics at the end: handovers, handover failures, outages.
    diagnostics: Option<(u64, u64, u64)>,
    /// Events the recorder missed.
    lagged: u64,
}

impl Measured {
    fn longest_gap(&self) -> Option<Duration> {
        self.gaps.iter().copied().max()
    }

    /// Requests without a status, and statuses without a request (duplicates).
    fn lost_and_extra(&self) -> (usize, usize) {
        (
            self.requests.saturating_sub(self.statuses),
            self.statuses.saturating_sub(self.requests),
        )
    }
}

async fn measure(case: Case, setup: &Setup) -> BenchResult<Measured> {
    // AWS's quotas stay in force: the handover connects under the second client id, and
    // every id connects about once a lifetime (a cut's reconnect too), far less often than
    // the one CONNECT per second per id allowed.
    let sim = Simulator::start(SimConfig {
        max_connection_lifetime: setup.lifetime,
        ..SimConfig::with_devices(1)
    })
    .map_err(|e| BenchError::Broker(e.to_string()))?;
    let result = run_client(case, setup, &sim).await;
    let _ = tokio::task::spawn_blocking(move || drop(sim)).await;
    result
}

async fn run_client(case: Case, setup: &Setup, sim: &Simulator) -> BenchResult<Measured> {
    let account = &sim.config().account;
    let device = sim
        .devices()
        .first()
        .cloned()
        .ok_or_else(|| BenchError::client("no simulated device"))?;
    let builder = case.configure(
        ClientConfig::builder()
            .api_url(sim.rest_url())
            .mqtt_url(sim.mqtt_ws_url())
            .credentials(account.email.clone(), account.password.clone())
            .client_id(case.client_id())
            .devices([device.mac().to_owned()])
            .poll_interval(POLL)
            .stable_after(setup.stable_after()),
        setup,
    );
    let client = start_and_wait(builder, Placement::OwnThread, Duration::from_secs(30)).await?;
    let (recording, task) = record(&client);
    let result = observe(case, setup, sim, &device, &client, &recording).await;
    let _ = client.disconnect().await;
    task.abort();
    result
}

/// Waits for the case's cycles and reads every count.
async fn observe(
    case: Case,
    setup: &Setup,
    sim: &Simulator,
    device: &DeviceHandle,
    client: &Client,
    recording: &Recording,
) -> BenchResult<Measured> {
    let mac = device.mac().to_owned();
    let is_status = |e: &Event| matches!(e, Event::Status { device, .. } if device.as_str() == mac);
    let first_status = |after: Option<Instant>| {
        recording
            .events()
            .iter()
            .find(|(at, e)| after.is_none_or(|t| *at > t) && is_status(e))
            .map(|(at, _)| *at)
    };

    let limit = Instant::now() + FIRST_STATUS_LIMIT;
    let start = loop {
        if let Some(at) = first_status(None) {
            break at;
        }
        if Instant::now() > limit {
            return Err(BenchError::timeout("the first status", FIRST_STATUS_LIMIT));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };

    // The window ends at the first status after the last needed cycle, so that the gap
    // spanning that handover (or cut) is whole.
    let deadline = start + setup.limit();
    let (stop, complete) = loop {
        let last_cycle = recording
            .events()
            .iter()
            .filter(|(at, e)| *at > start && case.ends_cycle(e))
            .nth(CYCLES - 1)
            .map(|(at, _)| *at);
        if let Some(after) = last_cycle.and_then(|t| first_status(Some(t))) {
            break (after, true);
        }
        if Instant::now() > deadline {
            // Not reached in time: measure up to the last status seen.
            let last = recording
                .events()
                .iter()
                .rev()
                .find(|(_, e)| is_status(e))
                .map_or(start, |(at, _)| *at);
            break (last, false);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    let diagnostics = client
        .diagnostics()
        .await
        .ok()
        .map(|d| (d.handovers, d.handover_failures, d.outages));
    let in_window = |at: Instant| at > start && at <= stop;
    let events: Vec<(Instant, Event)> = recording
        .events()
        .iter()
        .filter(|(at, _)| *at >= start && *at <= stop)
        .cloned()
        .collect();
    let status_times: Vec<Instant> = events
        .iter()
        .filter(|(_, e)| is_status(e))
        .map(|(at, _)| *at)
        .collect();
    let count = |pred: fn(&Event) -> bool| {
        events
            .iter()
            .filter(|(at, e)| in_window(*at) && pred(e))
            .count()
    };
    let handovers: Vec<(Instant, Duration)> = events
        .iter()
        .filter_map(|(at, e)| match e {
            Event::HandedOver { took, .. } if in_window(*at) => Some((*at, *took)),
            _ => None,
        })
        .collect();
    let log = sim.connection_log();
    let cuts: Vec<Instant> = log
        .iter()
        .filter(|r| r.outcome == ConnectionOutcome::LifetimeExceeded)
        .filter_map(|r| r.closed.filter(|&at| in_window(at)))
        .collect();
    // Where in the poll cycle each handover began (its event less `took`) or each cut came.
    let moments: Vec<Instant> = match case {
        Case::Handover => handovers.iter().map(|&(at, took)| at - took).collect(),
        Case::Cut => cuts.clone(),
    };
    let after_status = moments
        .iter()
        .filter_map(|&m| status_times.iter().rev().find(|&&s| s <= m).map(|&s| m - s))
        .collect();
    let mut connects = BTreeMap::new();
    for r in &log {
        if let (Some(id), Some(at)) = (&r.client_id, r.connect_received) {
            if at <= stop {
                *connects.entry(id.clone()).or_insert(0) += 1;
            }
        }
    }
    Ok(Measured {
        complete,
        window: stop - start,
        took: handovers.iter().map(|&(_, took)| took).collect(),
        after_status,
        handovers_failed: count(|e| matches!(e, Event::HandoverFailed { .. })),
        interruptions: count(|e| matches!(e, Event::Interrupted { .. })),
        recoveries: count(|e| matches!(e, Event::Recovered { .. })),
        server_cuts: cuts.len(),
        gaps: status_times.windows(2).map(|w| w[1] - w[0]).collect(),
        // Both ends of the window are status arrivals: the request answered by the first
        // status is before it, and every request the device received before the last one
        // was answered by then (the device answers at once, and the client has one status
        // request of one device out at a time), so none is still in flight at either end.
        requests: device
            .commands_with_code(STATUS_REQUEST)
            .iter()
            .filter(|c| in_window(c.received))
            .count(),
        statuses: status_times.iter().filter(|&&at| in_window(at)).count(),
        connects,
        throttled: log
            .iter()
            .filter(|r| r.outcome == ConnectionOutcome::ConnectThrottled)
            .count(),
        diagnostics,
        lagged: recording.lagged.load(Ordering::Relaxed),
    })
}

fn ms(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

fn row(case: Case, setup: &Setup, result: BenchResult<Measured>, opts: &Options) -> Vec<String> {
    let mut cells = vec![case.id().to_owned(), case.settings(setup)];
    match result {
        Err(e) => {
            cells.push(format!("not measured: {e}"));
            cells.extend((0..9).map(|_| "–".to_owned()));
        }
        Ok(m) => cells.extend(cells_of(case, setup, &m)),
    }
    cells.push(case_command(SECTION, case.id(), opts.quick));
    cells
}

fn cells_of(case: Case, setup: &Setup, m: &Measured) -> Vec<String> {
    let mut counted = format!(
        "{} / {} over {}",
        m.took.len(),
        m.server_cuts,
        fmt_duration(m.window)
    );
    if !m.complete {
        counted.push_str(&format!(
            " (INCOMPLETE: {CYCLES} {} not reached within {})",
            case.cycle(),
            fmt_duration(setup.limit())
        ));
    }
    let gaps = Summary::of(&m.gaps);
    let over = m.gaps.iter().filter(|&&g| g > POLL + GAP_ALLOWANCE).count();
    let gap = gaps.map_or("–".into(), |g| {
        format!(
            "{} ({}; {over} of {} over {})",
            ms(g.max),
            ms(g.median),
            m.gaps.len(),
            ms(POLL + GAP_ALLOWANCE)
        )
    });
    let phase = Summary::of(&m.after_status).map_or("–".into(), |p| {
        format!("{}–{}", fmt_duration(p.min), fmt_duration(p.max))
    });
    let took = Summary::of(&m.took).map_or("–".into(), |t| {
        format!("{} / {}", fmt_duration(t.median), fmt_duration(t.max))
    });
    let (lost, extra) = m.lost_and_extra();
    let mut statuses = format!("{} / {} / {lost}", m.requests, m.statuses);
    if extra > 0 {
        statuses.push_str(&format!(" ({extra} statuses more than requests)"));
    }
    let mut connects = m
        .connects
        .iter()
        .map(|(id, n)| format!("`{id}` {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    if m.throttled > 0 {
        connects.push_str(&format!(" ({} throttled by the quota)", m.throttled));
    }
    let diagnostics = m
        .diagnostics
        .map_or("–".into(), |(h, f, o)| format!("{h} / {f} / {o}"));
    vec![
        counted,
        gap,
        phase,
        took,
        m.handovers_failed.to_string(),
        format!("{} / {}", m.interruptions, m.recoveries),
        statuses,
        connects,
        diagnostics,
        verdict(case, m),
    ]
}

/// The project's target, judged for the handover case; the cut case is the comparison.
fn verdict(case: Case, m: &Measured) -> String {
    let bound = POLL + GAP_ALLOWANCE;
    let mut misses = Vec::new();
    if !m.complete {
        misses.push(format!("fewer than {CYCLES} {}", case.cycle()));
    }
    match m.longest_gap() {
        Some(g) if g > bound => misses.push(format!("a gap of {} > {}", ms(g), ms(bound))),
        Some(_) => {}
        None => misses.push("no two statuses".to_owned()),
    }
    let (lost, extra) = m.lost_and_extra();
    if lost > 0 {
        misses.push(format!("{lost} status request(s) lost"));
    }
    if extra > 0 {
        misses.push(format!("{extra} duplicate status(es)"));
    }
    if m.lagged > 0 {
        misses.push(format!("{} events missed by the recorder", m.lagged));
    }
    let words = format!(
        "gap ≤ {} s (+ {} allowance), none lost",
        POLL.as_secs(),
        ms(GAP_ALLOWANCE)
    );
    match (case, misses.is_empty()) {
        (Case::Handover, true) => format!("{words}: met"),
        (Case::Handover, false) => format!("MISSED: {}", misses.join("; ")),
        (Case::Cut, true) => format!("– (comparison; would meet {words})"),
        (Case::Cut, false) => format!("– (comparison; would miss: {})", misses.join("; ")),
    }
}

fn notes(table: &mut Table, setup: &Setup, opts: &Options) {
    table.note(format!(
        "Each case runs its own simulator (one device; AWS IoT's quotas in force) whose gateway \
         closes every connection {} after it opened, and one client (REST sign-in, signing \
         WebSocket gateway, default settings except a status poll every {} s and a stability \
         window of {} instead of 30 s, so that a cut after a connection of a few seconds starts \
         its backoff afresh as one after 24 h would). The two cases run at the same time. \
         `handover`: `connection_lifetime` = the server's lifetime, `handover_margin` {}, \
         `handover_jitter` {}, run until the client's {CYCLES}th `handed_over` event; `cut`: \
         `connection_lifetime(None)`, run until its {CYCLES}th `recovered` event.",
        fmt_duration(setup.lifetime),
        POLL.as_secs(),
        fmt_duration(setup.stable_after()),
        fmt_duration(setup.margin),
        fmt_duration(setup.jitter),
    ));
    table.note(
        "Window: from the first status event of the device the harness saw to the first \
         status after the last needed handover (recovery), so the gap spanning it is whole. \
         Gaps are between consecutive `status` events of the device on the client's event bus \
         (harness clock). Handovers, failed handovers, interruptions and recoveries are the \
         client's events in the window; server cuts are connections the simulator closed at \
         the end of their lifetime in the window. Status requests are those the simulated \
         device received in the window (its own record, made before it answers); statuses \
         those the client delivered in it. Both ends of the window are status arrivals, so no \
         request is in flight at either end (one device, one status request out at a time): \
         lost = requests − statuses, and a status more than requests would be a duplicate. \
         CONNECTs are those the gateway received per client id until the end of the window, \
         the first connection included; the handover alternates between the client id and \
         its second id (`-h`). Client diagnostics are the client's counters at the end of \
         the window (the whole run).",
    );
    table.note(format!(
        "Target (handover): over {CYCLES} handovers with a poll every {} s, the longest gap \
         between two statuses of the device stays within one poll interval, and no status \
         request is lost. A gap is judged within the interval up to {} over it: the variation \
         of a request's round trip and of the poll timer, not a poll missed.",
        POLL.as_secs(),
        ms(GAP_ALLOWANCE)
    ));
    if opts.quick {
        table.note(format!(
            "`--quick`: a lifetime of {} (the full run: 20 s, margin 5 s, jitter 1 s).",
            fmt_duration(setup.lifetime)
        ));
    }
}
