//! Dispatch of real protocol payloads to typed handlers: one decode shared by every
//! handler kind, isolation (panics, slow callbacks, full buffers), echoes, malformed input.

mod subscriptions_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use bytes::Bytes;
use nwp500::bus::EventBus;
use nwp500::clock::TokioClock;
use nwp500::connection::IncomingPublish;
use nwp500::events::Event;
use nwp500::protocol::{
    ClientId, Command, EnergyUsage, Feature, ReservationSchedule, Status, UnitSystem,
};
use nwp500::subscriptions::{
    AddHandler, EnergyUpdate, FeatureUpdate, GetSubscriptionStats, HandlerKind, HandlerSink,
    RawMessage, Replay, Schedule, ScheduleUpdate, StatusUpdate, SubscribeDevice,
    SubscriptionSettings, SubscriptionStats, Subscriptions,
};
use serde_json::{json, Value};
use subscriptions_support::*;
use tokio::sync::{broadcast, mpsc};

struct Setup {
    fake: Fake,
    subs: Addr<Subscriptions>,
    events: broadcast::Receiver<nwp500::events::TimestampedEvent>,
}

fn setup(unit: UnitSystem) -> Setup {
    let fake = Fake::start();
    let mut settings = SubscriptionSettings::new(ClientId::new(CLIENT_ID).unwrap());
    settings.unit = unit;
    let bus = EventBus::new(1024, Arc::new(TokioClock));
    let events = bus.subscribe();
    let subs = Subscriptions::new(
        settings,
        fake.addr.clone().recipient(),
        fake.addr.clone().recipient(),
        bus,
    )
    .start();
    Setup { fake, subs, events }
}

fn g3_status() -> Value {
    fixtures()["G3_status"].clone()
}

fn status_payload(mac: &str, status: &Value) -> Vec<u8> {
    answer_envelope(mac, 16_777_219, "status", status.clone())
}

async fn publish(subs: &Addr<Subscriptions>, topic: &str, payload: impl Into<Bytes>) {
    subs.send(IncomingPublish {
        generation: 1,
        topic: topic.to_owned(),
        payload: payload.into(),
    })
    .await
    .unwrap();
}

async fn stats(subs: &Addr<Subscriptions>) -> SubscriptionStats {
    subs.send(GetSubscriptionStats).await.unwrap()
}

fn next_event(events: &mut broadcast::Receiver<nwp500::events::TimestampedEvent>) -> Option<Event> {
    events.try_recv().ok().map(|e| e.event)
}

#[actix::test]
async fn one_decoded_status_reaches_three_handlers_of_different_kinds() {
    let Setup {
        subs, mut events, ..
    } = setup(UnitSystem::UsCustomary);
    subs.send(SubscribeDevice { device: device() })
        .await
        .unwrap()
        .unwrap();

    let (recipient, mut from_actor) = collector::<StatusUpdate>();
    let (tx, mut from_channel) = mpsc::channel::<StatusUpdate>(8);
    let (cb_tx, mut from_callback) = mpsc::unbounded_channel::<StatusUpdate>();
    for add in [
        AddHandler::status(device(), recipient),
        AddHandler::status(device(), tx),
        AddHandler::status(
            device(),
            HandlerSink::callback(move |u: &StatusUpdate| {
                let _ = cb_tx.send(u.clone());
            }),
        ),
    ] {
        subs.send(add).await.unwrap().unwrap();
    }

    let raw = g3_status();
    publish(&subs, &answer_topic(MAC), status_payload(MAC, &raw)).await;

    let expected = Status::from_json(raw.to_string().as_bytes()).unwrap();
    let a = recv_within(&mut from_actor, 1000).await.expect("recipient");
    let b = tokio::time::timeout(Duration::from_secs(1), from_channel.recv())
        .await
        .unwrap()
        .expect("channel");
    let c = recv_within(&mut from_callback, 1000)
        .await
        .expect("callback");
    for update in [&a, &b, &c] {
        assert_eq!(*update.status, expected);
        assert_eq!(update.device.as_str(), MAC);
        assert_eq!(update.unit, UnitSystem::UsCustomary);
    }
    // Decoded once: every handler shares the same value.
    assert!(Arc::ptr_eq(&a.status, &b.status));
    assert!(Arc::ptr_eq(&b.status, &c.status));

    // The followed device's status also went to the event bus, in the configured unit.
    match next_event(&mut events) {
        Some(Event::Status { device, status }) => {
            assert_eq!(device.as_str(), MAC);
            assert_eq!(
                status.to_json(),
                serde_json::to_value(expected.view(UnitSystem::UsCustomary)).unwrap()
            );
            // The event carries the very status the handlers got, typed.
            assert!(Arc::ptr_eq(status.shared(), &a.status));
            assert_eq!(status.unit(), UnitSystem::UsCustomary);
        }
        other => panic!("expected a status event, got {other:?}"),
    }
    assert!(next_event(&mut events).is_none(), "exactly one event");

    let s = stats(&subs).await;
    assert_eq!((s.received, s.delivered, s.dropped), (1, 4, 0));
}

