//! Section 4 — footprint of a minimal client process (the whole nwp500 client and nothing
//! else, in a child process): resident memory idle with 1 and 100 simulated devices, idle
//! wake-ups, CPU time per 1 000 status messages, and memory over 10 000 reconnect cycles.
//! A bare rumqttc subscriber in a child process is the baseline where one makes sense.

use std::sync::Arc;
use std::time::{Duration, Instant};

use nwp500_sim::{AwsQuotas, SimConfig, Simulator};

use crate::brokers::{port_of, Broker, BrokerKind};
use crate::child::ChildProc;
use crate::cli::Options;
use crate::error::{BenchError, BenchResult};
use crate::monitor_proc::{self, MonitorProc};
use crate::payload::StatusPool;
use crate::procstat::{sample, ProcSample};
use crate::publisher;
use crate::report::{case_command, Table};
use crate::stats::{fmt_duration, fmt_mib};
use crate::threads;

/// Reconnect cycles of the memory-growth test.
const CYCLES: usize = 10_000;

/// Runs the section.
pub async fn run(opts: &Options) -> BenchResult<Vec<Table>> {
    let mut tables = Vec::new();
    tables.push(idle(opts).await?);
    tables.push(cpu_per_thousand(opts).await?);
    tables.push(reconnect_cycles(opts).await?);
    Ok(tables)
}

/// Arguments of a client child against simulator `sim`.
pub fn sim_client_args(
    sim: &Simulator,
    client_id: &str,
    devices: usize,
    profile: &str,
) -> Vec<String> {
    vec![
        "client".into(),
        format!("api={}", sim.rest_url()),
        format!("mqtt={}", sim.mqtt_ws_url()),
        format!("email={}", sim.config().account.email),
        format!("client_id={client_id}"),
        format!("devices={devices}"),
        format!("profile={profile}"),
    ]
}

/// What a process did over a measurement window.
pub struct WindowRates {
    /// The sample at the end of the window.
    pub end: ProcSample,
    /// Context switches per minute.
    pub wakeups_per_minute: f64,
    /// CPU time used in the window.
    pub cpu: Duration,
    /// The window.
    pub window: Duration,
    /// Wake-ups per minute by thread name (see [`threads::breakdown`]).
    pub by_thread: String,
}

impl WindowRates {
    /// CPU time per minute, or the resolution bound when no tick was counted.
    pub fn cpu_per_minute(&self) -> String {
        if self.cpu.is_zero() {
            return format!("< 10 ms per {} (no 10 ms tick)", fmt_duration(self.window));
        }
        let per_minute = self.cpu.mul_f64(60.0 / self.window.as_secs_f64());
        format!(
            "{} ({:.2} % of one core)",
            fmt_duration(per_minute),
            per_minute.as_secs_f64() / 60.0 * 100.0
        )
    }
}

/// Context switches and CPU time of `pid` over `window`.
pub async fn idle_rates(pid: u32, window: Duration) -> BenchResult<WindowRates> {
    let before = sample(pid)?;
    let threads_before = threads::sample(pid);
    tokio::time::sleep(window).await;
    let end = sample(pid)?;
    let by_thread = threads::breakdown(&threads_before, &threads::sample(pid), window);
    let per_minute = 60.0 / window.as_secs_f64();
    Ok(WindowRates {
        wakeups_per_minute: end.context_switches.saturating_sub(before.context_switches) as f64
            * per_minute,
        cpu: end.cpu.saturating_sub(before.cpu),
        end,
        window,
        by_thread,
    })
}

