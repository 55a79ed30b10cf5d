//! Regression tests for the reference client's subscription and dispatch bugs
//! (docs/reference-client-bugs.md), against the Subscriptions actor with a scripted
//! stand-in for the Connection actor: failed replays, one SUBSCRIBE per filter, removals
//! while offline, messages before any replay, registry edits between messages.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::{Actor, Addr, Context, Handler};
use bytes::Bytes;
use nwp500::bus::EventBus;
use nwp500::clock::TokioClock;
use nwp500::connection::{FilterOutcome, IncomingPublish, RequestError, Subscribe, Unsubscribe};
use nwp500::protocol::ClientId;
use nwp500::registry::HandlerId;
use nwp500::subscriptions::{
    AddFilterHandler, GetSubscriptionStats, HandlerSink, RawMessage, RemoveHandler, Replay,
    ReplayReport, SetLink, SubscriptionSettings, Subscriptions,
};
use tokio::sync::mpsc::{channel, Receiver};

/// How the stand-in answers SUBSCRIBEs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// Every filter acknowledged.
    Ack,
    /// No SUBACK within the operation timeout.
    Timeout,
}

/// What the stand-in saw.
#[derive(Default)]
struct Log {
    answer: Option<Answer>,
    subscribes: Vec<Vec<String>>,
    unsubscribes: Vec<String>,
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Log>>);

impl Shared {
    fn set(&self, answer: Answer) {
        self.0.lock().unwrap().answer = Some(answer);
    }
    fn take_subscribes(&self) -> Vec<Vec<String>> {
        std::mem::take(&mut self.0.lock().unwrap().subscribes)
    }
    fn unsubscribes(&self) -> Vec<String> {
        self.0.lock().unwrap().unsubscribes.clone()
    }
}

/// Stands in for the Connection actor's SUBSCRIBE / UNSUBSCRIBE.
struct Broker(Shared);

impl Actor for Broker {
    type Context = Context<Self>;
}

impl Handler<Subscribe> for Broker {
    type Result = Result<Vec<FilterOutcome>, RequestError>;
    fn handle(&mut self, msg: Subscribe, _: &mut Context<Self>) -> Self::Result {
        let mut log = self.0 .0.lock().unwrap();
        log.subscribes.push(msg.filters.clone());
        let result = match log.answer {
            Some(Answer::Ack) | None => Ok(()),
            Some(Answer::Timeout) => Err(RequestError::Timeout {
                after: Duration::from_secs(2),
            }),
        };
        Ok(msg
            .filters
            .into_iter()
            .map(|filter| FilterOutcome {
                filter,
                result: result.clone(),
            })
            .collect())
    }
}

impl Handler<Unsubscribe> for Broker {
    type Result = Result<Vec<FilterOutcome>, RequestError>;
    fn handle(&mut self, msg: Unsubscribe, _: &mut Context<Self>) -> Self::Result {
        self.0
             .0
            .lock()
            .unwrap()
            .unsubscribes
            .extend(msg.filters.clone());
        Ok(msg
            .filters
            .into_iter()
            .map(|filter| FilterOutcome {
                filter,
                result: Ok(()),
            })
            .collect())
    }
}

fn start(answer: Answer) -> (Addr<Subscriptions>, Shared) {
    let shared = Shared::default();
    shared.set(answer);
    let broker = Broker(shared.clone()).start();
    let settings = SubscriptionSettings::new(ClientId::new("navien-client-0a1b2c3d").unwrap());
    let bus = EventBus::new(64, Arc::new(TokioClock));
    let subs = Subscriptions::new(
        settings,
        broker.clone().recipient(),
        broker.recipient(),
        bus,
    )
    .start();
    (subs, shared)
}

async fn add(subs: &Addr<Subscriptions>, filter: &str) -> (HandlerId, Receiver<RawMessage>) {
    let (tx, rx) = channel(1024);
    let registration = subs
        .send(AddFilterHandler {
            filter: filter.to_owned(),
            handler: HandlerSink::Channel(tx),
        })
        .await
        .unwrap()
        .unwrap();
    (registration.id, rx)
}

fn publish(topic: &str, payload: impl Into<Bytes>, generation: u64) -> IncomingPublish {
    IncomingPublish {
        generation,
        topic: topic.to_owned(),
        payload: payload.into(),
    }
}

async fn next(rx: &mut Receiver<RawMessage>) -> Option<RawMessage> {
    tokio::time::timeout(Duration::from_secs(1), rx.recv())
        .await
        .expect("the channel answers within 1 s")
}

