//! A pool of connections: an account with more devices than one connection may serve
//! (AWS IoT Core: 50 subscriptions per connection) is spread over several, each with its
//! own client id and reconnect loop, sharing one Auth. Here the quota is lowered to 5
//! subscriptions (4 devices per connection), so 10 devices take 3 connections.

#[path = "recovery_support/mod.rs"]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use nwp500::events::{Event, TimestampedEvent};
use nwp500::protocol::{ClientId, Command, DhwMode};
use nwp500::subscriptions::{AddHandler, HandlerSink, RemoveHandler};
use nwp500_sim::{AwsQuotas, SimConfig, Simulator};
use support::{check_outcomes, fast, Recorder};

const WAIT: Duration = Duration::from_secs(20);
const DEVICES: usize = 10;
const DHW_MODE: u64 = 33_554_437;

fn pool_sim() -> Simulator {
    let sim = Simulator::start(SimConfig {
        random_draws: false,
        ..SimConfig::with_devices(DEVICES)
    })
    .unwrap();
    sim.set_quotas(AwsQuotas {
        max_subscriptions_per_connection: Some(5),
        ..sim.quotas()
    });
    sim
}

/// Devices that reported a status, per pool connection.
fn reporters(events: &[TimestampedEvent]) -> BTreeMap<usize, BTreeSet<String>> {
    let mut by_connection: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for e in events {
        if let (Event::Status { device, .. }, Some(c)) = (&e.event, e.connection) {
            by_connection
                .entry(c)
                .or_default()
                .insert(device.as_str().to_owned());
        }
    }
    by_connection
}

/// Starts a client and waits until `devices` devices have reported a status.
async fn start_until_reported(
    config: nwp500::ClientConfig,
    devices: usize,
) -> (nwp500::Client, Recorder) {
    let client = nwp500::Client::start(config).await.unwrap();
    let rec = Recorder::attach(&client);
    rec.wait_since(0, WAIT, "a status from every device", |_| {
        reporters(&rec.stamped())
            .values()
            .map(BTreeSet::len)
            .sum::<usize>()
            == devices
    })
    .await;
    (client, rec)
}