async fn idle(opts: &Options) -> BenchResult<Table> {
    let window = opts.pick(Duration::from_secs(35), Duration::from_secs(65));
    let mut table = Table::new(
        "4a. Footprint idle: resident memory and wake-ups",
        &[
            "case",
            "process",
            "devices",
            "RSS (peak)",
            "threads",
            "wake-ups / min",
            "by thread: total (voluntary + involuntary) / min",
            "CPU per minute",
            "command",
        ],
    );
    // AWS's quotas: the monitor spreads the 100 devices over a pool of 3 connections,
    // each pacing its first requests within the inbound quota.
    let sim = Simulator::start(SimConfig::with_devices(100))
        .map_err(|e| BenchError::Broker(e.to_string()))?;
    let tcp_port = port_of(sim.mqtt_tcp_url())?;
    let password = sim.config().account.password.clone();
    let monitor = monitor_proc::binary();
    for devices in [1usize, 100] {
        for kind in ["monitor", "client", "bare"] {
            let case = format!("idle/{kind}/{devices}");
            if !opts.wants(&case) {
                continue;
            }
            let label = match kind {
                "monitor" => "example monitor (`--json`, defaults)",
                "client" => "minimal client process (`Client::start` + status handlers)",
                _ => "bare rumqttc, subscribed, no polling (floor)",
            };
            let measured = match kind {
                "monitor" => match &monitor {
                    None => Err(BenchError::Child(
                        "not built: run `cargo build --release --example monitor` first".into(),
                    )),
                    Some(binary) => {
                        let client_id = format!("navien-client-mon{devices}");
                        let m = MonitorProc::spawn(binary, &sim, devices, &client_id)?;
                        let r = async {
                            m.wait_reported(devices, Duration::from_secs(90)).await?;
                            tokio::time::sleep(Duration::from_secs(3)).await;
                            idle_rates(m.pid, window).await
                        }
                        .await;
                        m.stop().await;
                        r
                    }
                },
                _ => {
                    let (args, pass) = if kind == "client" {
                        let id = format!("navien-client-idle{devices}");
                        (
                            sim_client_args(&sim, &id, devices, "default"),
                            Some(password.as_str()),
                        )
                    } else {
                        (
                            vec![
                                "bare".into(),
                                format!("port={tcp_port}"),
                                format!("devices={devices}"),
                            ],
                            None,
                        )
                    };
                    let mut child = ChildProc::spawn(&args, pass)?;
                    let r = async {
                        child.expect("READY", Duration::from_secs(90)).await?;
                        // Let start-up allocations and the first answers settle.
                        tokio::time::sleep(Duration::from_secs(3)).await;
                        idle_rates(child.pid, window).await
                    }
                    .await;
                    child.stop().await;
                    r
                }
            };
            let mut cells = vec![case.clone(), label.into(), devices.to_string()];
            match measured {
                Ok(r) => cells.extend([
                    format!("{} ({})", fmt_mib(r.end.rss), fmt_mib(r.end.rss_peak)),
                    r.end.threads.to_string(),
                    format!("{:.0}", r.wakeups_per_minute),
                    r.by_thread.clone(),
                    r.cpu_per_minute(),
                ]),
                Err(e) => cells.extend([
                    format!("not measured: {e}"),
                    "–".into(),
                    "–".into(),
                    "–".into(),
                    "–".into(),
                ]),
            }
            cells.push(case_command("footprint", &case, opts.quick));
            table.row(cells);
        }
    }
    let _ = tokio::task::spawn_blocking(move || drop(sim)).await;
    table.note(format!(
        "Each row is a separate process; the simulator stays in the harness. The example \
         monitor is the release build of `examples/monitor` (built beforehand with `cargo \
         build --release --example monitor`, since `cargo bench` does not build examples), \
         printing one JSON line per event to a pipe the harness drains. The minimal client \
         process is the harness binary re-run as a child holding one `Client` and nothing \
         else. RSS is `VmRSS` from `/proc` after start-up and a 3 s settle; wake-ups are \
         the voluntary + involuntary context switches of all threads over a {} window, scaled \
         to one minute (each is one time a thread went to sleep and was woken), and split by \
         thread name (`/proc/<pid>/task/*/status`, busiest first, `×n` for n threads of one \
         name); CPU is user + \
         system time over the same window. The client signs in over REST and connects through \
         the simulator's signing WebSocket gateway with default settings (keep-alive 60 s, \
         status poll every 30 s per device, feature refresh every 30 min), the monitor too; \
         the bare client \
         connects over plain TCP, subscribes the same device wildcards and does nothing else.",
        fmt_duration(window)
    ));
    Ok(table)
}

