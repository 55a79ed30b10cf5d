//! Section 2 — subscription replay: time from CONNACK to the last SUBACK for the whole
//! registry, nwp500 (the Subscriptions actor's `Replay`: registry batches of 8 filters, all
//! packets pipelined by the Connection actor) against the reference client's way (one SUBSCRIBE per topic, each awaited) and a bare
//! rumqttc client pipelining the same batches (the floor), in the same run, on the same broker.

use std::time::{Duration, Instant};

use nwp500::registry::{SubscriptionRegistry, MAX_FILTERS_PER_SUBSCRIBE};
use tokio::sync::mpsc;

use crate::arrivals::Arrivals;
use crate::bare::BareClient;
use crate::brokers::{Broker, BrokerKind};
use crate::cli::Options;
use crate::error::BenchResult;
use crate::payload::device_filter;
use crate::report::{case_command, Table};
use crate::stack::Stack;
use crate::stats::{fmt_duration, Summary};

/// Registry sizes measured.
const TOPIC_COUNTS: [usize; 4] = [10, 100, 1_000, 5_000];

/// The target: 1 000 topics replayed in under this on loopback.
const TARGET_1000: Duration = Duration::from_millis(50);

/// Runs the section.
pub async fn run(opts: &Options) -> BenchResult<Vec<Table>> {
    let mut table = Table::new(
        "2. Subscription replay (CONNACK → last SUBACK)",
        &[
            "case",
            "broker",
            "topics",
            "nwp500 `Replay` (8/packet, pipelined) median [min–p95]",
            "bare rumqttc pipelined (floor) median",
            "one SUBSCRIBE per topic, sequential (reference) median",
            "speed-up vs sequential",
            "target",
            "command",
        ],
    );
    for kind in BrokerKind::ALL {
        if !TOPIC_COUNTS
            .iter()
            .any(|k| opts.wants(&format!("{}/{k}", kind.label())))
        {
            continue;
        }
        let broker = Broker::start(kind)?;
        for topics in TOPIC_COUNTS {
            let case = format!("{}/{topics}", kind.label());
            if !opts.wants(&case) {
                continue;
            }
            let filters = registry_filters(topics);
            // The sequential baseline takes seconds per run at 5 000 topics on the embedded
            // broker; fewer runs keep the whole section within a couple of minutes.
            let runs = if topics >= 5_000 {
                opts.pick(3, 7)
            } else {
                opts.pick(5, 15)
            };
            let mut nwp = Vec::with_capacity(runs);
            let mut floor = Vec::with_capacity(runs);
            let mut sequential = Vec::with_capacity(runs);
            let mut stack = Stack::start(&broker.url())?;
            // One raw handler per filter; the receiver is kept so no handler is dropped.
            let (sink, _receiver) = mpsc::channel(16);
            for filter in &filters {
                stack.add_filter(filter.clone(), sink.clone()).await?;
            }
            for _ in 0..runs {
                nwp.push(nwp500_replay(&mut stack).await?);
                floor.push(bare_replay(&broker, &filters, false).await?);
                sequential.push(bare_replay(&broker, &filters, true).await?);
            }
            stack.close().await;
            let (Some(n), Some(f), Some(s)) = (
                Summary::of(&nwp),
                Summary::of(&floor),
                Summary::of(&sequential),
            ) else {
                continue;
            };
            let target = if topics == 1_000 {
                if n.median < TARGET_1000 {
                    format!("< 50 ms: met ({})", fmt_duration(n.median))
                } else {
                    format!(
                        "< 50 ms: MISSED by {}",
                        fmt_duration(n.median - TARGET_1000)
                    )
                }
            } else {
                "–".into()
            };
            table.row(vec![
                case.clone(),
                kind.label().into(),
                topics.to_string(),
                format!(
                    "{} [{}–{}]",
                    fmt_duration(n.median),
                    fmt_duration(n.min),
                    fmt_duration(n.p95)
                ),
                fmt_duration(f.median),
                fmt_duration(s.median),
                format!(
                    "{:.1}×",
                    s.median.as_secs_f64() / n.median.as_secs_f64().max(1e-9)
                ),
                target,
                case_command("replay", &case, opts.quick),
            ]);
        }
    }
    table.note(format!(
        "{} runs per row ({} at 5 000 topics), the three clients interleaved run by run; each run is a fresh \
         clean-session connection. Topics are device wildcards `cmd/52/navilink-<mac>/#`, each \
         registered with a handler in nwp500's Subscriptions actor while offline; after each \
         CONNACK the actor's `Replay` subscribes the whole registry (what the Reconnector does \
         after a connection without a session); every filter must be granted. The bare \
         pipelined client sends the same 8-filter packets without actors or registry. Plain MQTT over TCP on \
         127.0.0.1. mosquitto runs with `set_tcp_nodelay true` (otherwise Nagle's algorithm \
         on the broker delays back-to-back SUBACKs by the client's 40 ms delayed ACK, for every \
         pipelining client alike). The simulator's gateway forwards each chunk through a timer \
         (about 1 ms per hop even without injected latency), so a round trip there costs about \
         2.3 ms: pipelining hides it, one-at-a-time pays it per topic.",
        opts.pick(5, 15),
        opts.pick(3, 7)
    ));
    Ok(vec![table])
}

/// `count` distinct device filters, in registry replay order.
fn registry_filters(count: usize) -> Vec<String> {
    let mut registry = SubscriptionRegistry::new();
    for i in 0..count {
        // Filters are generated and valid; a refusal here would be a registry bug.
        if registry.add(&device_filter(i), ()).is_err() {
            continue;
        }
    }
    registry
        .replay_batches(MAX_FILTERS_PER_SUBSCRIBE)
        .into_iter()
        .flatten()
        .collect()
}

async fn nwp500_replay(stack: &mut Stack) -> BenchResult<Duration> {
    stack.connect().await?;
    let start = Instant::now();
    stack.replay().await?;
    Ok(start.elapsed())
}

async fn bare_replay(
    broker: &Broker,
    filters: &[String],
    sequential: bool,
) -> BenchResult<Duration> {
    let id = if sequential {
        "bench-replay-sequential"
    } else {
        "bench-replay-bare"
    };
    let mut client = BareClient::connect(id, broker.port, Arrivals::new(u64::MAX)).await?;
    let last = if sequential {
        client.subscribe_sequentially(filters).await?
    } else {
        client.subscribe_batched(filters).await?
    };
    let took = last.duration_since(client.connack_at);
    client.close().await;
    Ok(took)
}