fn count_on(events: &[TimestampedEvent], name: &str, connection: usize) -> usize {
    events
        .iter()
        .filter(|e| e.event.name() == name && e.connection == Some(connection))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_beyond_one_connections_quota_are_served_by_a_pool() {
    let sim = pool_sim();
    let config = fast(&sim).subscriptions_per_connection(5).build().unwrap();
    let (client, rec) = start_until_reported(config, DEVICES).await;

    // 3 connections of at most 4 devices, each under its own client id.
    assert_eq!(client.connection_count(), 3);
    let ids = client.client_ids();
    let base = ClientId::new(client.client_id()).unwrap();
    assert_eq!(
        ids,
        (0..3)
            .map(|i| base.pool_member(i).as_str().to_owned())
            .collect::<Vec<_>>()
    );
    let by_connection = reporters(&rec.stamped());
    assert_eq!(
        by_connection
            .values()
            .map(BTreeSet::len)
            .collect::<Vec<_>>(),
        [4, 4, 2]
    );
    // No subscription was refused: every connection stayed within the quota.
    let refused: u32 = sim
        .connection_log()
        .iter()
        .map(|r| r.subscriptions_refused)
        .sum();
    assert_eq!(refused, 0, "{:?}", sim.connection_log());

    // A command goes out on the connection of its device, and reaches it.
    let last = sim.devices()[DEVICES - 1].clone();
    last.clear_commands();
    client
        .send(
            last.mac(),
            Command::SetDhwMode {
                mode: DhwMode::Electric,
            },
        )
        .await
        .unwrap();
    assert!(last.wait_for_commands(DHW_MODE, 1, WAIT).await);

    // A typed handler of a device on the third connection gets its updates there.
    let device = client
        .devices()
        .into_iter()
        .find(|d| d.mac == last.mac())
        .unwrap()
        .device_ref()
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    let registration = client
        .actors()
        .add_handler
        .send(AddHandler::status(device, HandlerSink::Channel(tx)))
        .await
        .unwrap()
        .unwrap();
    client.request_status(last.mac()).await.unwrap();
    let update = tokio::time::timeout(WAIT, rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(update.device.as_str(), last.mac());
    let removed = client
        .actors()
        .remove_handler
        .send(RemoveHandler(registration.id))
        .await
        .unwrap();
    assert!(
        removed,
        "the handler is removed from the connection that has it"
    );

    // A kick of one connection's client id disturbs that connection only.
    let mark = rec.len();
    assert!(sim.kick(&ids[1]));
    rec.wait_since(mark, WAIT, "connection 1 recovered", |_| {
        count_on(&rec.stamped()[mark..], "recovered", 1) == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let since = rec.stamped()[mark..].to_vec();
    assert_eq!(count_on(&since, "interrupted", 1), 1);
    for other in [0, 2] {
        assert_eq!(count_on(&since, "interrupted", other), 0, "{since:?}");
    }

    // An outage of every connection: each recovers once, the CONNECTs spread out.
    let mark = rec.len();
    sim.drop_all_connections();
    rec.wait_since(mark, WAIT, "every connection recovered", |_| {
        (0..3).all(|c| count_on(&rec.stamped()[mark..], "recovered", c) == 1)
    })
    .await;
    let d = client.connection_diagnostics().await.unwrap();
    assert_eq!(d.len(), 3);
    assert!(d.iter().all(|s| s.connected), "{d:?}");
    assert_eq!(client.diagnostics().await.unwrap().outages, 4, "1 kick + 3");
    assert!(client.is_connected().await);

    support::disconnect(&client, &rec).await;
    for id in &ids {
        assert!(sim.max_concurrent_connections(id) <= 1, "{id}");
        if let Some(gap) = sim.min_connect_gap(id) {
            assert!(gap >= Duration::from_millis(95), "{id}: {gap:?}");
        }
    }
    // Per connection, every outage has exactly one outcome.
    let all = rec.stamped();
    for c in 0..3 {
        let mine: Vec<Event> = all
            .iter()
            .filter(|e| e.connection == Some(c))
            .map(|e| e.event.clone())
            .collect();
        check_outcomes(&mine).unwrap_or_else(|v| panic!("connection {c}: {v}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_within_one_connections_quota_keeps_one_connection() {
    let sim = pool_sim();
    let config = fast(&sim)
        .subscriptions_per_connection(DEVICES + 1)
        .build()
        .unwrap();
    sim.set_quotas(AwsQuotas {
        max_subscriptions_per_connection: Some(DEVICES + 1),
        ..sim.quotas()
    });
    let (client, rec) = start_until_reported(config, DEVICES).await;
    assert_eq!(client.connection_count(), 1);
    assert_eq!(client.client_ids(), [client.client_id().to_owned()]);
    support::disconnect(&client, &rec).await;
}

/// Every attempt deep: after an outage of every connection, each reconnects deep, yet the
/// credentials are renewed once for the whole pool.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deep_reconnect_of_every_connection_renews_the_credentials_once() {
    let sim = pool_sim();
    let config = fast(&sim)
        .subscriptions_per_connection(5)
        .deep_reconnect_every(1)
        .build()
        .unwrap();
    let (client, rec) = start_until_reported(config, DEVICES).await;
    let renewals = || sim.refresh_count() + sim.sign_in_count();
    let before = renewals();
    let mark = rec.len();
    sim.drop_all_connections();
    rec.wait_since(mark, WAIT, "every connection recovered", |_| {
        (0..3).all(|c| count_on(&rec.stamped()[mark..], "recovered", c) == 1)
    })
    .await;
    let events = rec.stamped()[mark..].to_vec();
    let deep = events
        .iter()
        .filter(|e| {
            matches!(
                e.event,
                Event::Connecting {
                    kind: nwp500::AttemptKind::Deep,
                    ..
                }
            )
        })
        .count();
    assert!(deep >= 3, "every connection reconnected deep: {deep}");
    let names: Vec<_> = events
        .iter()
        .map(|e| (e.connection, e.event.name()))
        .collect();
    assert_eq!(
        renewals() - before,
        1,
        "one renewal for the pool: refreshes {}, sign-ins {}, {names:?}",
        sim.refresh_count(),
        sim.sign_in_count()
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| e.event.name() == "credentials_renewed")
            .count(),
        1
    );
    support::disconnect(&client, &rec).await;
}

/// The device list is read again: a heater removed from the account is forgotten and one
/// added is followed, on the place the removed one freed, without disturbing the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_added_to_or_removed_from_the_account_are_followed_or_forgotten() {
    let sim = Simulator::start(SimConfig {
        random_draws: false,
        ..SimConfig::with_devices(4)
    })
    .unwrap();
    sim.set_quotas(AwsQuotas {
        max_subscriptions_per_connection: Some(3),
        ..sim.quotas()
    });
    let macs: Vec<String> = sim.devices().iter().map(|d| d.mac().to_owned()).collect();
    // The fourth heater is not in the account yet.
    assert!(sim.set_device_listed(&macs[3], false));
    let config = fast(&sim)
        .subscriptions_per_connection(3)
        .device_list_interval(Some(Duration::from_millis(300)))
        .build()
        .unwrap();
    let (client, rec) = start_until_reported(config, 3).await;
    assert_eq!(client.connection_count(), 2);
    let placed = reporters(&rec.stamped());
    assert!(placed[&0].contains(&macs[1]), "{placed:?}");

    // Removed from the account: forgotten.
    let mark = rec.len();
    sim.set_device_listed(&macs[1], false);
    rec.wait_for(mark, "devices_changed", 1, WAIT).await;
    let changed = rec.since(mark);
    assert!(changed.iter().any(|e| matches!(
        e,
        Event::DevicesChanged { added, removed }
            if added.is_empty() && removed.len() == 1 && removed[0].as_str() == macs[1]
    )));
    assert_eq!(client.devices().len(), 2);
    let after_removal = rec.len();

    // Added to the account: followed, on the place the removed one freed.
    sim.set_device_listed(&macs[3], true);
    rec.wait_since(
        after_removal,
        WAIT,
        "a status from the added device",
        |_| {
            rec.stamped()[after_removal..].iter().any(|e| {
                matches!(&e.event, Event::Status { device, .. } if device.as_str() == macs[3])
                    && e.connection == Some(0)
            })
        },
    )
    .await;
    assert_eq!(client.connection_count(), 2, "no new connection was needed");
    // The others kept reporting, and nothing was interrupted.
    let events = rec.stamped()[mark..].to_vec();
    for (i, mac) in macs.iter().enumerate() {
        let reported = events
            .iter()
            .any(|e| matches!(&e.event, Event::Status { device, .. } if device.as_str() == mac));
        let late = events[events.len() / 2..]
            .iter()
            .any(|e| matches!(&e.event, Event::Status { device, .. } if device.as_str() == mac));
        match i {
            1 => assert!(!late, "the removed device is no longer polled"),
            _ => assert!(reported, "device {i} kept reporting"),
        }
    }
    assert_eq!(rec.count("interrupted"), 0);
    client.send(&macs[3], Command::RequestStatus).await.ok();
    assert!(client
        .send(
            &macs[1],
            Command::SetDhwMode {
                mode: DhwMode::Electric
            }
        )
        .await
        .is_err());
    support::disconnect(&client, &rec).await;
}
