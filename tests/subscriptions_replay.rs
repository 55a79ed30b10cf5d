//! Replaying the registry: batching, pipelining, failures that keep the registry, and
//! registry edits while offline.

mod subscriptions_support;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use nwp500::bus::EventBus;
use nwp500::clock::TokioClock;
use nwp500::connection::RequestError;
use nwp500::protocol::ClientId;
use nwp500::subscriptions::{
    AddFilterHandler, AddHandler, BrokerState, GetSubscriptionStats, HandlerSink, RawMessage,
    RemoveHandler, Replay, ReplayError, ReplayReport, SetLink, StatusUpdate, SubscribeDevice,
    SubscriptionSettings, Subscriptions,
};
use subscriptions_support::*;
use tokio::sync::mpsc;

fn start(fake: &Fake) -> Addr<Subscriptions> {
    let settings = SubscriptionSettings::new(ClientId::new(CLIENT_ID).unwrap());
    let bus = EventBus::new(64, Arc::new(TokioClock));
    Subscriptions::new(
        settings,
        fake.addr.clone().recipient(),
        fake.addr.clone().recipient(),
        bus,
    )
    .start()
}

fn filter(i: usize) -> String {
    format!("cmd/52/navilink-{i:012x}/#")
}

/// Registers a raw channel handler; the receiver goes into `keep` (a handler whose
/// receiver is gone is removed).
async fn add_raw(
    subs: &Addr<Subscriptions>,
    filter: String,
    keep: &mut Vec<mpsc::Receiver<RawMessage>>,
) -> nwp500::registry::HandlerId {
    let (tx, rx) = mpsc::channel::<RawMessage>(1);
    keep.push(rx);
    subs.send(AddFilterHandler {
        filter,
        handler: HandlerSink::Channel(tx),
    })
    .await
    .unwrap()
    .unwrap()
    .id
}

