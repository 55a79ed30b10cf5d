//! Section 5 — scale: one client process monitoring 500 and 1 000 simulated devices with AWS
//! IoT Core's quotas enforced by the simulator (`AwsQuotas::default()`: 50 subscriptions per
//! connection, 8 filters per SUBSCRIBE, 100 inbound publishes per second per connection, 100
//! unacknowledged deliveries, one CONNECT per second per client id; none lifted). With the
//! default `subscriptions_per_connection` (50: 49 devices and the client's own answers) the
//! client spreads the devices over a pool of connections, 21 for 1 000 devices.
//!
//! Measured: the time from `Client::start` until every device has reported a status; memory,
//! threads, CPU and wake-ups in steady state; and, over repeated outages hitting every
//! connection at once (`drop_all_connections`), the time until every connection has reported
//! `recovered` and until every device has reported a fresh status, with the CONNECT rate the
//! simulator saw and every quota it had to enforce.
//!
//! The client runs in a child process (`harness __child pool …`, [`child_main`]) so that its
//! memory, threads, CPU and wake-ups are its own. The child reads the client's event bus
//! (`Client::events()`, whose first receiver holds every event since the start) and reports
//! to the harness, one line per message:
//!
//! * out: `READY connections=<n> connected_ms=<ms> reported_ms=<ms>` (every connection had its
//!   CONNACK, every device reported a status, timed in the child from the call to
//!   `Client::start`), `MARKED` (answer to `MARK`), `RECOVERED <connection>` (each per-connection
//!   `recovered` event), `ALL` (every device reported a fresh status since the last `MARK`),
//!   `DIAG …` (answer to `DIAG`: the per-connection diagnostics summed), `ERROR <text>`;
//! * in: `MARK` (start counting fresh statuses), `DIAG`.
//!
//! A status counts as fresh when it arrives on a connection that has reported `interrupted`
//! since the `MARK`: it was then received on the connection opened after the drop.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use nwp500::client::Client;
use nwp500::config::ClientConfig;
use nwp500::events::{Event, TimestampedEvent};
use nwp500_sim::{AwsQuotas, ConnectionOutcome, ConnectionRecord, SimConfig, Simulator};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::broadcast;

use crate::child::{self, ChildProc};
use crate::cli::Options;
use crate::error::{within, BenchError, BenchResult};
use crate::footprint::{idle_rates, WindowRates};
use crate::payload::device_mac;
use crate::procstat::ProcSample;
use crate::profiles::Profile;
use crate::report::{case_command, Table};
use crate::stats::{fmt_duration, fmt_mib, Summary};

/// Devices monitored: the target (1 000) and half of it.
const DEVICE_COUNTS: [usize; 2] = [500, 1_000];

/// Devices one connection serves with the default `subscriptions_per_connection` (50): one
/// filter per device and one for the client's own answers.
const DEVICES_PER_CONNECTION: usize = 49;

/// Longest wait for the client to connect every connection and hear from every device.
const READY_LIMIT: Duration = Duration::from_secs(60);

/// Longest wait, from a drop, for every connection to recover and every device to report.
const RECOVERY_LIMIT: Duration = Duration::from_secs(120);

/// Pause after the start-up before the steady-state window.
const SETTLE: Duration = Duration::from_secs(2);

/// Pause after a recovery before the next drop: the client's stability window and a margin,
/// so that every outage meets a stable pool and starts a fresh backoff cycle (outages closer
/// together than the stability window are one flaky link to the client, whose backoff then
/// doubles from one to the next).
fn between_outages() -> Duration {
    Profile::Default.stable_after() + Duration::from_secs(2)
}

