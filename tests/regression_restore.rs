//! Regression tests for the reference client's restore bugs (docs/reference-client-bugs.md):
//! the Reconnector and a real Connection actor against nwp500-sim (plain MQTT over TCP),
//! with scripted stand-ins for the Subscriptions and PeriodicRequests actors, so that a
//! replay can be made to fail on purpose.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix::{Actor, Addr, AsyncContext, Context, Handler};
use nwp500::bus::EventBus;
use nwp500::clock::{SharedClock, TokioClock};
use nwp500::connection::{
    Connection, ConnectionSettings, GetStatus, IncomingPublish, Publish, PublishOutcome,
    RequestError,
};
use nwp500::events::{Event, TimestampedEvent};
use nwp500::periodic::{Pause, Resume};
use nwp500::policy::{ConnectSpacing, HandoverConfig, PolicyConfig};
use nwp500::protocol::{ClientIdentity, Command, DeviceRef, MacAddress};
use nwp500::reconnector::{
    GetDiagnostics, GetPhase, Peers, Phase, Reconnector, ReconnectorSettings, Start,
};
use nwp500::subscriptions::{
    GetFilterBatches, Replay, ReplayError, ReplayReport, SetLink, SetOverlap,
};
use nwp500_sim::{AwsQuotas, DeviceHandle, SimConfig, Simulator};
use tokio::sync::broadcast;

const RESERVATION_READ: u64 = 16_777_222;

type ReplayAnswer = Result<ReplayReport, ReplayError>;

/// What the stand-ins saw.
#[derive(Default)]
struct Seen {
    /// Commands the device had received when each replay was asked for.
    device_commands_at_replay: Vec<usize>,
    resumes: usize,
    pauses: usize,
}

/// Stands in for Subscriptions: answers replays from a script (the last answer repeats).
struct Subs {
    script: VecDeque<ReplayAnswer>,
    device: DeviceHandle,
    seen: Arc<Mutex<Seen>>,
}

impl Actor for Subs {
    type Context = Context<Self>;
}

impl Handler<Replay> for Subs {
    type Result = ReplayAnswer;
    fn handle(&mut self, _: Replay, _: &mut Context<Self>) -> ReplayAnswer {
        let count = self.device.command_count(RESERVATION_READ);
        self.seen
            .lock()
            .unwrap()
            .device_commands_at_replay
            .push(count);
        if self.script.len() > 1 {
            self.script.pop_front().unwrap()
        } else {
            self.script.front().cloned().unwrap()
        }
    }
}

impl Handler<SetLink> for Subs {
    type Result = ();
    fn handle(&mut self, _: SetLink, _: &mut Context<Self>) {}
}

impl Handler<IncomingPublish> for Subs {
    type Result = ();
    fn handle(&mut self, _: IncomingPublish, _: &mut Context<Self>) {}
}

impl Handler<GetFilterBatches> for Subs {
    type Result = Vec<Vec<String>>;
    fn handle(&mut self, _: GetFilterBatches, _: &mut Context<Self>) -> Self::Result {
        Vec::new()
    }
}

impl Handler<SetOverlap> for Subs {
    type Result = ();
    fn handle(&mut self, _: SetOverlap, _: &mut Context<Self>) {}
}

/// Stands in for PeriodicRequests: counts pauses and resumes.
struct Polls(Arc<Mutex<Seen>>);

impl Actor for Polls {
    type Context = Context<Self>;
}

impl Handler<Pause> for Polls {
    type Result = ();
    fn handle(&mut self, _: Pause, _: &mut Context<Self>) {
        self.0.lock().unwrap().pauses += 1;
    }
}

impl Handler<Resume> for Polls {
    type Result = ();
    fn handle(&mut self, _: Resume, _: &mut Context<Self>) {
        self.0.lock().unwrap().resumes += 1;
    }
}

struct Rig {
    sim: Simulator,
    reconnector: Addr<Reconnector>,
    connection: Addr<Connection>,
    events: broadcast::Receiver<TimestampedEvent>,
    seen: Arc<Mutex<Seen>>,
}

/// A Reconnector with no Auth (the simulator's TCP listener needs no signing), a real
/// Connection and the stand-ins. Must run inside an actix System.
fn rig(script: Vec<ReplayAnswer>) -> Rig {
    let sim = Simulator::start(SimConfig::default()).unwrap();
    // The rig reconnects 100 ms apart: the CONNECT-rate quota alone is lifted.
    sim.set_quotas(AwsQuotas {
        min_connect_interval_per_client_id: None,
        ..sim.quotas()
    });
    let clock: SharedClock = Arc::new(TokioClock);
    let bus = EventBus::new(1024, clock.clone());
    let events = bus.subscribe();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let subs = Subs {
        script: script.into(),
        device: sim.devices()[0].clone(),
        seen: seen.clone(),
    }
    .start();
    let polls = Polls(seen.clone()).start();
    let client_id = "navien-client-0000c0de";
    let context = Context::<Reconnector>::new();
    let mut settings = ConnectionSettings::new(sim.mqtt_tcp_url(), client_id).unwrap();
    settings.connect_timeout = Duration::from_secs(2);
    settings.operation_timeout = Duration::from_secs(2);
    settings.close_timeout = Duration::from_millis(300);
    settings.clock = clock.clone();
    let connection = Connection::new(
        settings,
        context.address().recipient(),
        subs.clone().recipient(),
    )
    .unwrap()
    .start_supervised();
    let reconnector = context.run(Reconnector::new(
        ReconnectorSettings {
            client_id: client_id.into(),
            handover: HandoverConfig {
                lifetime: None,
                ..HandoverConfig::default()
            },
            handover_bound: Duration::from_secs(2),
            connect_spacing: ConnectSpacing::default(),
            policy: PolicyConfig {
                initial_delay: Duration::from_millis(100),
                max_delay: Duration::from_millis(400),
                min_connect_interval: Duration::from_millis(100),
                ..PolicyConfig::default()
            },
            seed: Some(7),
            operation_timeout: Duration::from_secs(2),
            probe_interval: Duration::from_millis(200),
            probe_target: None,
            api_probe_target: None,
            needs_tls: false,
            clock,
        },
        Peers {
            auth: None,
            connection: connection.clone(),
            replay: subs.clone().recipient(),
            link: subs.clone().recipient(),
            filters: subs.clone().recipient(),
            overlap: subs.recipient(),
            resume: polls.clone().recipient(),
            pause: polls.recipient(),
            bus,
            discovery: None,
        },
    ));
    Rig {
        sim,
        reconnector,
        connection,
        events,
        seen,
    }
}

