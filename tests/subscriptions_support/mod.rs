//! Shared support for the Subscriptions and PeriodicRequests tests: a fake Connection
//! actor that records requests and answers as told, a collecting actor, real protocol
//! payloads from the oracle, and log capture.
#![allow(dead_code)]

use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::prelude::*;
use nwp500::connection::{
    FilterOutcome, Publish, PublishOutcome, RequestError, Subscribe, Unsubscribe,
};
use nwp500::protocol::{ClientId, ClientIdentity, DeviceRef, MacAddress, SessionId};
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};
use tracing_subscriber::fmt::MakeWriter;

pub const MAC: &str = "aabbccddeeff";
pub const OTHER_MAC: &str = "001122334455";
pub const CLIENT_ID: &str = "navien-client-0a1b2c3d";

pub fn identity() -> ClientIdentity {
    ClientIdentity::new(
        ClientId::new(CLIENT_ID).unwrap(),
        SessionId::new("00112233445566778899aabbccddeeff").unwrap(),
    )
}

pub fn device() -> DeviceRef {
    DeviceRef::nwp500(MacAddress::new(MAC).unwrap(), "1234")
}

pub fn other_device() -> DeviceRef {
    DeviceRef::nwp500(MacAddress::new(OTHER_MAC).unwrap(), "5678")
}

fn oracle_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join("oracle")
        .join(name)
}

/// The raw `response.status` objects of `status.jsonl`.
pub fn oracle_statuses() -> Vec<Value> {
    let text = std::fs::read_to_string(oracle_path("status.jsonl")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["raw"].clone())
        .collect()
}

/// The raw `response.feature` objects of `feature.jsonl`.
pub fn oracle_features() -> Vec<Value> {
    let text = std::fs::read_to_string(oracle_path("feature.jsonl")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["raw"].clone())
        .collect()
}

