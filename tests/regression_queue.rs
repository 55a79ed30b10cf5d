//! Regression tests for the reference client's command-queue bugs
//! (docs/reference-client-bugs.md): commands before the first connection, across a deep
//! reconnect, too old or overflowing, racing a dropped link, cut off by a transport
//! replacement, and on a half-open link. End to end against nwp500-sim.

#[path = "support/events.rs"]
mod events;
#[path = "recovery_support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use events::{command_events, Events};
use nwp500::client::{Client, ClientError};
use nwp500::config::ClientConfigBuilder;
use nwp500::connection::{
    Close, CommandEvent, Connect, Connection, ConnectionEvent, ConnectionSettings, FlushQueue,
    Publish, PublishOutcome, RequestError,
};
use nwp500::events::{AttemptKind, Event};
use nwp500::protocol::{ClientIdentity, Command, DeviceRef, DhwMode, MacAddress, UnitSystem};
use nwp500_sim::{AwsQuotas, SimConfig, Simulator};
use support::{assert_invariants, connected, fast, Recorder};

const MIN: Duration = Duration::from_millis(100);
const WAIT: Duration = Duration::from_secs(15);
const DHW_MODE: u64 = 33_554_437;
const DHW_TEMPERATURE: u64 = 33_554_464;
const RESERVATION_READ: u64 = 16_777_222;

/// No status poll during the test window, so the queue holds only the test's commands.
fn quiet_polls(b: ClientConfigBuilder) -> ClientConfigBuilder {
    b.poll_interval(Duration::from_secs(60))
}

/// Connected, with the device's feature report known (gated commands can be validated
/// offline).
async fn ready(
    configure: impl FnOnce(ClientConfigBuilder) -> ClientConfigBuilder,
) -> (Simulator, Client, Recorder) {
    let (sim, client, rec) = connected(SimConfig::default(), |b| configure(quiet_polls(b))).await;
    rec.wait_for(0, "feature", 1, WAIT).await;
    sim.devices()[0].clear_commands();
    (sim, client, rec)
}

/// Cuts the link and keeps it down until `restore`.
async fn outage(sim: &Simulator, rec: &Recorder) -> usize {
    let mark = rec.len();
    sim.set_refuse_connections(true);
    sim.drop_all_connections();
    rec.wait_for(mark, "interrupted", 1, WAIT).await;
    mark
}

async fn send_mode(client: &Client, mac: &str, mode: DhwMode) -> PublishOutcome {
    client
        .send(mac, Command::SetDhwMode { mode })
        .await
        .unwrap()
}

fn received_modes(sim: &Simulator) -> Vec<i64> {
    sim.devices()[0]
        .commands_with_code(DHW_MODE)
        .iter()
        .filter_map(|c| c.param().and_then(|p| p.first()).and_then(|v| v.as_i64()))
        .collect()
}

/// L-9: a command issued before the first connection is ever established is queued and
/// sent, once, as soon as that first connection is ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_issued_before_the_first_connection_is_sent_after_it() {
    let sim = Simulator::start(SimConfig::default()).unwrap();
    sim.set_refuse_connections(true);
    let client = Client::start(fast(&sim).build().unwrap()).await.unwrap();
    let rec = Recorder::attach(&client);
    let device = sim.devices()[0].clone();
    let outcome = client
        .send(device.mac(), Command::RequestReservations)
        .await
        .unwrap();
    assert!(
        matches!(outcome, PublishOutcome::Queued { .. }),
        "{outcome:?}"
    );
    // The first attempt fails; the command waits.
    rec.wait_for(0, "reconnect_scheduled", 1, WAIT).await;
    sim.set_refuse_connections(false);
    assert!(device.wait_for_commands(RESERVATION_READ, 1, WAIT).await);
    rec.wait_for(0, "command_sent", 1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(device.command_count(RESERVATION_READ), 1);
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

/// P-18: commands queued during an outage are flushed after a recovery through deep
/// reconnects (forced renewal, Connection actor restarted), in order and once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_queued_during_an_outage_are_flushed_after_a_deep_reconnect() {
    let (sim, client, rec) = ready(|b| b.deep_reconnect_every(1)).await;
    let mac = sim.devices()[0].mac().to_owned();
    let mark = outage(&sim, &rec).await;
    let modes = [DhwMode::HeatPump, DhwMode::Electric, DhwMode::HighDemand];
    for mode in modes {
        let outcome = send_mode(&client, &mac, mode).await;
        assert!(
            matches!(outcome, PublishOutcome::Queued { .. }),
            "{outcome:?}"
        );
    }
    // At least one deep attempt (which restarts the Connection actor) fails meanwhile.
    rec.wait_for(mark, "reconnect_scheduled", 2, WAIT).await;
    sim.set_refuse_connections(false);
    rec.wait_for(mark, "recovered", 1, WAIT).await;
    assert!(
        sim.devices()[0]
            .wait_for_commands(DHW_MODE, 3, Duration::from_secs(5))
            .await
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        received_modes(&sim),
        modes.iter().map(|m| m.raw()).collect::<Vec<_>>()
    );
    let events = rec.since(mark);
    let kinds: Vec<AttemptKind> = events
        .iter()
        .filter_map(|e| match e {
            Event::Connecting { kind, .. } => Some(*kind),
            _ => None,
        })
        .collect();
    assert!(kinds.iter().all(|k| *k == AttemptKind::Deep), "{kinds:?}");
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::CredentialsRenewed { .. })));
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

