//! Section 5 — scale: one client process monitoring 1 000 simulated devices on one connection,
//! polling each every 30 s: start-up, CPU and memory in steady state, and the time to be fully
//! restored (every subscription and a fresh status from every device) after a deep reconnect.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nwp500_sim::{AwsQuotas, SimConfig, Simulator};

use crate::child::ChildProc;
use crate::cli::Options;
use crate::error::{BenchError, BenchResult};
use crate::footprint::{idle_rates, sim_client_args};
use crate::report::{case_command, Table};
use crate::stats::{fmt_duration, fmt_mib, Summary};

/// Devices monitored: the target (1 000) and half of it.
const DEVICE_COUNTS: [usize; 2] = [500, 1_000];

/// Longest wait for the client to connect, subscribe and hear from every device.
const READY_LIMIT: Duration = Duration::from_secs(60);

/// Runs the section.
pub async fn run(opts: &Options) -> BenchResult<Vec<Table>> {
    let mut table = Table::new(
        "5. Scale: 500 and 1 000 devices on one connection",
        &[
            "case",
            "devices",
            "start → every device reported",
            "RSS steady (peak), threads",
            "CPU steady, per minute",
            "wake-ups / min",
            "deep reconnect → `Recovered` (all subscriptions) min / median / max",
            "deep reconnect → fresh status from every device min / median / max",
            "command",
        ],
    );
    let window = opts.pick(Duration::from_secs(35), Duration::from_secs(65));
    let reconnects = opts.pick(3, 5);
    for devices in DEVICE_COUNTS {
        let case = format!("scale/{devices}");
        if !opts.wants(&case) {
            continue;
        }
        let mut cells = vec![case.clone(), devices.to_string()];
        match measure(devices, window, reconnects).await {
            Ok(m) => cells.extend(m),
            Err(e) => {
                eprintln!("   {case}: {e}");
                cells.push(format!("not measured: {e}"));
                cells.extend(std::iter::repeat_n("–".to_owned(), 5));
            }
        }
        cells.push(case_command("scale", &case, opts.quick));
        table.row(cells);
    }
    table.note(format!(
        "One client process monitoring N simulated devices on one connection (REST \
         sign-in, device list, signing WebSocket gateway), polling each device's status every \
         30 s (default) and its feature every 30 min. \"start → every device reported\" \
         includes process start, sign-in, device list, subscribing N + 1 filters, a status \
         request to every device (sent by the harness once its handlers are registered, so \
         that no early answer is missed) and the first status of every device (limit {}). Steady-state CPU, memory and wake-ups over {} \
         (at least one full poll round). Deep reconnect: settings are the defaults except \
         `deep_reconnect_every(1)`, so the first attempt after the simulator drops the \
         connection is deep (credential renewal, Connection actor restart, registry replay); \
         {reconnects} reconnects, timed from the drop to the `Recovered` event (subscriptions \
         replayed, queue flushed) and to a fresh status from every device (the status polls \
         resume at once after recovery).",
        fmt_duration(READY_LIMIT),
        fmt_duration(window)
    ));
    Ok(vec![table])
}

/// The measured cells of one device count.
async fn measure(devices: usize, window: Duration, reconnects: usize) -> BenchResult<Vec<String>> {
    let sim = Simulator::start(SimConfig {
        quotas: AwsQuotas {
            // One connection carries up to 1 000 devices: the pool is not built yet.
            max_subscriptions_per_connection: None,
            // Its first connection sends two requests per device at once; the client's pacing
            // (`publish_rate=`, below) is lifted with it, to measure the client, not the quota.
            max_inbound_publishes_per_second: None,
            ..AwsQuotas::default()
        },
        ..SimConfig::with_devices(devices)
    })
    .map_err(|e| BenchError::Broker(e.to_string()))?;
    let password = sim.config().account.password.clone();
    let mut args = sim_client_args(
        &sim,
        &format!("navien-client-scale{devices}"),
        devices,
        "deep-every-attempt",
    );
    args.push(format!("ready_secs={}", READY_LIMIT.as_secs()));
    args.push("publish_rate=100000".into());
    let result = async {
        let started = Instant::now();
        let mut child = ChildProc::spawn(&args, Some(&password))?;
        // The thread count while starting tells why a start-up stalls (see BENCHMARKS.md).
        let pid = child.pid;
        let peak_threads = Arc::new(AtomicU64::new(0));
        let peak = peak_threads.clone();
        let sampler = tokio::spawn(async move {
            loop {
                if let Ok(s) = crate::procstat::sample(pid) {
                    peak.fetch_max(s.threads, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
        let ready = child
            .expect("READY", READY_LIMIT + Duration::from_secs(10))
            .await;
        sampler.abort();
        if let Err(e) = ready {
            child.stop().await;
            let threads = peak_threads.load(Ordering::Relaxed);
            let why = match e {
                BenchError::Child(line) => line,
                other => other.to_string(),
            };
            return Err(BenchError::Client(format!(
                "never ready ({why}); up to {threads} threads while starting"
            )));
        }
        let startup = started.elapsed();
        tokio::time::sleep(Duration::from_secs(2)).await;
        let steady = idle_rates(child.pid, window).await?;
        let mut to_recovered = Vec::new();
        let mut to_all = Vec::new();
        for i in 0..reconnects {
            child.send("MARK").await?;
            // The MARK is read by the child's stdin task; give it a moment before the drop
            // so that no status of the old connection counts as fresh.
            tokio::time::sleep(Duration::from_millis(200)).await;
            let t0 = Instant::now();
            sim.drop_all_connections();
            child.expect("RECOVERED", Duration::from_secs(120)).await?;
            to_recovered.push(t0.elapsed());
            child.expect("ALL", Duration::from_secs(120)).await?;
            to_all.push(t0.elapsed());
            eprintln!(
                "   {devices} devices, deep reconnect {}: {}",
                i + 1,
                fmt_duration(t0.elapsed())
            );
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        child.stop().await;
        Ok::<_, BenchError>((startup, steady, to_recovered, to_all))
    }
    .await;
    let _ = tokio::task::spawn_blocking(move || drop(sim)).await;
    let (startup, steady, to_recovered, to_all) = result?;
    let span = |v: &[Duration]| {
        Summary::of(v).map_or("–".into(), |s| {
            format!(
                "{} / {} / {}",
                fmt_duration(s.min),
                fmt_duration(s.median),
                fmt_duration(s.max)
            )
        })
    };
    Ok(vec![
        fmt_duration(startup),
        format!(
            "{} ({}), {} threads",
            fmt_mib(steady.end.rss),
            fmt_mib(steady.end.rss_peak),
            steady.end.threads
        ),
        steady.cpu_per_minute(),
        format!("{:.0}", steady.wakeups_per_minute),
        span(&to_recovered),
        span(&to_all),
    ])
}