#[actix::test]
async fn every_decodable_oracle_status_is_delivered_and_the_rest_dropped() {
    let Setup { subs, .. } = setup(UnitSystem::UsCustomary);
    let (tx, mut rx) = mpsc::channel::<StatusUpdate>(512);
    subs.send(AddHandler::status(device(), tx))
        .await
        .unwrap()
        .unwrap();

    let statuses = oracle_statuses();
    let mut expected = Vec::new();
    for raw in &statuses {
        if let Ok(s) = Status::from_json(raw.to_string().as_bytes()) {
            expected.push(s);
        }
        publish(&subs, &answer_topic(MAC), status_payload(MAC, raw)).await;
    }
    let mut got = Vec::new();
    while let Ok(update) = rx.try_recv() {
        got.push((*update.status).clone());
    }
    assert_eq!(got, expected);
    let s = stats(&subs).await;
    assert_eq!(s.received as usize, statuses.len());
    assert_eq!(s.malformed as usize, statuses.len() - expected.len());
}

#[actix::test]
async fn features_go_to_feature_handlers_and_statuses_to_status_handlers() {
    let Setup {
        subs, mut events, ..
    } = setup(UnitSystem::Metric);
    subs.send(SubscribeDevice { device: device() })
        .await
        .unwrap()
        .unwrap();
    let (status_tx, mut statuses) = mpsc::channel::<StatusUpdate>(8);
    let (feature_tx, mut features) = mpsc::channel::<FeatureUpdate>(8);
    subs.send(AddHandler::status(device(), status_tx))
        .await
        .unwrap()
        .unwrap();
    subs.send(AddHandler::feature(device(), feature_tx))
        .await
        .unwrap()
        .unwrap();

    let raw = fixtures()["G5_feature"].clone();
    let payload = answer_envelope(MAC, 16_777_217, "feature", raw.clone());
    publish(&subs, &answer_topic(MAC), payload).await;

    let expected = Feature::from_json(raw.to_string().as_bytes()).unwrap();
    let update = features.try_recv().expect("feature delivered");
    assert_eq!(*update.feature, expected);
    assert!(statuses.try_recv().is_err(), "not a status");
    match next_event(&mut events) {
        Some(Event::Feature { device, feature }) => {
            assert_eq!(device.as_str(), MAC);
            assert_eq!(
                feature.to_json(),
                serde_json::to_value(expected.view(UnitSystem::Metric)).unwrap()
            );
        }
        other => panic!("expected a feature event, got {other:?}"),
    }
}

#[actix::test]
async fn status_events_use_the_configured_unit() {
    let raw = g3_status();
    let expected = Status::from_json(raw.to_string().as_bytes()).unwrap();
    for unit in [UnitSystem::Metric, UnitSystem::UsCustomary] {
        let Setup {
            subs, mut events, ..
        } = setup(unit);
        subs.send(SubscribeDevice { device: device() })
            .await
            .unwrap()
            .unwrap();
        publish(&subs, &answer_topic(MAC), status_payload(MAC, &raw)).await;
        let Some(Event::Status { status, .. }) = next_event(&mut events) else {
            panic!("no status event");
        };
        assert_eq!(
            status.to_json(),
            serde_json::to_value(expected.view(unit)).unwrap()
        );
    }
    let metric = serde_json::to_value(expected.view(UnitSystem::Metric)).unwrap();
    let us = serde_json::to_value(expected.view(UnitSystem::UsCustomary)).unwrap();
    assert_ne!(metric["dhwTemperature"], us["dhwTemperature"]);
}

