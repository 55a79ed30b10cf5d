//! A start during an outage is an outage: the client comes up without the cloud, keeps
//! trying under the reconnect policy and connects within seconds of the cloud answering.
//! And a retry after a reconnection failure works without the REST API.

mod recovery_support;

use std::time::{Duration, Instant};

use nwp500::client::Client;
use nwp500::config::ClientConfig;
use nwp500::events::Event;
use nwp500::policy::FailureKind;
use nwp500_sim::{SimConfig, Simulator};
use recovery_support::{check_outcomes, Recorder};

/// A port nobody listens on (yet).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_started_before_the_cloud_connects_within_seconds_of_it() {
    let (rest_port, ws_port) = (free_port(), free_port());
    let account = SimConfig::default().account;
    let config = ClientConfig::builder()
        .credentials(account.email.clone(), account.password.clone())
        .api_url(format!("http://127.0.0.1:{rest_port}/api/v2.1"))
        .mqtt_url(format!("ws://127.0.0.1:{ws_port}/mqtt"))
        .keep_alive(Duration::from_secs(1))
        .connect_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(2))
        // Realistic backoff: without the probe the client would sit out up to 8 s.
        .initial_reconnect_delay(Duration::from_secs(1))
        .max_reconnect_delay(Duration::from_secs(8))
        .probe_interval(Duration::from_millis(300))
        .poll_interval(Duration::from_millis(500))
        .build()
        .unwrap();

    let started = Instant::now();
    let client = Client::start(config)
        .await
        .expect("a start during an outage is not an error");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "start took {:?}",
        started.elapsed()
    );
    assert!(client.devices().is_empty());
    assert!(!client.devices_known());
    let rec = Recorder::attach(&client);
    rec.wait_since(
        0,
        Duration::from_secs(10),
        "a scheduled retry of the sign-in",
        |events| {
            events.iter().any(|e| {
            matches!(e, Event::ReconnectScheduled { class: FailureKind::Credentials, reason, .. }
                if reason.contains("device list") || reason.contains("credentials"))
        })
        },
    )
    .await;
    // Long enough for the backoff to outgrow the probe interval.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(rec.count("connected"), 0);

    let sim = Simulator::start(SimConfig {
        rest_port,
        ws_port,
        ..SimConfig::default()
    })
    .expect("the cloud comes up on the ports the client was given");
    let up = Instant::now();
    let from = rec.len();
    rec.wait_for(from, "recovered", 1, Duration::from_secs(10))
        .await;
    let back = up.elapsed();
    assert!(
        back <= Duration::from_secs(3),
        "connected {back:?} after the cloud answered"
    );
    rec.wait_for(from, "status", 1, Duration::from_secs(5))
        .await;
    assert_eq!(rec.count("devices_discovered"), 1);
    assert!(client.devices_known());
    assert_eq!(client.devices().len(), 1);
    assert_eq!(client.devices()[0].mac, sim.config().devices[0].mac);
    recovery_support::assert_attempt_numbers_agree(&rec.all());
    recovery_support::disconnect(&client, &rec).await;
    check_outcomes(&rec.all()).unwrap();
    assert_eq!(sim.max_concurrent_connections(client.client_id()), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_credentials_at_start_are_still_an_error_of_start() {
    let sim = Simulator::start_default().unwrap();
    let config = recovery_support::fast(&sim)
        .credentials(sim.config().account.email.clone(), "wrong password")
        .build()
        .unwrap();
    let error = Client::start(config).await.expect_err("refused");
    assert!(error.is_invalid_credentials(), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_a_reconnection_failure_works_without_the_rest_api() {
    let (sim, client, rec) =
        recovery_support::connected(SimConfig::default(), |b| b.max_reconnect_attempts(Some(2)))
            .await;
    sim.set_refuse_connections(true);
    sim.drop_all_connections();
    rec.wait_for(0, "reconnection_failed", 1, Duration::from_secs(10))
        .await;
    // The REST API is down now; the AWS credentials are still valid.
    sim.fail_next_rest_requests(u32::MAX);
    sim.set_refuse_connections(false);
    let (sign_ins, refreshes) = (sim.sign_in_count(), sim.refresh_count());
    let from = rec.len();
    assert!(client.retry(None).await.expect("retry needs no REST call"));
    rec.wait_for(from, "connected", 1, Duration::from_secs(10))
        .await;
    rec.wait_for(from, "status", 1, Duration::from_secs(10))
        .await;
    assert_eq!(
        (sim.sign_in_count(), sim.refresh_count()),
        (sign_ins, refreshes)
    );
    sim.fail_next_rest_requests(0);
    recovery_support::disconnect(&client, &rec).await;
}