/// P-7, L-4: a replay whose SUBACKs never come is an error and leaves the registry as it
/// was; the next replay subscribes every filter again, exactly once each, in packets of at
/// most 8, and handlers sharing a filter cost one SUBSCRIBE.
#[actix::test]
async fn a_failed_replay_keeps_every_filter_and_the_next_one_restores_each_once() {
    let (subs, broker) = start(Answer::Timeout);
    let mut first = Vec::new();
    for i in 0..20 {
        first.push(add(&subs, &format!("test/{i}")).await.1);
    }
    let (_, mut shared_a) = add(&subs, "test/0").await;
    let (_, mut shared_b) = add(&subs, "test/0").await;
    // Offline registrations send nothing.
    assert!(broker.take_subscribes().is_empty());

    let error = subs.send(Replay).await.unwrap().unwrap_err();
    assert_eq!((error.restored, error.failed), (0, 20));
    let stats = subs.send(GetSubscriptionStats).await.unwrap();
    assert_eq!((stats.filters, stats.handlers), (20, 22));
    broker.take_subscribes();

    broker.set(Answer::Ack);
    let report = subs.send(Replay).await.unwrap().unwrap();
    assert_eq!(
        report,
        ReplayReport {
            restored: 20,
            failed: 0
        }
    );
    let packets = broker.take_subscribes();
    assert!(packets.iter().all(|p| p.len() <= 8), "{packets:?}");
    let mut filters: Vec<String> = packets.into_iter().flatten().collect();
    filters.sort();
    let mut expected: Vec<String> = (0..20).map(|i| format!("test/{i}")).collect();
    expected.sort();
    assert_eq!(filters, expected);

    // Another handler on an acknowledged filter: no SUBSCRIBE at all.
    let (_, mut shared_c) = add(&subs, "test/0").await;
    assert!(broker.take_subscribes().is_empty());

    subs.send(publish("test/0", "x", 1)).await.unwrap();
    for rx in [&mut first[0], &mut shared_a, &mut shared_b, &mut shared_c] {
        assert_eq!(next(rx).await.unwrap().payload, Bytes::from("x"));
    }
}

/// L-8: a handler removed while the link is down stays removed: its filter leaves the
/// registry at once, the next replay does not subscribe it, and it receives nothing.
#[actix::test]
async fn a_handler_removed_while_offline_does_not_come_back_after_the_replay() {
    let (subs, broker) = start(Answer::Ack);
    let (gone, mut gone_rx) = add(&subs, "f/a").await;
    let (_, mut kept_rx) = add(&subs, "f/b").await;
    subs.send(Replay).await.unwrap().unwrap();
    subs.send(SetLink { up: false }).await.unwrap();
    broker.take_subscribes();

    assert!(subs.send(RemoveHandler(gone)).await.unwrap());
    // Nothing can be sent while offline (a clean session forgets it anyway).
    assert!(broker.unsubscribes().is_empty());
    subs.send(Replay).await.unwrap().unwrap();
    let replayed: Vec<String> = broker.take_subscribes().into_iter().flatten().collect();
    assert_eq!(replayed, vec!["f/b".to_owned()]);

    subs.send(publish("f/a", "a", 2)).await.unwrap();
    subs.send(publish("f/b", "b", 2)).await.unwrap();
    assert!(next(&mut gone_rx).await.is_none(), "removed handler fed");
    assert_eq!(next(&mut kept_rx).await.unwrap().payload, Bytes::from("b"));
    let stats = subs.send(GetSubscriptionStats).await.unwrap();
    assert_eq!(stats.filters, 1);
}

/// L-18: a message that arrives before any SUBSCRIBE was acknowledged (a persistent
/// session's backlog right after CONNACK), from whatever generation, reaches the handlers
/// registered for it.
#[actix::test]
async fn messages_before_any_replay_reach_their_handlers() {
    let (subs, broker) = start(Answer::Ack);
    let (_, mut rx) = add(&subs, "cmd/52/navilink-aabbccddeeff/#").await;
    let topic = "cmd/52/navilink-aabbccddeeff/navien-client-0a1b2c3d/res";
    subs.send(publish(topic, "backlog-1", 0)).await.unwrap();
    subs.send(publish(topic, "backlog-2", 7)).await.unwrap();
    assert_eq!(
        next(&mut rx).await.unwrap().payload,
        Bytes::from("backlog-1")
    );
    assert_eq!(
        next(&mut rx).await.unwrap().payload,
        Bytes::from("backlog-2")
    );
    assert!(
        broker.take_subscribes().is_empty(),
        "nothing was subscribed yet"
    );
}

/// P-26, P-27: handlers added and removed between messages (around a resubscribe, say)
/// never make the dispatcher lose a message for a handler that stays; a removed handler is
/// never invoked again, and removing it twice is harmless.
#[actix::test]
async fn registry_edits_between_messages_lose_nothing_and_removed_handlers_stay_silent() {
    let (subs, _broker) = start(Answer::Ack);
    subs.send(Replay).await.unwrap().unwrap();
    let (_, mut stable) = add(&subs, "t/#").await;
    let mut temporary: Vec<(HandlerId, Receiver<RawMessage>)> = Vec::new();
    for i in 0..200u32 {
        subs.do_send(publish("t/x", i.to_string(), 1));
        match i % 10 {
            0 => temporary.push(add(&subs, "t/x").await),
            5 => {
                if let Some((id, _)) = temporary.last() {
                    subs.do_send(RemoveHandler(*id));
                }
            }
            _ => {}
        }
    }
    subs.send(GetSubscriptionStats).await.unwrap();
    for i in 0..200u32 {
        let message = next(&mut stable).await.expect("delivered");
        assert_eq!(message.payload, Bytes::from(i.to_string()));
    }

    let (once, mut once_rx) = add(&subs, "t/once").await;
    assert!(subs.send(RemoveHandler(once)).await.unwrap());
    subs.send(publish("t/once", "late", 1)).await.unwrap();
    assert!(next(&mut once_rx).await.is_none(), "removed handler fed");
    assert!(!subs.send(RemoveHandler(once)).await.unwrap());
}
