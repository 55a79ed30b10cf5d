//! Section 1 — dispatch throughput: status answers (the G3 payload, varied) published by a
//! separate client through a real broker on loopback to one client subscribed to N devices.
//! Every receiver runs on one actix (single-threaded) runtime, the publisher on its own thread.

use std::sync::Arc;
use std::time::Duration;

use actix::Actor;
use nwp500::client::Client;
use nwp500::config::ClientConfig;
use nwp500::subscriptions::StatusUpdate;
use tokio::sync::mpsc;

use crate::arrivals::Arrivals;
use crate::bare::BareClient;
use crate::brokers::{Broker, BrokerKind};
use crate::cli::Options;
use crate::client::{count_statuses, start_and_wait, Placement, BENCH_CLIENT_ID, HANDLER_CAPACITY};
use crate::decoding::DecodeToHandler;
use crate::error::{BenchError, BenchResult};
use crate::link::Link;
use crate::payload::{device_filter, StatusPool};
use crate::publisher::{self, PublishReport};
use crate::report::{case_command, Table};
use crate::stack::Stack;
use crate::stats::fmt_rate;

/// Device counts the receiver subscribes to.
const DEVICE_COUNTS: [usize; 2] = [1, 100];

/// Target rate and target share of the bare client's rate.
const TARGET_RATE: f64 = 50_000.0;
const TARGET_SHARE: f64 = 0.70;

/// Who receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Receiver {
    /// Bare rumqttc, counting publishes without decoding (the ceiling).
    Bare,
    /// nwp500 Connection actor → decode once (`classify`) → status handler.
    ConnectionDecode,
    /// nwp500 Connection → Subscriptions actor (registry, decode, typed status handlers).
    Subscriptions,
    /// The whole nwp500 client (`Client::start`): every actor, no event-bus listener.
    Client,
    /// The whole client with an `events()` listener draining the bus: each status is also
    /// serialised into an `Event::Status` (what the monitor does).
    ClientWithEvents,
}

impl Receiver {
    const ALL: [Receiver; 5] = [
        Receiver::Bare,
        Receiver::ConnectionDecode,
        Receiver::Subscriptions,
        Receiver::Client,
        Receiver::ClientWithEvents,
    ];

    fn label(self) -> &'static str {
        match self {
            Receiver::Bare => "bare rumqttc, no decoding (ceiling)",
            Receiver::ConnectionDecode => "nwp500 Connection actor + classify → handler",
            Receiver::Subscriptions => "nwp500 Connection → Subscriptions → typed status handler",
            Receiver::Client => "nwp500 `Client` → typed status handler",
            Receiver::ClientWithEvents => {
                "nwp500 `Client` → typed status handler + `events()` listener"
            }
        }
    }
}

/// One receiver's result in one run.
struct Measured {
    rate: f64,
    publisher: PublishReport,
}

/// Runs the section.
pub async fn run(opts: &Options) -> BenchResult<Vec<Table>> {
    let messages = opts.pick(20_000, 100_000);
    let runs = opts.pick(2, 3);
    let mut table = Table::new(
        "1. Dispatch throughput (status answers through a broker on loopback)",
        &[
            "case",
            "broker",
            "devices",
            "receiver",
            "msg/s median (min–max)",
            "share of bare",
            "publisher acked msg/s",
            "target",
            "command",
        ],
    );
    for kind in BrokerKind::ALL {
        if !DEVICE_COUNTS
            .iter()
            .any(|n| opts.wants(&format!("{}/{n}", kind.label())))
        {
            continue;
        }
        let broker = Broker::start(kind)?;
        for devices in DEVICE_COUNTS {
            let case = format!("{}/{devices}", kind.label());
            if !opts.wants(&case) {
                continue;
            }
            let pool = Arc::new(
                StatusPool::new(devices, (2048 / devices).max(4), 42)
                    .map_err(BenchError::client)?,
            );
            let mut results: Vec<(Receiver, Vec<Measured>)> =
                Receiver::ALL.iter().map(|r| (*r, Vec::new())).collect();
            for _ in 0..runs {
                for (receiver, samples) in results.iter_mut() {
                    samples.push(measure(*receiver, &broker, &pool, messages).await?);
                }
            }
            let bare_median = median(
                results
                    .iter()
                    .find(|(r, _)| *r == Receiver::Bare)
                    .map(|(_, s)| s),
            );
            for (receiver, samples) in &results {
                let med = median(Some(samples));
                let (min, max) = samples.iter().fold((f64::MAX, 0f64), |(lo, hi), m| {
                    (lo.min(m.rate), hi.max(m.rate))
                });
                let share = med / bare_median.max(1e-9);
                let publisher = samples
                    .iter()
                    .map(|m| m.publisher.rate())
                    .fold(0f64, f64::max);
                let target = if *receiver == Receiver::Bare {
                    "–".to_owned()
                } else {
                    verdict(med, share)
                };
                table.row(vec![
                    case.clone(),
                    kind.label().into(),
                    devices.to_string(),
                    receiver.label().into(),
                    format!("{} ({}–{})", fmt_rate(med), fmt_rate(min), fmt_rate(max)),
                    format!("{:.0} %", share * 100.0),
                    fmt_rate(publisher),
                    target,
                    case_command("throughput", &case, opts.quick),
                ]);
            }
            eprintln!("   {case} done");
        }
    }
    table.note(format!(
        "{messages} messages per run, {runs} runs per receiver, receivers interleaved run by run. \
         Mean payload {} bytes (the G3 answer envelope with 15 status values varied per message, \
         seeded). The publisher is a separate rumqttc client on its own thread publishing QoS 1 \
         (1 000 in flight); receivers subscribe QoS 1 to one `cmd/52/navilink-<mac>/#` per \
         device and acknowledge every message. Rate = (messages − 1) / (last arrival − first \
         arrival) at the handler. The two `Client` rows differ only by an `events()` \
         listener: with one, every status is also serialised into an `Event::Status` for the \
         bus (what the monitor does); without, that step is skipped. Every receiver, the `Client` \
         rows included (`Client::start` inside the harness's actix system, as an application \
         embedding the actors does), runs on the harness's single actix thread: started from \
         plain async code outside a System, a `Client` runs on a thread of its own, and the \
         extra hop to the handler's thread cost 15–25 % of the rate on this 2-core machine in \
         earlier runs. Plain MQTT over TCP on 127.0.0.1; the broker, the publisher \
         and the receiver share the machine's cores.",
        StatusPool::new(1, 16, 42)
            .map(|p| p.mean_payload_len())
            .unwrap_or(0)
    ));
    Ok(vec![table])
}