#[actix::test]
async fn a_panicking_callback_does_not_stop_delivery_to_others() {
    let Setup { subs, .. } = setup(UnitSystem::UsCustomary);
    let (before_tx, mut before) = mpsc::channel::<StatusUpdate>(16);
    let (after_tx, mut after) = mpsc::channel::<StatusUpdate>(16);
    subs.send(AddHandler::status(device(), before_tx))
        .await
        .unwrap()
        .unwrap();
    let bad = subs
        .send(AddHandler::status(
            device(),
            HandlerSink::callback(|_: &StatusUpdate| panic!("handler bug")),
        ))
        .await
        .unwrap()
        .unwrap();
    subs.send(AddHandler::status(device(), after_tx))
        .await
        .unwrap()
        .unwrap();

    let raw = g3_status();
    for _ in 0..3 {
        publish(&subs, &answer_topic(MAC), status_payload(MAC, &raw)).await;
    }
    let mut s = stats(&subs).await;
    for _ in 0..200 {
        if s.panics == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        s = stats(&subs).await;
    }
    assert_eq!(s.panics, 1, "the panic was detected");
    assert!(
        s.per_handler.iter().all(|h| h.id != bad.id),
        "the panicked callback was removed"
    );
    assert_eq!(s.handlers, 2);

    publish(&subs, &answer_topic(MAC), status_payload(MAC, &raw)).await;
    for rx in [&mut before, &mut after] {
        let mut n = 0;
        while rx.try_recv().is_ok() {
            n += 1;
        }
        assert_eq!(n, 4, "handlers before and after the bad one got everything");
    }
}

#[actix::test]
async fn a_blocked_callback_stalls_nobody() {
    let Setup { subs, .. } = setup(UnitSystem::UsCustomary);
    // The callback blocks its thread until the test opens the gate.
    let gate = Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
    let waiting = gate.clone();
    subs.send(AddHandler::status(
        device(),
        HandlerSink::callback(move |_: &StatusUpdate| {
            let (open, signal) = &*waiting;
            let mut open = open.lock().unwrap();
            while !*open {
                open = signal.wait(open).unwrap();
            }
        }),
    ))
    .await
    .unwrap()
    .unwrap();
    let (tx, mut rx) = mpsc::channel::<StatusUpdate>(64);
    subs.send(AddHandler::status(device(), tx))
        .await
        .unwrap()
        .unwrap();

    let raw = g3_status();
    let started = Instant::now();
    for _ in 0..10 {
        publish(&subs, &answer_topic(MAC), status_payload(MAC, &raw)).await;
    }
    let mut n = 0;
    while rx.try_recv().is_ok() {
        n += 1;
    }
    assert_eq!(n, 10);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "dispatch never waited for the blocked callback"
    );
    *gate.0.lock().unwrap() = true;
    gate.1.notify_all();
}

#[actix::test]
async fn a_full_handler_buffer_drops_and_counts() {
    let (logs, _guard) = Logs::capture();
    let Setup { subs, .. } = setup(UnitSystem::UsCustomary);
    let (small_tx, mut small) = mpsc::channel::<StatusUpdate>(2);
    let (big_tx, mut big) = mpsc::channel::<StatusUpdate>(64);
    let slow = subs
        .send(AddHandler::status(device(), small_tx))
        .await
        .unwrap()
        .unwrap();
    subs.send(AddHandler::status(device(), big_tx))
        .await
        .unwrap()
        .unwrap();

    let raw = g3_status();
    for _ in 0..10 {
        publish(&subs, &answer_topic(MAC), status_payload(MAC, &raw)).await;
    }
    let count = |rx: &mut mpsc::Receiver<StatusUpdate>| {
        let mut n = 0;
        while rx.try_recv().is_ok() {
            n += 1;
        }
        n
    };
    assert_eq!(count(&mut small), 2);
    assert_eq!(count(&mut big), 10, "the other handler lost nothing");

    let s = stats(&subs).await;
    assert_eq!(s.dropped, 8);
    let h = s.per_handler.iter().find(|h| h.id == slow.id).unwrap();
    assert_eq!(
        (h.kind, h.delivered, h.dropped),
        (HandlerKind::Status, 2, 8)
    );
    assert_eq!(
        logs.count("handler buffer full"),
        1,
        "one log per overflow episode"
    );
}