pub fn fixtures() -> Value {
    let text = std::fs::read_to_string(oracle_path("fixtures.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A device answer envelope as the device publishes it on our default response topic.
pub fn answer_envelope(mac: &str, command: i64, key: &str, body: Value) -> Vec<u8> {
    json!({
        "clientID": CLIENT_ID,
        "sessionID": "00112233445566778899aabbccddeeff",
        "protocolVersion": 2,
        "requestTopic": format!("cmd/52/navilink-{mac}/st"),
        "responseTopic": format!("cmd/52/navilink-{mac}/{CLIENT_ID}/res"),
        "response": {
            "command": command,
            "deviceType": 52,
            "macAddress": mac,
            "additionalValue": "1234",
            key: body,
        }
    })
    .to_string()
    .into_bytes()
}

/// Where a device's answers to us arrive.
pub fn answer_topic(mac: &str) -> String {
    format!("cmd/52/navilink-{mac}/{CLIENT_ID}/res")
}

/// How the fake answers a SUBSCRIBE.
#[derive(Debug, Clone)]
pub enum SubscribeMode {
    /// Acknowledge every filter.
    Ack,
    /// Refuse these filters (SUBACK 0x80), acknowledge the rest.
    Refuse(HashSet<String>),
    /// Fail every packet whose index (0-based, counted over the fake's life) is in the set.
    FailPackets(HashSet<usize>, RequestError),
}

/// What the fake answers to publishes.
#[derive(Debug, Clone)]
pub enum PublishMode {
    Ack,
    Fail(RequestError),
    /// Never answer until the mode changes (the answer is then `Ack`).
    Hold,
}

#[derive(Debug, Default)]
pub struct Record {
    pub subscribes: Vec<Vec<String>>,
    pub unsubscribes: Vec<Vec<String>>,
    pub publishes: Vec<Publish>,
}

/// Stands in for the Connection actor.
pub struct FakeConnection {
    pub record: Arc<Mutex<Record>>,
    pub subscribe_mode: Arc<Mutex<SubscribeMode>>,
    pub publish_mode: Arc<Mutex<PublishMode>>,
    /// Answers to SUBSCRIBE are held until this many SUBSCRIBEs have arrived.
    hold_subscribes_until: usize,
    subscribe_count: watch::Sender<usize>,
    release_publishes: watch::Sender<u64>,
}

/// Handles to a started fake.
#[derive(Clone)]
pub struct Fake {
    pub addr: Addr<FakeConnection>,
    pub record: Arc<Mutex<Record>>,
    pub subscribe_mode: Arc<Mutex<SubscribeMode>>,
    pub publish_mode: Arc<Mutex<PublishMode>>,
    release_publishes: watch::Sender<u64>,
}

impl Fake {
    /// Starts a fake that acknowledges everything at once.
    pub fn start() -> Self {
        Self::start_holding_subscribes(0)
    }

    /// Starts a fake that answers no SUBSCRIBE before `n` of them have arrived.
    pub fn start_holding_subscribes(n: usize) -> Self {
        let record = Arc::new(Mutex::new(Record::default()));
        let subscribe_mode = Arc::new(Mutex::new(SubscribeMode::Ack));
        let publish_mode = Arc::new(Mutex::new(PublishMode::Ack));
        let (subscribe_count, _) = watch::channel(0);
        let (release_publishes, _) = watch::channel(0);
        let addr = FakeConnection {
            record: record.clone(),
            subscribe_mode: subscribe_mode.clone(),
            publish_mode: publish_mode.clone(),
            hold_subscribes_until: n,
            subscribe_count,
            release_publishes: release_publishes.clone(),
        }
        .start();
        Self {
            addr,
            record,
            subscribe_mode,
            publish_mode,
            release_publishes,
        }
    }

    pub fn subscribes(&self) -> Vec<Vec<String>> {
        self.record.lock().unwrap().subscribes.clone()
    }

    pub fn unsubscribes(&self) -> Vec<Vec<String>> {
        self.record.lock().unwrap().unsubscribes.clone()
    }

    pub fn publish_topics(&self) -> Vec<String> {
        self.record
            .lock()
            .unwrap()
            .publishes
            .iter()
            .map(|p| p.topic.clone())
            .collect()
    }

    pub fn publish_count(&self) -> usize {
        self.record.lock().unwrap().publishes.len()
    }

    pub fn set_subscribe_mode(&self, mode: SubscribeMode) {
        *self.subscribe_mode.lock().unwrap() = mode;
    }

    pub fn set_publish_mode(&self, mode: PublishMode) {
        *self.publish_mode.lock().unwrap() = mode;
        self.release_publishes.send_modify(|n| *n += 1);
    }
}

impl Actor for FakeConnection {
    type Context = Context<Self>;
}

fn ack_all(filters: Vec<String>) -> Vec<FilterOutcome> {
    filters
        .into_iter()
        .map(|filter| FilterOutcome {
            filter,
            result: Ok(()),
        })
        .collect()
}

impl Handler<Subscribe> for FakeConnection {
    type Result = ResponseFuture<Result<Vec<FilterOutcome>, RequestError>>;

    fn handle(&mut self, msg: Subscribe, _: &mut Context<Self>) -> Self::Result {
        let index = {
            let mut record = self.record.lock().unwrap();
            record.subscribes.push(msg.filters.clone());
            record.subscribes.len() - 1
        };
        self.subscribe_count.send_replace(index + 1);
        let answer = match self.subscribe_mode.lock().unwrap().clone() {
            SubscribeMode::Ack => Ok(ack_all(msg.filters)),
            SubscribeMode::Refuse(refused) => Ok(msg
                .filters
                .into_iter()
                .map(|filter| FilterOutcome {
                    result: if refused.contains(&filter) {
                        Err(RequestError::Rejected)
                    } else {
                        Ok(())
                    },
                    filter,
                })
                .collect()),
            SubscribeMode::FailPackets(packets, error) if packets.contains(&index) => Err(error),
            SubscribeMode::FailPackets(..) => Ok(ack_all(msg.filters)),
        };
        let until = self.hold_subscribes_until;
        let mut count = self.subscribe_count.subscribe();
        Box::pin(async move {
            // Held answers prove the sender does not wait for one before the next.
            let _ = count.wait_for(|n| *n >= until).await;
            answer
        })
    }
}

impl Handler<Unsubscribe> for FakeConnection {
    type Result = Result<Vec<FilterOutcome>, RequestError>;

    fn handle(&mut self, msg: Unsubscribe, _: &mut Context<Self>) -> Self::Result {
        self.record
            .lock()
            .unwrap()
            .unsubscribes
            .push(msg.filters.clone());
        Ok(ack_all(msg.filters))
    }
}

impl Handler<Publish> for FakeConnection {
    type Result = ResponseFuture<Result<PublishOutcome, RequestError>>;

    fn handle(&mut self, msg: Publish, _: &mut Context<Self>) -> Self::Result {
        self.record.lock().unwrap().publishes.push(msg);
        let mode = self.publish_mode.clone();
        let mut release = self.release_publishes.subscribe();
        Box::pin(async move {
            loop {
                let current = mode.lock().unwrap().clone();
                match current {
                    PublishMode::Ack => return Ok(PublishOutcome::Acknowledged),
                    PublishMode::Fail(e) => return Err(e),
                    PublishMode::Hold => {
                        if release.changed().await.is_err() {
                            return Err(RequestError::ActorStopped);
                        }
                    }
                }
            }
        })
    }
}

/// Stops the fake, so requests to it fail with a mailbox error.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct StopFake;

impl Handler<StopFake> for FakeConnection {
    type Result = ();

    fn handle(&mut self, _: StopFake, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

/// An actor that forwards every `M` it receives into a channel.
pub struct Collector<M> {
    sender: mpsc::UnboundedSender<M>,
}

impl<M: Unpin + 'static> Actor for Collector<M> {
    type Context = Context<Self>;
}

impl<M> Handler<M> for Collector<M>
where
    M: Message<Result = ()> + Unpin + Send + 'static,
{
    type Result = ();

    fn handle(&mut self, msg: M, _: &mut Context<Self>) {
        let _ = self.sender.send(msg);
    }
}

/// Starts a collector; returns its recipient and the receiving end.
pub fn collector<M>() -> (Recipient<M>, mpsc::UnboundedReceiver<M>)
where
    M: Message<Result = ()> + Unpin + Send + 'static,
{
    let (sender, receiver) = mpsc::unbounded_channel();
    let addr = Collector { sender }.start();
    (addr.recipient(), receiver)
}

/// Receives with a deadline.
pub async fn recv_within<T>(rx: &mut mpsc::UnboundedReceiver<T>, ms: u64) -> Option<T> {
    tokio::time::timeout(Duration::from_millis(ms), rx.recv())
        .await
        .ok()
        .flatten()
}

/// Waits (real time) until `check` holds, polling every few milliseconds.
pub async fn eventually(mut check: impl FnMut() -> bool, ms: u64) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_millis(ms);
    while std::time::Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    check()
}

/// Log lines written by a `tracing` subscriber, for assertions.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// Installs a capturing subscriber for the current thread (actix tests run their actors
    /// on the test thread). Keep the guard alive for the test.
    pub fn capture() -> (Self, tracing::subscriber::DefaultGuard) {
        let logs = Self::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(logs.clone())
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        (logs, guard)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    pub fn count(&self, needle: &str) -> usize {
        self.text().lines().filter(|l| l.contains(needle)).count()
    }
}

pub struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Logs {
    type Writer = LogWriter;
    fn make_writer(&'a self) -> Self::Writer {
        LogWriter(self.0.clone())
    }
}
