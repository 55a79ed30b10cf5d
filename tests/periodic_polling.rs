//! PeriodicRequests on paused time: skipping while the link is down, the immediate request
//! on resume, surviving publish errors, no pile-up, stop and shutdown.

mod subscriptions_support;

use std::time::Duration;

use actix::prelude::*;
use nwp500::connection::RequestError;
use nwp500::periodic::{
    GetPollingStats, Pause, PeriodicRequests, PollKind, PollingError, PollingStats, Resume,
    Shutdown, StartPolling, StopPolling,
};
use serde_json::Value;
use subscriptions_support::*;

const INTERVAL: Duration = Duration::from_secs(30);

fn start(fake: &Fake) -> Addr<PeriodicRequests> {
    PeriodicRequests::new(fake.addr.clone().recipient(), identity()).start()
}

async fn poll_status(poller: &Addr<PeriodicRequests>, interval: Duration) {
    poller
        .send(StartPolling {
            device: device(),
            kind: PollKind::Status,
            interval,
        })
        .await
        .unwrap()
        .unwrap();
}

/// Lets queued messages be handled (time is paused, so this costs no real time).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(1)).await;
}

async fn stats(poller: &Addr<PeriodicRequests>) -> PollingStats {
    poller.send(GetPollingStats).await.unwrap()
}

#[actix::test]
async fn paused_means_no_publishes_and_a_single_skip_log_per_outage() {
    tokio::time::pause();
    let (logs, _guard) = Logs::capture();
    let fake = Fake::start();
    let poller = start(&fake); // starts paused
    poll_status(&poller, INTERVAL).await;
    poller
        .send(StartPolling {
            device: device(),
            kind: PollKind::Feature,
            interval: INTERVAL * 2,
        })
        .await
        .unwrap()
        .unwrap();

    tokio::time::sleep(Duration::from_secs(600) + Duration::from_millis(10)).await;
    assert_eq!(
        fake.publish_count(),
        0,
        "nothing is published or queued while paused"
    );
    assert_eq!(logs.count("skipping periodic requests"), 1);
    let s = stats(&poller).await;
    assert!(s.paused);
    assert_eq!(s.skipped_this_outage, 20 + 10);
    assert_eq!(s.schedules[0].skipped_paused, 20);

    // A second outage logs once more.
    poller.send(Resume).await.unwrap();
    settle().await;
    assert_eq!(fake.publish_count(), 2);
    poller.send(Pause).await.unwrap();
    tokio::time::sleep(Duration::from_secs(300)).await;
    assert_eq!(fake.publish_count(), 2);
    assert_eq!(logs.count("skipping periodic requests"), 2);
    assert!(!logs.text().contains(MAC), "no full MAC in logs");
}

#[actix::test]
async fn resume_sends_at_once_then_continues_on_the_interval() {
    tokio::time::pause();
    let fake = Fake::start();
    let poller = start(&fake);
    poll_status(&poller, INTERVAL).await;
    tokio::time::sleep(Duration::from_secs(45)).await; // the tick at 30 s is skipped
    assert_eq!(fake.publish_count(), 0);

    poller.send(Resume).await.unwrap(); // t = 45 s
    settle().await;
    assert_eq!(fake.publish_count(), 1, "one request at once");
    tokio::time::sleep(Duration::from_secs(29)).await; // t = 74 s: the old phase (60 s) is gone
    assert_eq!(fake.publish_count(), 1);
    tokio::time::sleep(Duration::from_secs(2)).await; // t = 76 s
    assert_eq!(fake.publish_count(), 2);
    tokio::time::sleep(INTERVAL).await; // t = 106 s
    assert_eq!(fake.publish_count(), 3);

    let publishes = std::mem::take(&mut fake.record.lock().unwrap().publishes);
    for p in &publishes {
        assert_eq!(p.topic, format!("cmd/52/navilink-{MAC}/st"));
        let payload: Value = serde_json::from_slice(&p.payload).unwrap();
        assert_eq!(payload["request"]["command"], 16_777_219);
        assert_eq!(payload["request"]["macAddress"], MAC);
        assert_eq!(payload["clientID"], CLIENT_ID);
        let label = p.label.as_ref().unwrap();
        assert_eq!((label.device.as_str(), label.command), (MAC, 16_777_219));
    }
    let s = stats(&poller).await;
    assert_eq!((s.schedules[0].sent, s.schedules[0].acknowledged), (3, 3));
}

#[actix::test]
async fn starting_while_resumed_sends_at_once() {
    tokio::time::pause();
    let fake = Fake::start();
    let poller = start(&fake);
    poller.send(Resume).await.unwrap();
    poller
        .send(StartPolling {
            device: device(),
            kind: PollKind::Feature,
            interval: INTERVAL,
        })
        .await
        .unwrap()
        .unwrap();
    settle().await;
    assert_eq!(
        fake.publish_topics(),
        [format!("cmd/52/navilink-{MAC}/st/did")]
    );
    let payload: Value =
        serde_json::from_slice(&fake.record.lock().unwrap().publishes[0].payload).unwrap();
    assert_eq!(payload["request"]["command"], 16_777_217);
}