#[actix::test]
async fn echoes_of_requests_are_ignored() {
    let Setup {
        subs, mut events, ..
    } = setup(UnitSystem::UsCustomary);
    subs.send(SubscribeDevice { device: device() })
        .await
        .unwrap()
        .unwrap();
    let (tx, mut statuses) = mpsc::channel::<StatusUpdate>(8);
    let (raw_tx, mut raws) = mpsc::channel::<RawMessage>(8);
    subs.send(AddHandler::status(device(), tx))
        .await
        .unwrap()
        .unwrap();
    subs.send(AddHandler::raw(device(), raw_tx))
        .await
        .unwrap()
        .unwrap();

    // Our own status request, as the broker delivers it back to us.
    let request = Command::RequestStatus
        .build(&identity(), &device(), None)
        .unwrap();
    publish(&subs, &request.topic, request.payload_bytes()).await;
    assert!(statuses.try_recv().is_err(), "a request is not an answer");
    assert!(next_event(&mut events).is_none());
    let echoed = raws.try_recv().expect("raw handlers see everything");
    assert_eq!(&*echoed.topic, request.topic.as_str());
    assert_eq!(stats(&subs).await.echoes, 1);

    publish(&subs, &answer_topic(MAC), status_payload(MAC, &g3_status())).await;
    assert!(statuses.try_recv().is_ok(), "answers still arrive");
}

#[actix::test]
async fn malformed_payloads_are_dropped_without_panic_or_leaks() {
    let (logs, _guard) = Logs::capture();
    let Setup { subs, .. } = setup(UnitSystem::UsCustomary);
    subs.send(SubscribeDevice { device: device() })
        .await
        .unwrap()
        .unwrap();
    let (tx, mut statuses) = mpsc::channel::<StatusUpdate>(8);
    let (raw_tx, mut raws) = mpsc::channel::<RawMessage>(64);
    subs.send(AddHandler::status(device(), tx))
        .await
        .unwrap()
        .unwrap();
    subs.send(AddHandler::raw(device(), raw_tx))
        .await
        .unwrap()
        .unwrap();

    let mut secret_status = g3_status();
    secret_status["dhwTemperature"] = json!("SECRET-VALUE-42");
    let deep = "[".repeat(100_000);
    let bad: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"\xff\xfe\x00garbage".to_vec(),
        b"not json at all".to_vec(),
        b"null".to_vec(),
        b"[1,2,3]".to_vec(),
        b"{\"response\":{\"status\":{}}}".to_vec(),
        b"{\"response\":{\"status\":{\"command\":\"SECRET-VALUE-42\"}}}".to_vec(),
        b"{\"response\":{\"status\":".to_vec(),
        deep.into_bytes(),
        status_payload(MAC, &secret_status),
    ];
    for payload in &bad {
        publish(&subs, &answer_topic(MAC), payload.clone()).await;
    }
    assert!(statuses.try_recv().is_err());
    let s = stats(&subs).await;
    assert_eq!(s.malformed as usize, bad.len());
    let mut raw_count = 0;
    while raws.try_recv().is_ok() {
        raw_count += 1;
    }
    assert_eq!(
        raw_count,
        bad.len(),
        "raw handlers get undecodable payloads too"
    );

    publish(&subs, &answer_topic(MAC), status_payload(MAC, &g3_status())).await;
    assert!(statuses.try_recv().is_ok(), "the subscription still works");

    let text = logs.text();
    assert!(
        text.contains("undecodable payload"),
        "malformed payloads are logged"
    );
    assert!(!text.contains("SECRET-VALUE"), "no payload content in logs");
    assert!(!text.contains(MAC), "no full MAC in logs");
}