async fn cpu_per_thousand(opts: &Options) -> BenchResult<Table> {
    let messages = opts.pick(20_000, 50_000);
    let runs = opts.pick(1, 3);
    let mut table = Table::new(
        "4b. CPU time per 1 000 status messages (receiving process)",
        &[
            "case",
            "process",
            "CPU per 1 000 messages (median)",
            "runs",
            "command",
        ],
    );
    let broker = Broker::start(BrokerKind::Mosquitto)?;
    let pool = Arc::new(StatusPool::new(1, 256, 7).map_err(BenchError::client)?);
    for kind in ["client", "bare"] {
        let case = format!("cpu/{kind}");
        if !opts.wants(&case) {
            continue;
        }
        let mut samples = Vec::new();
        for _ in 0..runs {
            let args = if kind == "client" {
                vec![
                    "client".into(),
                    format!("mqtt={}", broker.url()),
                    "client_id=navien-client-cpu".into(),
                    "devices=1".into(),
                    "await_status=0".into(),
                    format!("every={messages}"),
                ]
            } else {
                vec![
                    "bare".into(),
                    format!("port={}", broker.port),
                    "devices=1".into(),
                    format!("every={messages}"),
                ]
            };
            let mut child = ChildProc::spawn(&args, None)?;
            child.expect("READY", Duration::from_secs(30)).await?;
            tokio::time::sleep(Duration::from_millis(500)).await;
            let before = sample(child.pid)?;
            let publisher = publisher::spawn(broker.port, pool.clone(), messages)?;
            let got = child
                .expect(&format!("STATUS {messages}"), Duration::from_secs(300))
                .await;
            let after = sample(child.pid)?;
            let _ = tokio::task::spawn_blocking(move || publisher.join()).await;
            child.stop().await;
            got?;
            samples.push(after.cpu.saturating_sub(before.cpu));
        }
        samples.sort();
        let median = samples[samples.len() / 2];
        table.row(vec![
            case.clone(),
            if kind == "client" {
                "nwp500 `Client` → typed status handler".into()
            } else {
                "bare rumqttc, no decoding".into()
            },
            fmt_duration(median.mul_f64(1_000.0 / messages as f64)),
            runs.to_string(),
            case_command("footprint", &case, opts.quick),
        ]);
    }
    table.note(format!(
        "{messages} G3 status answers (varied) published QoS 1 through mosquitto (TCP, \
         127.0.0.1) to a child process subscribed to one device; CPU = user + system time of \
         the child from before the first publish to the last delivery (`/proc/<pid>/stat`, \
         10 ms ticks). The client decodes every message and delivers it to a typed status \
         handler; no event-bus listener is attached."
    ));
    Ok(table)
}

async fn reconnect_cycles(opts: &Options) -> BenchResult<Table> {
    let mut table = Table::new(
        "4c. Memory over reconnect cycles (must not grow)",
        &[
            "case",
            "cycle",
            "RSS",
            "growth since cycle 100",
            "elapsed",
            "command",
        ],
    );
    let case = "cycles/client";
    if !opts.wants(case) {
        return Ok(table);
    }
    let sim = Simulator::start(SimConfig {
        random_draws: false,
        quotas: AwsQuotas {
            // The churn profile reconnects at once, 10 000 times: the CONNECT-rate quota is lifted.
            min_connect_interval_per_client_id: None,
            ..AwsQuotas::default()
        },
        ..SimConfig::default()
    })
    .map_err(|e| BenchError::Broker(e.to_string()))?;
    let password = sim.config().account.password.clone();
    let args = sim_client_args(&sim, "navien-client-cycles", 1, "churn");
    let result = async {
        let mut child = ChildProc::spawn(&args, Some(&password))?;
        child.expect("READY", Duration::from_secs(60)).await?;
        let start = Instant::now();
        let checkpoints = [100usize, 1_000, 2_500, 5_000, 7_500, CYCLES];
        let mut baseline = None;
        for cycle in 1..=CYCLES {
            sim.drop_all_connections();
            child
                .expect("RECOVERED", Duration::from_secs(20))
                .await
                .map_err(|e| BenchError::Child(format!("cycle {cycle}: {e}")))?;
            if checkpoints.contains(&cycle) {
                let s = sample(child.pid)?;
                let base = *baseline.get_or_insert(s.rss);
                let growth = s.rss as i64 - base as i64;
                table.row(vec![
                    case.into(),
                    cycle.to_string(),
                    fmt_mib(s.rss),
                    format!("{:+.1} KiB", growth as f64 / 1024.0),
                    fmt_duration(start.elapsed()),
                    case_command("footprint", case, opts.quick),
                ]);
                eprintln!("   cycle {cycle}: rss {}", fmt_mib(s.rss));
            }
        }
        child.stop().await;
        Ok::<_, BenchError>(start.elapsed())
    }
    .await;
    let _ = tokio::task::spawn_blocking(move || drop(sim)).await;
    let elapsed = result?;
    table.note(format!(
        "One client process (1 device, REST sign-in, signing WebSocket gateway); each cycle the \
         simulator drops every connection and the harness waits for the client's `Recovered` \
         event (reconnect, resubscribe, flush, status poll) before the next drop. {CYCLES} \
         cycles took {} ({} per cycle). Settings `churn`: initial reconnect delay 1 ms, jitter \
         0, max delay 10 ms, min connect interval 0, stable after 1 ms, so that every drop is a \
         first quick attempt (local simulator only: AWS IoT allows one CONNECT per second).",
        fmt_duration(elapsed),
        fmt_duration(elapsed / CYCLES as u32)
    ));
    Ok(table)
}