/// Runs the section.
pub async fn run(opts: &Options) -> BenchResult<Vec<Table>> {
    let window = opts.pick(Duration::from_secs(35), Duration::from_secs(65));
    let outages = opts.pick(3, 5);
    let mut start = Table::new(
        "5a. Scale with AWS IoT's quotas enforced: start-up and steady state of a pool of connections",
        &[
            "case",
            "devices",
            "connections (client ids seen)",
            "`Client::start` → every connection connected",
            "`Client::start` → every device reported",
            "RSS steady (peak), threads (most while starting)",
            "CPU steady, per minute",
            "wake-ups / min",
            "CONNECTs at start: total, busiest 1 s",
            "quotas enforced over the whole run",
            "command",
        ],
    );
    let mut outage = Table::new(
        "5b. Scale with AWS IoT's quotas enforced: an outage hitting every connection",
        &[
            "case",
            "devices",
            "connections dropped",
            "outages",
            "drop → every connection `recovered` min / median / max",
            "drop → fresh status from every device min / median / max",
            "CONNECTs per outage (median)",
            "CONNECTs in the busiest 1 s, all client ids: median / max",
            "shortest gap between two CONNECTs of one client id",
            "RSS, threads after the outages",
            "command",
        ],
    );
    for devices in DEVICE_COUNTS {
        let case = format!("scale/{devices}");
        if !opts.wants(&case) {
            continue;
        }
        let command = case_command("scale", &case, opts.quick);
        match measure(devices, window, outages).await {
            Ok(m) => {
                start.row(m.start_cells(&case, &command));
                outage.row(m.outage_cells(&case, &command));
            }
            Err(e) => {
                eprintln!("   {case}: {e}");
                for (table, columns) in [(&mut start, 11), (&mut outage, 11)] {
                    let mut cells = vec![
                        case.clone(),
                        devices.to_string(),
                        format!("not measured: {e}"),
                    ];
                    cells.extend(std::iter::repeat_n("–".to_owned(), columns - 4));
                    cells.push(command.clone());
                    table.row(cells);
                }
            }
        }
    }
    start.note(format!(
        "One client process (the harness re-run as a child holding one `Client`) monitoring N \
         simulated devices with every timing at its default (status poll every 30 s, feature \
         every 30 min, `publish_rate` 50 per connection, `subscriptions_per_connection` 50), \
         REST sign-in, device list and the simulator's signing WebSocket gateway. The simulator \
         enforces AWS IoT Core's quotas, none lifted: 50 subscriptions per connection, 8 \
         filters per SUBSCRIBE, 100 inbound publishes per second per connection, 100 \
         unacknowledged deliveries per connection, one CONNECT per second per client id. The \
         client spreads the devices over ⌈N / {DEVICES_PER_CONNECTION}⌉ connections, each \
         under its own client id (`connection_count()`; the client ids are those the simulator \
         saw in CONNECT packets). Both start-up times are measured in the child from the call \
         to `Client::start` (sign-in and device list included) on the client's event bus: \
         until every connection's `connected` event (CONNACK) and until a `status` event of \
         every device, answering the client's own first poll (limit {}). Steady-state memory, \
         threads, CPU and wake-ups of the child over {} (at least one full poll round); \
         \"most while starting\" samples the thread count every 50 ms during start-up. \
         \"Quotas enforced\" sums the simulator's connection log over the whole run (start, \
         steady state and outages): subscriptions refused (SUBACK 0x80), publishes throttled \
         (dropped beyond 100/s), CONNECTs throttled (closed without CONNACK, less than 1 s \
         after the last of their client id), connections closed for a SUBSCRIBE of more than \
         8 filters, and deliveries held back because 100 were unacknowledged (flow control, \
         not a loss).",
        fmt_duration(READY_LIMIT),
        fmt_duration(window)
    ));
    outage.note(format!(
        "The same process, after the steady-state window: {outages} times, the simulator drops \
         every connection at once (`drop_all_connections`, TCP close without goodbye), {} \
         after the previous recovery (the default stability window, 30 s, and a margin: \
         each outage meets a stable pool, so each is the first of a backoff cycle, with the \
         default first delay of 1 s ± 50 % jitter, as an independent outage would be). Timed in the harness from the drop to the child's report \
         of the last connection's `recovered` event (per connection: `connection` = Some(i) \
         for every i; connected, resubscribed, queue flushed) and of the last device's fresh \
         status (a `status` event on a connection that reported `interrupted` after the drop; \
         the status polls resume on each connection as it recovers). The child prints each \
         event as it reads it from the bus, so the timings include one pipe hop (well under \
         1 ms). CONNECTs are the CONNECT packets the simulator received (`connect_received` \
         in its connection log), refused ones included: per outage, those between its drop \
         and the next; the busiest 1 s is the most CONNECTs of all client ids within any \
         1-second window (AWS's account-wide limit is 500 per second); the shortest gap is \
         the least time between two CONNECTs of one client id over the whole run (AWS's \
         limit is one per second per client id). RSS and threads sampled after the last \
         recovery.",
        fmt_duration(between_outages())
    ));
    Ok(vec![start, outage])
}