/// P-30, L-20: a command older than the maximum age at flush time is reported as expired
/// and never sent; overflow drops the oldest entry and reports it; the rest arrive in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_commands_expire_and_overflow_is_reported_never_silent() {
    let (sim, client, rec) = ready(|b| {
        b.queue_max_age(Duration::from_millis(1_500))
            .queue_capacity(3)
    })
    .await;
    let mac = sim.devices()[0].mac().to_owned();
    let setpoint = Command::SetDhwTemperature {
        temperature: 120.0,
        unit: UnitSystem::UsCustomary,
    };

    // Expiry: the setpoint waits longer than the maximum age.
    let mark = outage(&sim, &rec).await;
    client.send(&mac, setpoint.clone()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    send_mode(&client, &mac, DhwMode::HeatPump).await;
    send_mode(&client, &mac, DhwMode::Electric).await;
    sim.set_refuse_connections(false);
    rec.wait_for(mark, "recovered", 1, WAIT).await;
    assert!(
        sim.devices()[0]
            .wait_for_commands(DHW_MODE, 2, Duration::from_secs(5))
            .await
    );
    rec.wait_for(mark, "command_expired", 1, WAIT).await;
    let expired = rec.since(mark).into_iter().find_map(|e| match e {
        Event::CommandExpired { command, age, .. } => Some((command, age)),
        _ => None,
    });
    let (command, age) = expired.expect("the expiry is reported");
    assert_eq!(u64::from(command), DHW_TEMPERATURE);
    assert!(age >= Duration::from_millis(1_500), "{age:?}");

    // Overflow: a fourth command pushes the oldest (the setpoint) out.
    let mark = outage(&sim, &rec).await;
    client.send(&mac, setpoint).await.unwrap();
    for mode in [DhwMode::EnergySaver, DhwMode::HighDemand, DhwMode::HeatPump] {
        send_mode(&client, &mac, mode).await;
    }
    // (A status request cut off by the drop may sit in the queue too and be dropped
    // first: polls answered at the recovery are still in flight.)
    rec.wait_since(mark, WAIT, "the setpoint dropped", |events| {
        events.iter().any(|e| {
            matches!(e, Event::CommandDropped { command, .. } if u64::from(*command) == DHW_TEMPERATURE)
        })
    })
    .await;
    sim.set_refuse_connections(false);
    rec.wait_for(mark, "recovered", 1, WAIT).await;
    assert!(
        sim.devices()[0]
            .wait_for_commands(DHW_MODE, 5, Duration::from_secs(5))
            .await
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(received_modes(&sim), vec![1, 2, 3, 4, 1]);
    assert_eq!(sim.devices()[0].command_count(DHW_TEMPERATURE), 0);
    // Every drop and every expiry was reported, and counted.
    let diagnostics = client.diagnostics().await.unwrap();
    let reported = |name: &str| rec.all().iter().filter(|e| e.name() == name).count() as u64;
    assert_eq!(diagnostics.queue_expired, reported("command_expired"));
    assert_eq!(diagnostics.queue_drops, reported("command_dropped"));
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

/// L-10, P-6: commands sent while the broker drops the link are acknowledged, queued or
/// put back in the queue — never refused as "not connected" — and every one arrives after
/// the single recovery the drop causes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_racing_a_dropped_link_are_queued_never_refused() {
    let (sim, client, rec) = ready(|b| b).await;
    let mac = sim.devices()[0].mac().to_owned();
    let modes = [
        DhwMode::HeatPump,
        DhwMode::Electric,
        DhwMode::EnergySaver,
        DhwMode::HighDemand,
    ];
    let mark = rec.len();
    sim.drop_all_connections();
    for i in 0..12 {
        let outcome = client
            .send(&mac, Command::SetDhwMode { mode: modes[i % 4] })
            .await;
        assert!(
            matches!(
                outcome,
                Ok(PublishOutcome::Acknowledged
                    | PublishOutcome::Queued { .. }
                    | PublishOutcome::Requeued { .. })
            ),
            "{outcome:?}"
        );
    }
    rec.wait_for(mark, "recovered", 1, WAIT).await;
    assert!(
        sim.devices()[0]
            .wait_for_commands(DHW_MODE, 12, Duration::from_secs(5))
            .await
    );
    let events = rec.since(mark);
    assert_eq!(
        events.iter().filter(|e| e.name() == "interrupted").count(),
        1
    );
    assert_eq!(events.iter().filter(|e| e.name() == "recovered").count(), 1);
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}

/// P-4: a publish cut off because its transport is closed on purpose (as the supervisor
/// does before every new attempt) is not an error: it goes back to the queue (its caller
/// is told `Requeued`), no interruption is reported, and the next connection sends it once.
#[actix::test]
async fn a_publish_cut_off_by_closing_its_transport_is_requeued_and_sent_once() {
    let sim = Simulator::start(SimConfig::default()).unwrap();
    // The actor alone reconnects at once: the CONNECT-rate quota alone is lifted.
    sim.set_quotas(AwsQuotas {
        min_connect_interval_per_client_id: None,
        ..sim.quotas()
    });
    let device = sim.devices()[0].clone();
    let mut sink = Events::start();
    let mut settings =
        ConnectionSettings::new(sim.mqtt_tcp_url(), "navien-client-0000a004").unwrap();
    settings.connect_timeout = Duration::from_secs(2);
    settings.close_timeout = Duration::from_millis(300);
    let conn = Connection::new(settings, sink.events_recipient(), sink.incoming_recipient())
        .unwrap()
        .start_supervised();
    conn.send(Connect {
        generation: 1,
        credentials: None,
    })
    .await
    .unwrap()
    .unwrap();
    conn.send(FlushQueue).await.unwrap().unwrap();
    let target = DeviceRef::nwp500(
        MacAddress::new(device.mac()).unwrap(),
        device.additional_value(),
    );
    let request = Command::RequestReservations
        .build(&ClientIdentity::random(), &target, None)
        .unwrap();
    device.clear_commands();

    // The publish goes into a black hole: written, never acknowledged.
    sim.set_blackhole(true);
    let publish = conn.send(Publish {
        topic: request.topic.clone(),
        payload: request.payload_bytes().into(),
        label: None,
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    conn.send(Close { generation: 1 }).await.unwrap();
    assert_eq!(
        publish.await.unwrap(),
        Ok(PublishOutcome::Requeued { queue_len: 1 })
    );

    sim.set_blackhole(false);
    conn.send(Connect {
        generation: 2,
        credentials: None,
    })
    .await
    .unwrap()
    .unwrap();
    let report = conn.send(FlushQueue).await.unwrap().unwrap();
    assert_eq!((report.sent, report.complete), (1, true));
    assert!(
        device
            .wait_for_commands(RESERVATION_READ, 1, Duration::from_secs(3))
            .await
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(device.command_count(RESERVATION_READ), 1);
    let events = sink.drain();
    assert!(
        events
            .iter()
            .all(|e| !matches!(e, ConnectionEvent::Interrupted { .. })),
        "{events:?}"
    );
    let commands = command_events(&events);
    assert!(matches!(
        commands.first(),
        Some(CommandEvent::Queued { .. })
    ));
    assert!(matches!(commands.last(), Some(CommandEvent::Sent { .. })));
}

/// P-22: a command sent on a half-open link (socket open, nothing gets through) returns
/// within the operation timeout, not after minutes, and is delivered after the recovery
/// when it was put back in the queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_on_a_half_open_link_returns_within_the_operation_timeout() {
    let (sim, client, rec) = ready(|b| b).await;
    let mac = sim.devices()[0].mac().to_owned();
    let mark = rec.len();
    sim.set_blackhole(true);
    let started = Instant::now();
    let outcome = client
        .send(
            &mac,
            Command::SetDhwMode {
                mode: DhwMode::HighDemand,
            },
        )
        .await;
    // Operation timeout 2 s (plus scheduling slack on a loaded machine).
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    let requeued = match outcome {
        Ok(PublishOutcome::Requeued { .. }) => true,
        Err(ClientError::Request(RequestError::Timeout { .. })) => false,
        other => panic!("unexpected outcome {other:?}"),
    };
    rec.wait_for(mark, "interrupted", 1, Duration::from_secs(5))
        .await;
    sim.set_blackhole(false);
    rec.wait_for(mark, "recovered", 1, WAIT).await;
    if requeued {
        assert!(
            sim.devices()[0]
                .wait_for_commands(DHW_MODE, 1, Duration::from_secs(5))
                .await
        );
    }
    support::disconnect(&client, &rec).await;
    assert_invariants(&sim, &client, &rec.all(), MIN);
}
