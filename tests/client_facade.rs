//! The client facade: started inside an actix System or from plain tokio, sign-in errors
//! at start, validation before anything is published, typed handlers from outside.

#[path = "recovery_support/mod.rs"]
mod support;

use std::time::Duration;

use nwp500::client::{Client, ClientError};
use nwp500::connection::PublishOutcome;
use nwp500::protocol::{Command, UnitSystem};
use nwp500::subscriptions::{AddHandler, HandlerSink, StatusUpdate};
use nwp500_sim::{SimConfig, Simulator};
use support::{fast, Recorder};

const WAIT: Duration = Duration::from_secs(10);

#[actix::test]
async fn runs_inside_an_existing_actix_system() {
    let sim = Simulator::start(SimConfig::default()).unwrap();
    let client = Client::start(fast(&sim).build().unwrap()).await.unwrap();
    let rec = Recorder::attach(&client);
    rec.wait_for(0, "status", 1, WAIT).await;
    // The actors live on this arbiter: their addresses work from here.
    let device = client.devices()[0].device_ref().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<StatusUpdate>(4);
    client
        .actors()
        .add_handler
        .send(AddHandler::status(device.clone(), HandlerSink::Channel(tx)))
        .await
        .unwrap()
        .unwrap();
    client.request_status(device.mac.as_str()).await.unwrap();
    let update = tokio::time::timeout(WAIT, rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(update.status.dhw_temperature.is_some());
    support::disconnect(&client, &rec).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_from_plain_tokio_and_lists_devices() {
    let sim = Simulator::start(SimConfig::with_devices(3)).unwrap();
    let client = Client::start(fast(&sim).build().unwrap()).await.unwrap();
    let rec = Recorder::attach(&client);
    assert_eq!(client.devices().len(), 3);
    assert!(client.client_id().starts_with("navien-client-"));
    rec.wait_since(0, WAIT, "a status of every device", |events| {
        let mut seen: Vec<&str> = events
            .iter()
            .filter_map(|e| match e {
                nwp500::events::Event::Status { device, .. } => Some(device.as_str()),
                _ => None,
            })
            .collect();
        seen.sort_unstable();
        seen.dedup();
        seen.len() == 3
    })
    .await;
    let diagnostics = client.diagnostics().await.unwrap();
    assert!(diagnostics.connected);
    assert_eq!(diagnostics.outages, 0);
    support::disconnect(&client, &rec).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_fails_start_with_invalid_credentials() {
    let sim = Simulator::start(SimConfig::default()).unwrap();
    let config = fast(&sim)
        .credentials(sim.config().account.email.clone(), "wrong")
        .build()
        .unwrap();
    let error = Client::start(config).await.unwrap_err();
    assert!(error.is_invalid_credentials(), "{error}");
    assert_eq!(sim.counters().sign_in_attempts, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_commands_are_refused_before_anything_is_published() {
    let sim = Simulator::start(SimConfig::default()).unwrap();
    let client = Client::start(fast(&sim).build().unwrap()).await.unwrap();
    let rec = Recorder::attach(&client);
    rec.wait_for(0, "feature", 1, WAIT).await;
    let device = sim.devices()[0].clone();
    device.clear_commands();
    let mac = device.mac().to_owned();
    let too_hot = Command::SetDhwTemperature {
        temperature: 200.0,
        unit: UnitSystem::UsCustomary,
    };
    assert!(matches!(
        client.send(&mac, too_hot).await,
        Err(ClientError::Command(_))
    ));
    assert!(matches!(
        client.send("001122334455", Command::RequestStatus).await,
        Err(ClientError::UnknownDevice(_))
    ));
    let ok = Command::SetDhwTemperature {
        temperature: 120.0,
        unit: UnitSystem::UsCustomary,
    };
    assert_eq!(
        client.send(&mac, ok).await.unwrap(),
        PublishOutcome::Acknowledged
    );
    assert!(device.wait_for_commands(33_554_464, 1, WAIT).await);
    assert_eq!(device.commands_with_code(33_554_464).len(), 1);
    rec.wait_for(0, "command_sent", 1, WAIT).await;
    support::disconnect(&client, &rec).await;
}

fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_devices_cost_no_thread_each() {
    // 50 devices with AWS's quotas: 49 on one connection, the 50th on a second one.
    let sim = Simulator::start(SimConfig::with_devices(50)).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = thread_count();
    // 50 devices polled every 2 s: 25 status requests a second, within the publish rate
    // (AWS's quota per connection); `fast`'s 500 ms would ask for 100 a second.
    let config = fast(&sim).poll_interval(Duration::from_secs(2));
    let client = Client::start(config.build().unwrap()).await.unwrap();
    let rec = Recorder::attach(&client);
    rec.wait_for(0, "feature", 50, WAIT).await;
    let grown = thread_count().saturating_sub(before);
    assert!(grown < 10, "{grown} threads for one client of 50 devices");
    support::disconnect(&client, &rec).await;
}