/// Everything measured for one device count.
struct Measured {
    devices: usize,
    /// `connection_count()` of the client.
    connections: usize,
    /// Distinct client ids in the simulator's CONNECTs.
    client_ids: usize,
    /// `Client::start` → every connection's `connected` event.
    connected: Duration,
    /// `Client::start` → a status from every device.
    reported: Duration,
    /// Most threads seen while starting.
    peak_threads: u64,
    steady: WindowRates,
    /// The child after the last recovery.
    after: ProcSample,
    /// CONNECTs before the first drop.
    start_connects: Vec<Instant>,
    outages: Vec<Outage>,
    /// Shortest gap between two CONNECTs of one client id, and that client id.
    min_gap: Option<(Duration, String)>,
    quotas: QuotaHits,
    /// The child's `DIAG` answer after the last recovery.
    diag: String,
}

/// One outage of every connection.
struct Outage {
    dropped: usize,
    all_recovered: Duration,
    all_fresh: Duration,
    /// Instants the simulator received a CONNECT, from this drop to the next.
    connects: Vec<Instant>,
}

/// What the simulator's quotas did, summed over the connection log.
#[derive(Default)]
struct QuotaHits {
    subscriptions_refused: u64,
    publishes_throttled: u64,
    connects_throttled: u64,
    too_many_filters: u64,
    deliveries_held: u64,
}

impl QuotaHits {
    fn of(log: &[ConnectionRecord]) -> Self {
        let mut hits = Self::default();
        for r in log {
            hits.subscriptions_refused += u64::from(r.subscriptions_refused);
            hits.publishes_throttled += u64::from(r.publishes_throttled);
            hits.deliveries_held += u64::from(r.deliveries_held);
            match r.outcome {
                ConnectionOutcome::ConnectThrottled => hits.connects_throttled += 1,
                ConnectionOutcome::TooManyFilters => hits.too_many_filters += 1,
                _ => {}
            }
        }
        hits
    }
}

impl Measured {
    fn start_cells(&self, case: &str, command: &str) -> Vec<String> {
        let q = &self.quotas;
        vec![
            case.to_owned(),
            self.devices.to_string(),
            format!("{} ({})", self.connections, self.client_ids),
            fmt_duration(self.connected),
            fmt_duration(self.reported),
            format!(
                "{} ({}), {} threads ({})",
                fmt_mib(self.steady.end.rss),
                fmt_mib(self.steady.end.rss_peak),
                self.steady.end.threads,
                self.peak_threads
            ),
            self.steady.cpu_per_minute(),
            format!("{:.0}", self.steady.wakeups_per_minute),
            format!(
                "{}, {}",
                self.start_connects.len(),
                busiest_second(&self.start_connects)
            ),
            format!(
                "{} subscriptions refused, {} publishes throttled, {} CONNECTs throttled, {} \
                 SUBSCRIBEs over 8 filters; {} deliveries held",
                q.subscriptions_refused,
                q.publishes_throttled,
                q.connects_throttled,
                q.too_many_filters,
                q.deliveries_held
            ),
            command.to_owned(),
        ]
    }

    fn outage_cells(&self, case: &str, command: &str) -> Vec<String> {
        let dropped: BTreeSet<usize> = self.outages.iter().map(|o| o.dropped).collect();
        let recovered: Vec<Duration> = self.outages.iter().map(|o| o.all_recovered).collect();
        let fresh: Vec<Duration> = self.outages.iter().map(|o| o.all_fresh).collect();
        let mut per_outage: Vec<usize> = self.outages.iter().map(|o| o.connects.len()).collect();
        let mut busiest: Vec<usize> = self
            .outages
            .iter()
            .map(|o| busiest_second(&o.connects))
            .collect();
        vec![
            case.to_owned(),
            self.devices.to_string(),
            dropped
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            self.outages.len().to_string(),
            span(&recovered),
            span(&fresh),
            median(&mut per_outage).to_string(),
            format!(
                "{} / {}",
                median(&mut busiest),
                busiest.iter().max().copied().unwrap_or(0)
            ),
            self.min_gap.as_ref().map_or("–".into(), |(gap, id)| {
                format!("{} (`{id}`)", fmt_duration(*gap))
            }),
            format!(
                "{}, {} threads; {}",
                fmt_mib(self.after.rss),
                self.after.threads,
                self.diag
            ),
            command.to_owned(),
        ]
    }
}