/// Queues a reservation read for the simulated device in the Connection actor.
async fn queue_command(rig: &Rig) {
    let device = &rig.sim.devices()[0];
    let target = DeviceRef::nwp500(
        MacAddress::new(device.mac()).unwrap(),
        device.additional_value(),
    );
    let request = Command::RequestReservations
        .build(&ClientIdentity::random(), &target, None)
        .unwrap();
    let outcome = rig
        .connection
        .send(Publish {
            payload: request.payload_bytes().into(),
            topic: request.topic,
            label: None,
        })
        .await
        .unwrap();
    assert_eq!(outcome, Ok(PublishOutcome::Queued { queue_len: 1 }));
}

/// Waits until the Reconnector reports `phase`.
async fn wait_phase(rig: &Rig, phase: Phase, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if rig.reconnector.send(GetPhase).await.unwrap() == phase {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

fn drain(events: &mut broadcast::Receiver<TimestampedEvent>) -> Vec<Event> {
    let mut out = Vec::new();
    while let Ok(e) = events.try_recv() {
        out.push(e.event);
    }
    out
}

fn unacknowledged(restored: usize) -> ReplayAnswer {
    Err(ReplayError {
        restored,
        failed: 2 - restored,
        cause: RequestError::Timeout {
            after: Duration::from_secs(2),
        },
    })
}

/// L-4, P-20, P-12, L-5: a replay that does not get every SUBACK is a failed attempt, seen
/// as such (a scheduled retry, the error in the diagnostics); the queue is not flushed and
/// polling not resumed on that connection; only after a complete replay is the backlog
/// sent and polling resumed.
#[actix::test]
async fn a_failed_replay_is_a_failed_attempt_and_nothing_is_flushed_before_a_good_one() {
    let mut rig = rig(vec![
        unacknowledged(0),
        unacknowledged(1),
        Ok(ReplayReport {
            restored: 2,
            failed: 0,
        }),
    ]);
    queue_command(&rig).await;
    rig.reconnector.send(Start).await.unwrap();
    assert!(wait_phase(&rig, Phase::Up, Duration::from_secs(10)).await);
    let device = rig.sim.devices()[0].clone();
    assert!(
        device
            .wait_for_commands(RESERVATION_READ, 1, Duration::from_secs(3))
            .await
    );

    let events = drain(&mut rig.events);
    let count = |name: &str| events.iter().filter(|e| e.name() == name).count();
    assert_eq!(count("connected"), 3, "{events:?}");
    assert_eq!(count("reconnect_scheduled"), 2, "{events:?}");
    assert_eq!(count("resubscribed"), 1, "{events:?}");
    {
        let seen = rig.seen.lock().unwrap();
        // Nothing was flushed during (or after) the failed replays.
        assert_eq!(seen.device_commands_at_replay, vec![0, 0, 0]);
        assert_eq!(seen.resumes, 1);
        assert!(seen.pauses >= 2);
    }
    let diagnostics = rig.reconnector.send(GetDiagnostics).await.unwrap();
    assert!(
        diagnostics
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("resubscribe")),
        "{:?}",
        diagnostics.last_error
    );
    assert_eq!(rig.connection.send(GetStatus).await.unwrap().queue_len, 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(device.command_count(RESERVATION_READ), 1);
    assert!(rig.sim.max_concurrent_connections("navien-client-0000c0de") <= 1);
}

/// Found while auditing (next to L-4; docs/reference-client-bugs.md, "Found while
/// auditing" 1): a filter the broker refuses for good (SUBACK 0x80, e.g. not allowed by the
/// broker's policy) must not keep the client offline: the link itself is healthy, the refusal is
/// reported (`resubscribed` with `failed`), and the other filters work.
#[actix::test]
async fn a_filter_the_broker_refuses_for_good_does_not_keep_the_client_offline() {
    let rig = rig(vec![Ok(ReplayReport {
        restored: 1,
        failed: 1,
    })]);
    rig.reconnector.send(Start).await.unwrap();
    assert!(
        wait_phase(&rig, Phase::Up, Duration::from_secs(5)).await,
        "never up: every restore failed on the refused filter"
    );
}