#[actix::test]
async fn publish_errors_never_stop_the_loop() {
    tokio::time::pause();
    let (logs, _guard) = Logs::capture();
    let fake = Fake::start();
    fake.set_publish_mode(PublishMode::Fail(RequestError::NotConnected));
    let poller = start(&fake);
    poll_status(&poller, INTERVAL).await;
    poller.send(Resume).await.unwrap();
    tokio::time::sleep(INTERVAL * 5 + Duration::from_millis(10)).await;
    assert_eq!(fake.publish_count(), 6);

    fake.set_publish_mode(PublishMode::Fail(RequestError::Timeout {
        after: Duration::from_secs(30),
    }));
    tokio::time::sleep(INTERVAL * 2).await;
    assert_eq!(fake.publish_count(), 8);

    fake.set_publish_mode(PublishMode::Ack);
    tokio::time::sleep(INTERVAL).await;
    assert_eq!(fake.publish_count(), 9);
    let s = stats(&poller).await.schedules[0].clone();
    assert_eq!((s.sent, s.errors, s.acknowledged), (9, 8, 1));
    assert_eq!(
        logs.count("periodic request failed; polling continues"),
        1,
        "warned once per streak"
    );
    assert_eq!(logs.count("periodic requests succeed again"), 1);

    // Even with the connection actor gone, the schedule keeps ticking.
    fake.addr.send(StopFake).await.unwrap();
    tokio::time::sleep(INTERVAL * 3).await;
    let s = stats(&poller).await.schedules[0].clone();
    assert_eq!((s.sent, s.errors), (12, 11));
}

#[actix::test]
async fn an_unanswered_request_is_not_piled_up() {
    tokio::time::pause();
    let fake = Fake::start();
    fake.set_publish_mode(PublishMode::Hold);
    let poller = start(&fake);
    poll_status(&poller, INTERVAL).await;
    poller.send(Resume).await.unwrap();
    tokio::time::sleep(INTERVAL * 4 + Duration::from_millis(10)).await;
    assert_eq!(fake.publish_count(), 1);
    assert_eq!(stats(&poller).await.schedules[0].skipped_in_flight, 4);

    fake.set_publish_mode(PublishMode::Ack);
    tokio::time::sleep(INTERVAL).await;
    assert_eq!(fake.publish_count(), 2);
}

#[actix::test]
async fn schedules_are_replaced_stopped_and_validated() {
    tokio::time::pause();
    let fake = Fake::start();
    let poller = start(&fake);
    poller.send(Resume).await.unwrap();
    poll_status(&poller, INTERVAL).await;
    poll_status(&poller, INTERVAL * 10).await; // replaces the first schedule
    settle().await;
    assert_eq!(fake.publish_count(), 2, "each start sends at once");
    tokio::time::sleep(INTERVAL * 5).await;
    assert_eq!(fake.publish_count(), 2, "the 30 s schedule is gone");
    let s = stats(&poller).await;
    assert_eq!(s.schedules.len(), 1);
    assert_eq!(s.schedules[0].interval, INTERVAL * 10);

    let refused = poller
        .send(StartPolling {
            device: other_device(),
            kind: PollKind::Status,
            interval: Duration::ZERO,
        })
        .await
        .unwrap();
    assert_eq!(refused, Err(PollingError::ZeroInterval));

    let stopped = poller
        .send(StopPolling {
            mac: device().mac,
            kind: None,
        })
        .await
        .unwrap();
    assert_eq!(stopped, 1);
    tokio::time::sleep(INTERVAL * 20).await;
    assert_eq!(fake.publish_count(), 2);
    assert!(stats(&poller).await.schedules.is_empty());
}

#[actix::test]
async fn shutdown_and_dropped_addresses_stop_the_actor() {
    tokio::time::pause();
    let fake = Fake::start();
    let poller = start(&fake);
    poller.send(Resume).await.unwrap();
    poll_status(&poller, INTERVAL).await;
    poller.send(Shutdown).await.unwrap();
    settle().await;
    assert!(!poller.connected(), "the actor stopped");
    tokio::time::sleep(INTERVAL * 3).await;
    assert_eq!(fake.publish_count(), 1);

    let fake = Fake::start();
    let poller = start(&fake);
    poller.send(Resume).await.unwrap();
    poll_status(&poller, INTERVAL).await;
    settle().await;
    assert_eq!(fake.publish_count(), 1);
    drop(poller);
    tokio::time::sleep(INTERVAL * 3).await;
    assert_eq!(
        fake.publish_count(),
        1,
        "nothing is sent once nobody holds an address"
    );
}