/// `min / median / max` of `v`.
fn span(v: &[Duration]) -> String {
    Summary::of(v).map_or("–".into(), |s| {
        format!(
            "{} / {} / {}",
            fmt_duration(s.min),
            fmt_duration(s.median),
            fmt_duration(s.max)
        )
    })
}

/// The median (nearest rank) of `v`, 0 when empty.
fn median(v: &mut [usize]) -> usize {
    v.sort_unstable();
    v.get(v.len().saturating_sub(1) / 2).copied().unwrap_or(0)
}

/// The most of `times` within any one-second window.
fn busiest_second(times: &[Instant]) -> usize {
    let mut sorted = times.to_vec();
    sorted.sort();
    let mut most = 0;
    let mut first = 0;
    for (last, t) in sorted.iter().enumerate() {
        while t.saturating_duration_since(sorted[first]) >= Duration::from_secs(1) {
            first += 1;
        }
        most = most.max(last + 1 - first);
    }
    most
}

/// Parses `key=<n>` out of a child's line.
fn field(line: &str, key: &str) -> BenchResult<u64> {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| BenchError::Child(format!("no {key}= in {line:?}")))
}

/// The measurement of one device count.
async fn measure(devices: usize, window: Duration, outages: usize) -> BenchResult<Measured> {
    let sim = Simulator::start(SimConfig {
        quotas: AwsQuotas::default(),
        ..SimConfig::with_devices(devices)
    })
    .map_err(|e| BenchError::Broker(e.to_string()))?;
    let password = sim.config().account.password.clone();
    let args = vec![
        "pool".to_owned(),
        format!("api={}", sim.rest_url()),
        format!("mqtt={}", sim.mqtt_ws_url()),
        format!("email={}", sim.config().account.email),
        format!("client_id=navien-client-scale{devices}"),
        format!("devices={devices}"),
        format!("ready_secs={}", READY_LIMIT.as_secs()),
    ];
    let result = async {
        let mut child = ChildProc::spawn(&args, Some(&password))?;
        let measured = drive(&sim, &mut child, devices, window, outages).await;
        child.stop().await;
        measured
    }
    .await;
    let log = sim.connection_log();
    let _ = tokio::task::spawn_blocking(move || drop(sim)).await;
    let (mut m, drops) = result?;

    let mut connects: Vec<(Instant, &str)> = log
        .iter()
        .filter_map(|r| Some((r.connect_received?, r.client_id.as_deref().unwrap_or(""))))
        .collect();
    connects.sort();
    let ids: BTreeSet<&str> = connects.iter().map(|(_, id)| *id).collect();
    m.client_ids = ids.len();
    m.min_gap = ids
        .iter()
        .filter_map(|id| {
            let gap = nwp500_sim::min_connect_gap(&log, id)?;
            Some((gap, (*id).to_owned()))
        })
        .min();
    let between = |from: Option<Instant>, to: Option<Instant>| -> Vec<Instant> {
        connects
            .iter()
            .map(|(t, _)| *t)
            .filter(|t| from.is_none_or(|f| *t >= f) && to.is_none_or(|e| *t < e))
            .collect()
    };
    m.start_connects = between(None, drops.first().copied());
    for (i, o) in m.outages.iter_mut().enumerate() {
        o.connects = between(Some(drops[i]), drops.get(i + 1).copied());
    }
    m.quotas = QuotaHits::of(&log);
    let q = &m.quotas;
    if q.subscriptions_refused + q.publishes_throttled + q.connects_throttled + q.too_many_filters
        > 0
    {
        eprintln!(
            "   {devices} devices: quotas hit: {} subscriptions refused, {} publishes \
             throttled, {} CONNECTs throttled, {} SUBSCRIBEs over 8 filters",
            q.subscriptions_refused,
            q.publishes_throttled,
            q.connects_throttled,
            q.too_many_filters
        );
    }
    Ok(m)
}

