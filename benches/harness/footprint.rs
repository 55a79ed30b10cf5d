//! Section 4 — footprint of a minimal client process (the whole nwp500 client and nothing
//! else, in a child process): resident memory idle with 1 and 100 simulated devices, idle
//! wake-ups, CPU time per 1 000 status messages, and memory over 10 000 reconnect cycles.
//! A bare rumqttc subscriber in a child process is the baseline where one makes sense.

use std::sync::Arc;
use std::time::{Duration, Instant};

use nwp500_sim::{SimConfig, Simulator};

use crate::brokers::{port_of, Broker, BrokerKind};
use crate::child::ChildProc;
use crate::cli::Options;
use crate::error::{BenchError, BenchResult};
use crate::payload::StatusPool;
use crate::procstat::{sample, ProcSample};
use crate::publisher;
use crate::report::{case_command, Table};
use crate::stats::{fmt_duration, fmt_mib};

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
pub fn sim_client_args(sim: &Simulator, client_id: &str, devices: usize, profile: &str) -> Vec<String> {
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

/// Context switches per minute and CPU time per minute of `pid` over `window`.
pub async fn idle_rates(pid: u32, window: Duration) -> BenchResult<(ProcSample, f64, Duration)> {
    let before = sample(pid)?;
    tokio::time::sleep(window).await;
    let after = sample(pid)?;
    let per_minute = 60.0 / window.as_secs_f64();
    let wakeups = after.context_switches.saturating_sub(before.context_switches) as f64 * per_minute;
    let cpu = after.cpu.saturating_sub(before.cpu).mul_f64(per_minute);
    Ok((after, wakeups, cpu))
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
            "CPU / min",
            "command",
        ],
    );
    let sim = Simulator::start(SimConfig::with_devices(100))
        .map_err(|e| BenchError::Broker(e.to_string()))?;
    let tcp_port = port_of(sim.mqtt_tcp_url())?;
    let password = sim.config().account.password.clone();
    for devices in [1usize, 100] {
        for kind in ["client", "bare"] {
            let case = format!("idle/{kind}/{devices}");
            if !opts.wants(&case) {
                continue;
            }
            let (args, pass) = if kind == "client" {
                (
                    sim_client_args(&sim, &format!("navien-client-idle{devices}"), devices, "default"),
                    Some(password.as_str()),
                )
            } else {
                (
                    vec!["bare".into(), format!("port={tcp_port}"), format!("devices={devices}")],
                    None,
                )
            };
            let mut child = ChildProc::spawn(&args, pass)?;
            child.expect("READY", Duration::from_secs(60)).await?;
            // Let start-up allocations and the first answers settle.
            tokio::time::sleep(Duration::from_secs(3)).await;
            let (s, wakeups, cpu) = idle_rates(child.pid, window).await?;
            child.stop().await;
            table.row(vec![
                case.clone(),
                if kind == "client" {
                    "nwp500 `Client` (WebSocket + SigV4, status poll every 30 s)".into()
                } else {
                    "bare rumqttc, subscribed, no polling (floor)".into()
                },
                devices.to_string(),
                format!("{} ({})", fmt_mib(s.rss), fmt_mib(s.rss_peak)),
                s.threads.to_string(),
                format!("{wakeups:.0}"),
                fmt_duration(cpu),
                case_command("footprint", &case, opts.quick),
            ]);
        }
    }
    let _ = tokio::task::spawn_blocking(move || drop(sim)).await;
    table.note(format!(
        "Each row is a separate process: the harness binary re-run as a child that holds one \
         client and nothing else (the simulator stays in the parent). The example monitor \
         binary is not measured (it is not built by `cargo bench`); this is the minimal client \
         process. RSS is `VmRSS` from `/proc` after start-up and a 3 s settle; wake-ups are \
         the voluntary + involuntary context switches of all threads over a {} window, scaled \
         to one minute (each is one time a thread went to sleep and was woken); CPU is user + \
         system time over the same window. The client signs in over REST and connects through \
         the simulator's signing WebSocket gateway with default settings (keep-alive 60 s, \
         status poll every 30 s per device, feature refresh every 30 min); the bare client \
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
        &["case", "process", "CPU per 1 000 messages (median)", "runs", "command"],
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
        &["case", "cycle", "RSS", "growth since cycle 100", "elapsed", "command"],
    );
    let case = "cycles/client";
    if !opts.wants(case) {
        return Ok(table);
    }
    let sim = Simulator::start(SimConfig {
        random_draws: false,
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
