//! The chaos section's kick loop: every connection is closed shortly after its CONNACK for
//! minutes, and the clients must still back off to the maximum delay (a link that never
//! stays up earns no backoff step back). Read from the clients' `reconnect_scheduled` events
//! and, independently, from the CONNECT times the simulator received.

use std::time::{Duration, Instant};

use nwp500::events::Event;
use nwp500_sim::{SimConfig, Simulator};

use crate::cli::Options;
use crate::error::{BenchError, BenchResult};
use crate::faults::Fault;
use crate::fleet::{start_fleet, stop_fleet};
use crate::profiles::Profile;
use crate::report::{case_command, Table};
use crate::stats::fmt_duration;

/// Clients in the loop, each with its own device.
const CLIENTS: usize = 4;

/// The case id.
const CASE: &str = "chaos/kick-loop";

/// The loop's settings: defaults for minutes, or every timing ÷10 under `--quick`.
struct Setup {
    profile: Profile,
    length: Duration,
    kick_after: Duration,
    initial: Duration,
    max: Duration,
    min_interval: Duration,
}

impl Setup {
    fn for_run(opts: &Options) -> Self {
        let tenth = opts.quick;
        let scale = |d: Duration| if tenth { d / 10 } else { d };
        Setup {
            profile: if tenth {
                Profile::DefaultTenth
            } else {
                Profile::Default
            },
            length: scale(Duration::from_secs(300)),
            kick_after: scale(Duration::from_millis(500)),
            initial: scale(Duration::from_secs(1)),
            max: scale(Duration::from_secs(120)),
            min_interval: scale(Duration::from_secs(1)),
        }
    }

    /// The first attempt whose base delay is the maximum (×2 per attempt).
    fn first_capped_attempt(&self) -> u64 {
        let mut base = self.initial;
        let mut attempt = 1;
        while base < self.max {
            base *= 2;
            attempt += 1;
        }
        attempt
    }
}

/// Runs the kick loop if selected.
pub async fn run(opts: &Options) -> BenchResult<Option<Table>> {
    if !opts.wants(CASE) {
        return Ok(None);
    }
    let setup = Setup::for_run(opts);
    let mut table = Table::new(
        "6c. Kick loop: kicked right after every CONNACK",
        &[
            "case",
            "settings",
            "loop",
            "scheduled delays, client 1 (s)",
            "largest scheduled delay (all clients)",
            "attempts at the capped base (all clients)",
            "largest gap between CONNECTs (server clock)",
            "shortest gap between CONNECTs",
            "target",
            "command",
        ],
    );
    let cells = match measure(&setup).await {
        Ok(m) => m.cells(&setup),
        Err(e) => vec![
            format!("not measured: {e}"),
            "–".into(),
            "–".into(),
            "–".into(),
            "–".into(),
            "–".into(),
        ],
    };
    let mut row = vec![CASE.to_owned(), setup.profile.label().to_owned(), {
        let loop_ = format!(
            "{} kicked {} after CONNACK",
            fmt_duration(setup.length),
            fmt_duration(setup.kick_after)
        );
        if opts.quick {
            format!("{loop_} (emulates 300 s at ÷10)")
        } else {
            loop_
        }
    }];
    row.extend(cells);
    row.push(case_command("chaos", CASE, opts.quick));
    table.row(row);
    table.note(format!(
        "{CLIENTS} clients, each with its own device, settled for the stability window; then \
         the simulator closes every connection {} after its CONNACK (and drops the live ones \
         once), for {}. Delays are the `delay` of the clients' `reconnect_scheduled` events \
         (jittered ±50 %, capped at the maximum {}); the base delay reaches the maximum from \
         attempt {} on. Target: the delays reach the maximum (an attempt at the capped base \
         was scheduled for every client) and no two CONNECTs of one client id are closer \
         than the minimum connect interval ({}).",
        fmt_duration(setup.kick_after),
        fmt_duration(setup.length),
        fmt_duration(setup.max),
        setup.first_capped_attempt(),
        fmt_duration(setup.min_interval),
    ));
    Ok(Some(table))
}

/// What the loop showed.
struct Measured {
    /// Client 1's scheduled delays, in order.
    first_delays: Vec<Duration>,
    /// Per client: scheduled (attempt, delay) pairs.
    scheduled: Vec<Vec<(u64, Duration)>>,
    /// Per client: CONNECT instants as the server received them.
    connects: Vec<Vec<Instant>>,
}

impl Measured {
    fn cells(&self, setup: &Setup) -> Vec<String> {
        let capped_from = setup.first_capped_attempt();
        let largest = self
            .scheduled
            .iter()
            .flatten()
            .map(|&(_, d)| d)
            .max()
            .unwrap_or_default();
        let capped: Vec<usize> = self
            .scheduled
            .iter()
            .map(|s| s.iter().filter(|(a, _)| *a >= capped_from).count())
            .collect();
        let gaps: Vec<Duration> = self
            .connects
            .iter()
            .flat_map(|c| c.windows(2).map(|w| w[1] - w[0]))
            .collect();
        let largest_gap = gaps.iter().copied().max().unwrap_or_default();
        let shortest_gap = gaps.iter().copied().min();
        let reached = capped.iter().all(|&n| n > 0);
        let spaced = shortest_gap.is_none_or(|g| g >= setup.min_interval);
        let verdict = match (reached, spaced) {
            (true, true) => "reaches the maximum, CONNECTs spaced: met".to_owned(),
            (false, _) => "MISSED: a client never reached the capped base".to_owned(),
            (true, false) => "MISSED: two CONNECTs closer than the minimum interval".to_owned(),
        };
        vec![
            self.first_delays
                .iter()
                .map(|d| format!("{:.1}", d.as_secs_f64()))
                .collect::<Vec<_>>()
                .join(", "),
            fmt_duration(largest),
            format!(
                "{} ({})",
                capped.iter().sum::<usize>(),
                capped
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(" + ")
            ),
            fmt_duration(largest_gap),
            shortest_gap.map_or("–".into(), fmt_duration),
            verdict,
        ]
    }
}

async fn measure(setup: &Setup) -> BenchResult<Measured> {
    let sim = Simulator::start(SimConfig::with_devices(CLIENTS))
        .map_err(|e| BenchError::Broker(e.to_string()))?;
    let fleet = start_fleet(&sim, CLIENTS, setup.profile, "navien-client-kick-").await?;
    tokio::time::sleep(setup.profile.stable_after() + Duration::from_secs(1)).await;
    let start = Instant::now();
    let fault = Fault::KickAfterConnack(setup.kick_after);
    fault.start(&sim, &[]);
    tokio::time::sleep(setup.length).await;
    fault.end(&sim);
    let scheduled: Vec<Vec<(u64, Duration)>> = fleet
        .iter()
        .map(|c| {
            c.timeline
                .events()
                .into_iter()
                .filter(|(at, _)| *at >= start)
                .filter_map(|(_, e)| match e {
                    Event::ReconnectScheduled { attempt, delay, .. } => Some((attempt, delay)),
                    _ => None,
                })
                .collect()
        })
        .collect();
    let connects = fleet
        .iter()
        .map(|c| {
            sim.connect_times(&c.id)
                .into_iter()
                .filter(|&t| t >= start)
                .collect()
        })
        .collect();
    stop_fleet(&fleet).await;
    let _ = tokio::task::spawn_blocking(move || drop(sim)).await;
    Ok(Measured {
        first_delays: scheduled
            .first()
            .map(|s| s.iter().map(|&(_, d)| d).collect())
            .unwrap_or_default(),
        scheduled,
        connects,
    })
}