#[actix::test]
async fn handlers_whose_receiver_is_gone_are_removed() {
    let Setup { subs, fake, .. } = setup(UnitSystem::UsCustomary);
    subs.send(Replay).await.unwrap().unwrap();
    let (tx, rx) = mpsc::channel::<StatusUpdate>(8);
    subs.send(AddHandler::status(device(), tx))
        .await
        .unwrap()
        .unwrap();
    drop(rx);
    publish(&subs, &answer_topic(MAC), status_payload(MAC, &g3_status())).await;
    let s = stats(&subs).await;
    assert_eq!((s.closed, s.handlers, s.filters), (1, 0, 0));
    assert!(eventually(|| fake.unsubscribes().len() == 1, 1000).await);
}

#[actix::test]
async fn other_devices_messages_reach_only_their_handlers() {
    let Setup { subs, .. } = setup(UnitSystem::UsCustomary);
    let (tx, mut rx) = mpsc::channel::<StatusUpdate>(8);
    subs.send(AddHandler::status(device(), tx))
        .await
        .unwrap()
        .unwrap();
    publish(
        &subs,
        &answer_topic(OTHER_MAC),
        status_payload(OTHER_MAC, &g3_status()),
    )
    .await;
    assert!(rx.try_recv().is_err());
    assert_eq!(stats(&subs).await.unmatched, 1);
}

#[actix::test]
async fn schedule_and_energy_answers_are_attributed_by_the_device_they_name() {
    let Setup { subs, .. } = setup(UnitSystem::UsCustomary);
    let (a_tx, mut a) = mpsc::channel::<ScheduleUpdate>(8);
    let (b_tx, mut b) = mpsc::channel::<ScheduleUpdate>(8);
    let (e_tx, mut energy) = mpsc::channel::<EnergyUpdate>(8);
    subs.send(AddHandler::schedule(device(), a_tx))
        .await
        .unwrap()
        .unwrap();
    subs.send(AddHandler::schedule(other_device(), b_tx))
        .await
        .unwrap()
        .unwrap();
    subs.send(AddHandler::energy(other_device(), e_tx))
        .await
        .unwrap()
        .unwrap();
    let rsv_topic = format!("cmd/52/{CLIENT_ID}/res/rsv/rd");

    let body = fixtures()["G6_reservation_answer"].clone();
    let expected = ReservationSchedule::from_json(body.to_string().as_bytes()).unwrap();
    let mut named = body.clone();
    named["macAddress"] = json!(MAC);
    publish(&subs, &rsv_topic, json!({ "response": named }).to_string()).await;
    let update = a.try_recv().expect("the named device's handler");
    assert!(update.confirmed);
    assert_eq!(*update.schedule, Schedule::Reservation(expected.clone()));
    assert!(b.try_recv().is_err(), "not the other device's");

    publish(&subs, &rsv_topic, json!({ "response": body }).to_string()).await;
    let (ua, ub) = (a.try_recv().unwrap(), b.try_recv().unwrap());
    assert!(
        !ua.confirmed && !ub.confirmed,
        "no device named: everyone, unconfirmed"
    );
    assert!(Arc::ptr_eq(&ua.schedule, &ub.schedule));

    // The G6 energy answer names the first device: the second device's handler gets nothing.
    let response = fixtures()["G6_energy_answer"].clone();
    assert_eq!(response["macAddress"], json!(MAC));
    let energy_topic = format!("cmd/52/{CLIENT_ID}/res/energy-usage-daily-query/rd");
    publish(
        &subs,
        &energy_topic,
        json!({ "response": response }).to_string(),
    )
    .await;
    assert!(energy.try_recv().is_err());
    let mut other_named = response.clone();
    other_named["macAddress"] = json!(OTHER_MAC);
    publish(
        &subs,
        &energy_topic,
        json!({ "response": other_named }).to_string(),
    )
    .await;
    let update = energy.try_recv().expect("energy for the named device");
    let expected = EnergyUsage::from_json(response.to_string().as_bytes()).unwrap();
    assert!(update.confirmed);
    assert_eq!(*update.usage, expected);
}