/// Start-up, steady state and outages against a running child; returns the measurements and
/// the instant of each drop.
async fn drive(
    sim: &Simulator,
    child: &mut ChildProc,
    devices: usize,
    window: Duration,
    outages: usize,
) -> BenchResult<(Measured, Vec<Instant>)> {
    // The thread count while starting tells why a start-up stalls.
    let pid = child.pid;
    let peak_threads = Arc::new(AtomicU64::new(0));
    let peak = peak_threads.clone();
    let sampler = tokio::spawn(async move {
        loop {
            if let Ok(s) = crate::procstat::sample(pid) {
                peak.fetch_max(s.threads, Ordering::Relaxed);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let ready = child
        .expect("READY", READY_LIMIT + Duration::from_secs(10))
        .await;
    sampler.abort();
    let ready = ready.map_err(|e| {
        let why = match e {
            BenchError::Child(line) => line,
            other => other.to_string(),
        };
        BenchError::Client(format!(
            "never ready ({why}); up to {} threads while starting",
            peak_threads.load(Ordering::Relaxed)
        ))
    })?;
    let connections = field(&ready, "connections")? as usize;
    let expected = devices.div_ceil(DEVICES_PER_CONNECTION);
    if connections != expected {
        eprintln!("   {devices} devices: {connections} connections, expected {expected}");
    }
    tokio::time::sleep(SETTLE).await;
    let steady = idle_rates(child.pid, window).await?;
    eprintln!(
        "   {devices} devices, steady state by thread: {}",
        steady.by_thread
    );

    let mut drops = Vec::new();
    let mut measured = Vec::new();
    for i in 0..outages {
        child.send("MARK").await?;
        child.expect("MARKED", Duration::from_secs(10)).await?;
        let t0 = Instant::now();
        let dropped = sim.drop_all_connections();
        drops.push(t0);
        let deadline = t0 + RECOVERY_LIMIT;
        let mut recovered = HashSet::new();
        let mut all_recovered = None;
        let mut all_fresh = None;
        while all_recovered.is_none() || all_fresh.is_none() {
            let line = child
                .line(deadline.saturating_duration_since(Instant::now()))
                .await?;
            if let Some(c) = line.strip_prefix("RECOVERED ") {
                recovered.insert(c.trim().to_owned());
                if recovered.len() == connections && all_recovered.is_none() {
                    all_recovered = Some(t0.elapsed());
                }
            } else if line == "ALL" {
                all_fresh = Some(t0.elapsed());
            }
        }
        let (all_recovered, all_fresh) = all_recovered.zip(all_fresh).unwrap_or_default();
        eprintln!(
            "   {devices} devices, outage {}: {dropped} connections dropped, every connection \
             recovered after {}, every device reported after {}",
            i + 1,
            fmt_duration(all_recovered),
            fmt_duration(all_fresh)
        );
        measured.push(Outage {
            dropped,
            all_recovered,
            all_fresh,
            connects: Vec::new(),
        });
        if i + 1 < outages {
            tokio::time::sleep(between_outages()).await;
        }
    }
    let after = crate::procstat::sample(child.pid)?;
    child.send("DIAG").await?;
    let diag = child.expect("DIAG", Duration::from_secs(10)).await?;
    let diag = format!(
        "{} of {} connected, {} outages counted",
        field(&diag, "connected")?,
        field(&diag, "connections")?,
        field(&diag, "outages")?
    );
    let m = Measured {
        devices,
        connections,
        client_ids: 0,
        connected: Duration::from_millis(field(&ready, "connected_ms")?),
        reported: Duration::from_millis(field(&ready, "reported_ms")?),
        peak_threads: peak_threads.load(Ordering::Relaxed),
        steady,
        after,
        start_connects: Vec::new(),
        outages: measured,
        min_gap: None,
        quotas: QuotaHits::default(),
        diag,
    };
    Ok((m, drops))
}

// ---- child side --------------------------------------------------------------------------

/// What the child counts between two `MARK`s.
#[derive(Default)]
struct Since {
    /// Connections that reported `interrupted`.
    interrupted: HashSet<usize>,
    /// Devices with a fresh status.
    fresh: HashSet<String>,
    all_announced: bool,
}

/// The next event of the bus; a lagging receiver makes the measurement void.
async fn next_event(
    events: &mut broadcast::Receiver<TimestampedEvent>,
) -> BenchResult<TimestampedEvent> {
    events.recv().await.map_err(|e| match e {
        broadcast::error::RecvError::Lagged(n) => {
            BenchError::Child(format!("the event receiver lagged: {n} events lost"))
        }
        broadcast::error::RecvError::Closed => BenchError::Child("the event bus closed".into()),
    })
}

/// Entry point of the `pool` child (on an actix System): starts the client with default
/// settings and reports its events (see the module documentation).
pub async fn child_main(opts: &HashMap<&str, &str>) -> BenchResult<()> {
    let devices = child::num(opts, "devices", 1)?;
    let password = std::env::var(child::PASSWORD_ENV)
        .map_err(|_| BenchError::Child("no password in the environment".into()))?;
    let config = Profile::Default
        .apply(
            ClientConfig::builder()
                .mqtt_url(child::get(opts, "mqtt")?)
                .api_url(child::get(opts, "api")?)
                .credentials(child::get(opts, "email")?, password)
                .client_id(child::get(opts, "client_id")?)
                .devices((0..devices).map(device_mac)),
        )
        .build()
        .map_err(BenchError::client)?;
    let limit = Duration::from_secs(child::num(opts, "ready_secs", 60)? as u64);

    let started = Instant::now();
    let client = Client::start(config).await.map_err(BenchError::client)?;
    // The first receiver holds every event since the start (sized for the first burst).
    let mut events = client.events();
    let connections = client.connection_count();
    let (connected, reported) = within(limit, "every device reported", async {
        let mut connected = HashSet::new();
        let mut connected_at = None;
        let mut reported = HashSet::new();
        loop {
            let e = next_event(&mut events).await?;
            match (&e.event, e.connection) {
                (Event::Connected { .. }, Some(c)) => {
                    connected.insert(c);
                    if connected.len() == connections && connected_at.is_none() {
                        connected_at = Some(started.elapsed());
                    }
                }
                (Event::Status { device, .. }, _) => {
                    reported.insert(device.as_str().to_owned());
                    if reported.len() == devices {
                        let now = started.elapsed();
                        return Ok::<_, BenchError>((connected_at.unwrap_or(now), now));
                    }
                }
                _ => {}
            }
        }
    })
    .await??;
    println!(
        "READY connections={connections} connected_ms={} reported_ms={}",
        connected.as_millis(),
        reported.as_millis()
    );

    let since = Arc::new(Mutex::new(Since::default()));
    let state = since.clone();
    tokio::spawn(async move {
        loop {
            let e = match next_event(&mut events).await {
                Ok(e) => e,
                Err(err) => {
                    println!("ERROR {err}");
                    return;
                }
            };
            let mut s = state.lock().unwrap_or_else(PoisonError::into_inner);
            match (&e.event, e.connection) {
                (Event::Interrupted { .. }, Some(c)) => {
                    s.interrupted.insert(c);
                }
                (Event::Recovered { .. }, Some(c)) => println!("RECOVERED {c}"),
                (Event::Status { device, .. }, Some(c)) if s.interrupted.contains(&c) => {
                    s.fresh.insert(device.as_str().to_owned());
                    if s.fresh.len() == devices && !s.all_announced {
                        s.all_announced = true;
                        println!("ALL");
                    }
                }
                _ => {}
            }
        }
    });

    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = stdin.next_line().await {
        match line.trim() {
            "MARK" => {
                *since.lock().unwrap_or_else(PoisonError::into_inner) = Since::default();
                println!("MARKED");
            }
            "DIAG" => {
                let d = client
                    .connection_diagnostics()
                    .await
                    .map_err(BenchError::client)?;
                println!(
                    "DIAG connections={} connected={} outages={}",
                    d.len(),
                    d.iter().filter(|s| s.connected).count(),
                    d.iter().map(|s| s.outages).sum::<u64>()
                );
            }
            _ => {}
        }
    }
    let _ = client.disconnect().await;
    Ok(())
}