/// A poller with a send window of `window`, polling `kinds` of `devices` numbered devices
/// (MACs `aabbcc000000`, `aabbcc000001`, ...), which it returns in order.
async fn windowed_poller(
    fake: &Fake,
    window: usize,
    devices: usize,
    kinds: &[PollKind],
) -> (Addr<PeriodicRequests>, Vec<String>) {
    use nwp500::protocol::{DeviceRef, MacAddress};
    let poller = PeriodicRequests::new(fake.addr.clone().recipient(), identity())
        .with_max_in_flight(window)
        .start();
    let macs: Vec<String> = (0..devices).map(|i| format!("aabbcc{i:06x}")).collect();
    for mac in &macs {
        for kind in kinds {
            poller
                .send(StartPolling {
                    device: DeviceRef::nwp500(MacAddress::new(mac).unwrap(), "1234"),
                    kind: *kind,
                    interval: INTERVAL,
                })
                .await
                .unwrap()
                .unwrap();
        }
    }
    (poller, macs)
}

/// A resume with many devices: at most the window's worth of requests await a PUBACK, the
/// rest follow as answers come back, each exactly once; a pause drops the waiting line.
#[actix::test]
async fn a_resume_with_many_devices_goes_out_through_the_send_window() {
    const DEVICES: usize = 100;
    const WINDOW: usize = 8;
    tokio::time::pause();
    let fake = Fake::start();
    fake.set_publish_mode(PublishMode::Hold);
    let (poller, macs) = windowed_poller(&fake, WINDOW, DEVICES, &[PollKind::Status]).await;
    poller.send(Resume).await.unwrap();
    settle().await;
    assert_eq!(fake.publish_count(), WINDOW);
    let s = stats(&poller).await;
    assert_eq!(
        (s.requests_in_flight, s.requests_waiting),
        (WINDOW, DEVICES - WINDOW)
    );

    // The link drops: the line is dropped, the requests out stay out.
    poller.send(Pause).await.unwrap();
    let s = stats(&poller).await;
    assert_eq!((s.requests_in_flight, s.requests_waiting), (WINDOW, 0));
    poller.send(Resume).await.unwrap();
    settle().await;
    assert_eq!(fake.publish_count(), WINDOW, "the window is still full");

    fake.set_publish_mode(PublishMode::Ack);
    settle().await;
    assert_eq!(fake.publish_count(), DEVICES);
    let s = stats(&poller).await;
    assert_eq!((s.requests_in_flight, s.requests_waiting), (0, 0));
    for (mac, schedule) in macs.iter().zip(&s.schedules) {
        assert_eq!(schedule.device.as_str(), mac);
        assert_eq!(schedule.sent, 1, "one request per device, none repeated");
    }
}

/// When the link fails under a full window, the waiting line is dropped instead of being
/// poured, one failed or queued request after another, into a link that is down.
#[actix::test]
async fn a_failing_link_drops_the_waiting_line_instead_of_draining_it() {
    const DEVICES: usize = 20;
    const WINDOW: usize = 4;
    tokio::time::pause();
    let fake = Fake::start();
    fake.set_publish_mode(PublishMode::Hold);
    let (poller, _) = windowed_poller(&fake, WINDOW, DEVICES, &[PollKind::Status]).await;
    poller.send(Resume).await.unwrap();
    settle().await;
    assert_eq!(fake.publish_count(), WINDOW);

    // The held requests now fail: the link is gone.
    fake.set_publish_mode(PublishMode::Fail(RequestError::NotConnected));
    settle().await;
    assert_eq!(fake.publish_count(), WINDOW, "nothing more was sent");
    let s = stats(&poller).await;
    assert_eq!((s.requests_in_flight, s.requests_waiting), (0, 0));

    // After recovery every schedule requests again.
    fake.set_publish_mode(PublishMode::Ack);
    poller.send(Pause).await.unwrap();
    poller.send(Resume).await.unwrap();
    settle().await;
    assert_eq!(fake.publish_count(), WINDOW + DEVICES);
}

/// A resume asks every device for its status before any device for its feature report.
#[actix::test]
async fn a_resume_requests_every_status_before_any_feature() {
    tokio::time::pause();
    let fake = Fake::start();
    fake.set_publish_mode(PublishMode::Hold);
    let (poller, _) = windowed_poller(&fake, 1, 5, &[PollKind::Feature, PollKind::Status]).await;
    poller.send(Resume).await.unwrap();
    settle().await;
    fake.set_publish_mode(PublishMode::Ack);
    settle().await;
    let commands: Vec<Value> = fake
        .record
        .lock()
        .unwrap()
        .publishes
        .iter()
        .map(|p| serde_json::from_slice::<Value>(&p.payload).unwrap()["request"]["command"].clone())
        .collect();
    let status = Value::from(16_777_219);
    let feature = Value::from(16_777_217);
    assert_eq!(commands.len(), 10);
    assert!(commands[..5].iter().all(|c| *c == status), "{commands:?}");
    assert!(commands[5..].iter().all(|c| *c == feature), "{commands:?}");
}