/// Polls the statistics until `check` holds (SUBACK answers are processed asynchronously).
async fn stats_until(
    subs: &Addr<Subscriptions>,
    check: impl Fn(&nwp500::subscriptions::SubscriptionStats) -> bool,
) -> nwp500::subscriptions::SubscriptionStats {
    for _ in 0..200 {
        let stats = subs.send(GetSubscriptionStats).await.unwrap();
        if check(&stats) {
            return stats;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    subs.send(GetSubscriptionStats).await.unwrap()
}

#[actix::test]
async fn replay_of_1000_filters_sends_125_pipelined_subscribes() {
    // The fake answers nothing before all 125 SUBSCRIBEs have arrived: a replay that waited
    // for each answer before sending the next packet would never finish.
    let fake = Fake::start_holding_subscribes(125);
    let subs = start(&fake);
    let mut keep = Vec::new();
    for i in 0..1000 {
        add_raw(&subs, filter(i), &mut keep).await;
    }
    assert!(fake.subscribes().is_empty(), "offline: registered only");

    let report = tokio::time::timeout(Duration::from_secs(10), subs.send(Replay))
        .await
        .expect("replay pipelines its packets")
        .unwrap();
    assert_eq!(
        report,
        Ok(ReplayReport {
            restored: 1000,
            failed: 0
        })
    );

    let packets = fake.subscribes();
    assert_eq!(packets.len(), 125);
    assert!(packets.iter().all(|p| !p.is_empty() && p.len() <= 8));
    let sent: Vec<String> = packets.concat();
    assert_eq!(sent.len(), 1000, "each filter exactly once");
    let unique: HashSet<&String> = sent.iter().collect();
    assert_eq!(unique.len(), 1000);
    assert!((0..1000).all(|i| unique.contains(&filter(i))));

    let stats = subs.send(GetSubscriptionStats).await.unwrap();
    assert_eq!((stats.filters, stats.acked_filters), (1000, 1000));
    assert!(stats.link_up);
}

#[actix::test]
async fn one_subscribe_per_filter_however_many_handlers() {
    let fake = Fake::start();
    let subs = start(&fake);
    let mut keep = Vec::new();
    for _ in 0..5 {
        add_raw(&subs, filter(1), &mut keep).await;
    }
    add_raw(&subs, filter(2), &mut keep).await;
    subs.send(Replay).await.unwrap().unwrap();
    assert_eq!(fake.subscribes(), vec![vec![filter(1), filter(2)]]);
}

#[actix::test]
async fn a_failed_replay_keeps_the_registry_and_is_an_error() {
    let fake = Fake::start();
    let subs = start(&fake);
    let mut keep = Vec::new();
    for i in 0..20 {
        add_raw(&subs, filter(i), &mut keep).await;
    }
    let timeout = RequestError::Timeout {
        after: Duration::from_secs(30),
    };
    // The second of three packets times out.
    fake.set_subscribe_mode(SubscribeMode::FailPackets(
        HashSet::from([1]),
        timeout.clone(),
    ));
    let result = subs.send(Replay).await.unwrap();
    assert_eq!(
        result,
        Err(ReplayError {
            restored: 12,
            failed: 8,
            cause: timeout
        })
    );
    let stats = subs.send(GetSubscriptionStats).await.unwrap();
    assert_eq!(stats.filters, 20, "nothing is lost");
    assert_eq!((stats.acked_filters, stats.failed_filters), (12, 8));

    // The next replay (next connection) sends the whole registry again.
    fake.set_subscribe_mode(SubscribeMode::Ack);
    let report = subs.send(Replay).await.unwrap().unwrap();
    assert_eq!(report.restored, 20);
    let packets = fake.subscribes();
    assert_eq!(packets.len(), 6);
    let second: HashSet<String> = packets[3..].concat().into_iter().collect();
    assert_eq!(second, (0..20).map(filter).collect::<HashSet<_>>());
}

#[actix::test]
async fn a_replay_on_a_dead_link_fails_and_keeps_the_registry() {
    let fake = Fake::start();
    let subs = start(&fake);
    let mut keep = Vec::new();
    for i in 0..3 {
        add_raw(&subs, filter(i), &mut keep).await;
    }
    fake.set_subscribe_mode(SubscribeMode::FailPackets(
        HashSet::from([0]),
        RequestError::NotConnected,
    ));
    let err = subs.send(Replay).await.unwrap().unwrap_err();
    assert_eq!((err.restored, err.failed), (0, 3));
    assert_eq!(err.cause, RequestError::NotConnected);
    assert_eq!(subs.send(GetSubscriptionStats).await.unwrap().filters, 3);
}

#[actix::test]
async fn refused_filters_are_counted_not_fatal() {
    let fake = Fake::start();
    let subs = start(&fake);
    let mut keep = Vec::new();
    for i in 0..10 {
        add_raw(&subs, filter(i), &mut keep).await;
    }
    fake.set_subscribe_mode(SubscribeMode::Refuse(HashSet::from([filter(3), filter(9)])));
    let report = subs.send(Replay).await.unwrap();
    assert_eq!(
        report,
        Ok(ReplayReport {
            restored: 8,
            failed: 2
        })
    );
    let stats = subs.send(GetSubscriptionStats).await.unwrap();
    assert_eq!((stats.filters, stats.failed_filters), (10, 2));
}

#[actix::test]
async fn an_empty_registry_replays_nothing() {
    let fake = Fake::start();
    let subs = start(&fake);
    assert_eq!(
        subs.send(Replay).await.unwrap(),
        Ok(ReplayReport::default())
    );
    assert!(fake.subscribes().is_empty());
}

#[actix::test]
async fn removal_while_offline_sends_nothing_and_is_not_replayed() {
    let fake = Fake::start();
    let subs = start(&fake);
    let mut keep = Vec::new();
    add_raw(&subs, filter(1), &mut keep).await;
    let gone = add_raw(&subs, filter(2), &mut keep).await;
    add_raw(&subs, filter(3), &mut keep).await;
    subs.send(Replay).await.unwrap().unwrap();

    subs.send(SetLink { up: false }).await.unwrap();
    assert!(subs.send(RemoveHandler(gone)).await.unwrap());
    assert!(
        !subs.send(RemoveHandler(gone)).await.unwrap(),
        "already gone"
    );
    assert!(
        fake.unsubscribes().is_empty(),
        "no UNSUBSCRIBE while offline"
    );

    subs.send(Replay).await.unwrap().unwrap();
    let packets = fake.subscribes();
    assert_eq!(packets.last().unwrap(), &vec![filter(1), filter(3)]);
    assert!(fake.unsubscribes().is_empty());
}

#[actix::test]
async fn unsubscribe_only_when_the_last_handler_of_a_filter_goes() {
    let fake = Fake::start();
    let subs = start(&fake);
    subs.send(Replay).await.unwrap().unwrap();
    let (tx1, _rx1) = mpsc::channel::<StatusUpdate>(4);
    let (tx2, _rx2) = mpsc::channel::<StatusUpdate>(4);
    let first = subs
        .send(AddHandler::status(device(), tx1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        first.broker,
        BrokerState::Acked,
        "subscribed at once while up"
    );
    let second = subs
        .send(AddHandler::status(device(), tx2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.broker, BrokerState::Acked);
    let wildcard = format!("cmd/52/navilink-{MAC}/#");
    assert_eq!(fake.subscribes(), vec![vec![wildcard.clone()]]);

    subs.send(RemoveHandler(first.id)).await.unwrap();
    assert!(fake.unsubscribes().is_empty());
    subs.send(RemoveHandler(second.id)).await.unwrap();
    assert!(eventually(|| fake.unsubscribes() == vec![vec![wildcard.clone()]], 1000).await);
    assert_eq!(subs.send(GetSubscriptionStats).await.unwrap().filters, 0);
}

#[actix::test]
async fn following_a_device_registers_its_wildcard_and_the_client_wildcard_once() {
    let fake = Fake::start();
    let subs = start(&fake);
    let a = subs
        .send(SubscribeDevice { device: device() })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.broker, BrokerState::Pending, "offline: recorded only");
    let again = subs
        .send(SubscribeDevice { device: device() })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.id, a.id, "idempotent");
    subs.send(SubscribeDevice {
        device: other_device(),
    })
    .await
    .unwrap()
    .unwrap();

    let report = subs.send(Replay).await.unwrap().unwrap();
    assert_eq!(report.restored, 3);
    assert_eq!(
        fake.subscribes(),
        vec![vec![
            format!("cmd/52/navilink-{MAC}/#"),
            format!("cmd/52/{CLIENT_ID}/res/#"),
            format!("cmd/52/navilink-{OTHER_MAC}/#"),
        ]]
    );

    // Unfollowing both devices drops the client wildcard too.
    subs.send(RemoveHandler(a.id)).await.unwrap();
    let stats = subs.send(GetSubscriptionStats).await.unwrap();
    assert_eq!(stats.filters, 2);
    let b = subs
        .send(SubscribeDevice {
            device: other_device(),
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(b.broker, BrokerState::Acked);
    subs.send(RemoveHandler(b.id)).await.unwrap();
    assert_eq!(subs.send(GetSubscriptionStats).await.unwrap().filters, 0);
}

#[actix::test]
async fn link_up_with_a_session_subscribes_only_what_is_not_acknowledged() {
    let fake = Fake::start();
    let subs = start(&fake);
    let mut keep = Vec::new();
    add_raw(&subs, filter(1), &mut keep).await;
    subs.send(Replay).await.unwrap().unwrap();
    subs.send(SetLink { up: false }).await.unwrap();
    add_raw(&subs, filter(2), &mut keep).await;
    assert_eq!(fake.subscribes().len(), 1, "offline: recorded only");

    subs.send(SetLink { up: true }).await.unwrap();
    assert!(eventually(|| fake.subscribes().len() == 2, 1000).await);
    assert_eq!(fake.subscribes()[1], vec![filter(2)]);
    let stats = stats_until(&subs, |s| s.acked_filters == 2).await;
    assert_eq!((stats.filters, stats.acked_filters), (2, 2));
}

#[actix::test]
async fn nothing_is_lost_across_many_reconnects() {
    let fake = Fake::start();
    let subs = start(&fake);
    let mut keep = Vec::new();
    for i in 0..30 {
        add_raw(&subs, filter(i), &mut keep).await;
    }
    for cycle in 0..50 {
        subs.send(SetLink { up: false }).await.unwrap();
        let report = subs.send(Replay).await.unwrap().unwrap();
        assert_eq!(report.restored, 30, "cycle {cycle}");
    }
    assert_eq!(fake.subscribes().len(), 50 * 4);
    assert_eq!(subs.send(GetSubscriptionStats).await.unwrap().filters, 30);
}

#[actix::test]
async fn invalid_filters_are_refused_without_registering() {
    let fake = Fake::start();
    let subs = start(&fake);
    let (tx, _rx) = mpsc::channel::<RawMessage>(1);
    let refused = subs
        .send(AddFilterHandler {
            filter: "cmd/52/navilink-+x/#".into(),
            handler: HandlerSink::Channel(tx),
        })
        .await
        .unwrap();
    assert!(refused.is_err());
    assert_eq!(subs.send(GetSubscriptionStats).await.unwrap().handlers, 0);
}