fn median(samples: Option<&Vec<Measured>>) -> f64 {
    let mut rates: Vec<f64> = samples
        .map(|s| s.iter().map(|m| m.rate).collect())
        .unwrap_or_default();
    rates.sort_by(f64::total_cmp);
    rates
        .get(rates.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or(0.0)
}

fn verdict(rate: f64, share: f64) -> String {
    let mut misses = Vec::new();
    if rate < TARGET_RATE {
        misses.push(format!(
            "rate {:.0} % below 50 000/s",
            (1.0 - rate / TARGET_RATE) * 100.0
        ));
    }
    if share < TARGET_SHARE {
        misses.push(format!(
            "share {:.0} points below 70 %",
            (TARGET_SHARE - share) * 100.0
        ));
    }
    if misses.is_empty() {
        "≥ 50 000/s and ≥ 70 %: met".into()
    } else {
        format!("MISSED: {}", misses.join("; "))
    }
}

async fn measure(
    receiver: Receiver,
    broker: &Broker,
    pool: &Arc<StatusPool>,
    messages: usize,
) -> BenchResult<Measured> {
    let arrivals = Arrivals::new(messages as u64);
    let filters: Vec<String> = (0..pool.devices()).map(device_filter).collect();
    let closer: Box<dyn FnOnce() -> futures::future::BoxFuture<'static, ()>> = match receiver {
        Receiver::Bare => {
            let mut client =
                BareClient::connect("bench-throughput-bare", broker.port, arrivals.clone()).await?;
            client.subscribe_batched(&filters).await?;
            Box::new(move || Box::pin(client.close()))
        }
        Receiver::ConnectionDecode => {
            let dispatcher = DecodeToHandler::new(arrivals.clone()).start();
            let mut link = Link::start(
                &broker.url(),
                "bench-throughput-nwp500",
                Some(dispatcher.recipient()),
            )?;
            link.connect().await?;
            link.subscribe(filters).await?;
            Box::new(move || Box::pin(async move { link.close().await }))
        }
        Receiver::Subscriptions => {
            let mut stack = Stack::start(&broker.url())?;
            let (tx, mut rx) = mpsc::channel::<StatusUpdate>(HANDLER_CAPACITY);
            for d in 0..pool.devices() {
                stack.add_status_handler(d, tx.clone()).await?;
            }
            let counter = arrivals.clone();
            tokio::spawn(async move {
                while let Some(update) = rx.recv().await {
                    std::hint::black_box(&update);
                    counter.record();
                }
            });
            stack.connect().await?;
            stack.replay().await?;
            Box::new(move || Box::pin(async move { stack.close().await }))
        }
        Receiver::Client | Receiver::ClientWithEvents => {
            let macs: Vec<String> = (0..pool.devices())
                .map(crate::payload::device_mac)
                .collect();
            let client: Client = start_and_wait(
                ClientConfig::builder()
                    .mqtt_url(broker.url())
                    .client_id(BENCH_CLIENT_ID)
                    .devices(macs),
                Placement::Here,
                Duration::from_secs(30),
            )
            .await?;
            let counter = arrivals.clone();
            count_statuses(&client, 0, pool.devices(), move |update| {
                std::hint::black_box(update);
                counter.record();
            })
            .await?;
            // The client keeps its first `events()` receiver (so that it sees every event
            // since start) until somebody takes it: take it here, and without a listener
            // drop it, so that the bus really has no listener.
            let mut events = client.events();
            let listener = match receiver {
                Receiver::ClientWithEvents => Some(tokio::spawn(async move {
                    loop {
                        match events.recv().await {
                            Ok(e) => {
                                std::hint::black_box(&e);
                            }
                            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                        }
                    }
                })),
                _ => {
                    drop(events);
                    None
                }
            };
            Box::new(move || {
                Box::pin(async move {
                    let _ = client.disconnect().await;
                    if let Some(task) = listener {
                        task.abort();
                    }
                })
            })
        }
    };
    let publisher = publisher::spawn(broker.port, pool.clone(), messages)?;
    let report = tokio::task::spawn_blocking(move || publisher.join())
        .await
        .map_err(BenchError::client)?
        .map_err(|_| BenchError::client("publisher thread panicked"))??;
    // Every message is acknowledged by the broker; the receiver may still be catching up.
    let complete = arrivals.wait(Duration::from_secs(30)).await;
    closer().await;
    if !complete {
        return Err(BenchError::client(format!(
            "{}: {} of {messages} messages delivered",
            receiver.label(),
            arrivals.count()
        )));
    }
    Ok(Measured {
        rate: arrivals.rate(),
        publisher: report,
    })
}
