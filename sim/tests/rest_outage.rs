//! REST outages (reset, error status, black hole) and REST-only latency; the control API stays
//! reachable throughout.

mod common;

use std::time::{Duration, Instant};

use common::*;
use nwp500_sim::{RestOutage, Simulator};
use serde_json::{json, Value};
use tokio::io::AsyncReadExt;

const SHORT: Duration = Duration::from_millis(300);
/// For requests that must succeed: generous, so a loaded machine does not fail them.
const LONG: Duration = Duration::from_secs(5);

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(LONG).build().unwrap()
}

async fn sign_in(client: &reqwest::Client, sim: &Simulator) -> reqwest::Result<u16> {
    sign_in_within(client, sim, LONG).await
}

async fn sign_in_within(
    client: &reqwest::Client,
    sim: &Simulator,
    timeout: Duration,
) -> reqwest::Result<u16> {
    let response = client
        .post(format!("{}/user/sign-in", sim.rest_url()))
        .timeout(timeout)
        .json(&json!({"userId": "user@example.com", "password": "correct-horse"}))
        .send()
        .await?;
    Ok(response.status().as_u16())
}

async fn control_reachable(client: &reqwest::Client, sim: &Simulator) -> bool {
    let state = client
        .get(format!("{}/state", sim.control_url()))
        .send()
        .await;
    matches!(state, Ok(r) if r.status() == 200)
}

#[tokio::test]
async fn a_status_outage_answers_every_rest_request_with_it() {
    let sim = Simulator::start_default().unwrap();
    let client = client();
    sim.set_rest_outage(Some(RestOutage::Status(503)));
    assert_eq!(sign_in(&client, &sim).await.unwrap(), 503);
    let list = client
        .post(format!("{}/device/list", sim.rest_url()))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(list.status().as_u16(), 503);
    assert!(list
        .text()
        .await
        .unwrap()
        .contains("503 Service Unavailable"));
    assert!(control_reachable(&client, &sim).await);

    let counters = sim.counters();
    assert_eq!(counters.rest_outage_answers, 2);
    assert_eq!(counters.sign_in_attempts, 0, "never reached the server");
    sim.set_rest_outage(None);
    assert_eq!(sign_in(&client, &sim).await.unwrap(), 200);
}

#[tokio::test]
async fn a_refusing_outage_resets_new_and_pooled_connections() {
    let sim = Simulator::start_default().unwrap();
    let client = client();
    assert_eq!(
        sign_in(&client, &sim).await.unwrap(),
        200,
        "pools a connection"
    );
    sim.set_rest_outage(Some(RestOutage::Refuse));
    let failed = sign_in(&client, &sim).await.unwrap_err();
    assert!(!failed.is_timeout(), "reset, not left hanging: {failed}");

    // A raw connection: the reset can already surface from `connect`.
    let addr = sim
        .rest_url()
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap();
    if let Ok(mut raw) = tokio::net::TcpStream::connect(addr).await {
        let read = tokio::time::timeout(LONG, raw.read(&mut [0u8; 16])).await;
        assert!(matches!(read, Ok(Err(_)) | Ok(Ok(0))), "{read:?}");
    }
    assert!(control_reachable(&client, &sim).await);
    assert!(sim.counters().rest_connections_refused >= 2);

    sim.clear_faults();
    let after = sign_in(&client, &sim).await;
    assert_eq!(after.map_err(|e| format!("{e:?}")), Ok(200));
}

#[tokio::test]
async fn a_black_hole_outage_accepts_and_never_answers() {
    let sim = Simulator::start_default().unwrap();
    let client = client();
    assert_eq!(sign_in(&client, &sim).await.unwrap(), 200);
    sim.set_rest_outage(Some(RestOutage::Blackhole));
    // The pooled connection, then a new one: both accepted, neither answered.
    let pooled = sign_in_within(&client, &sim, SHORT).await;
    assert!(pooled.unwrap_err().is_timeout());
    let fresh = sign_in_within(&reqwest::Client::new(), &sim, SHORT).await;
    assert!(fresh.unwrap_err().is_timeout());
    assert!(control_reachable(&client, &sim).await);
    assert!(sim.counters().rest_connections_blackholed >= 1);
    assert_eq!(sim.counters().sign_in_attempts, 1);

    sim.set_rest_outage(None);
    assert_eq!(sign_in(&client, &sim).await.unwrap(), 200);
}

#[tokio::test]
async fn rest_latency_delays_rest_answers_only() {
    let sim = Simulator::start_default().unwrap();
    sim.set_rest_latency(Duration::from_millis(300));
    let started = Instant::now();
    assert_eq!(sign_in(&client(), &sim).await.unwrap(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    let mut link = RawLink::tcp(sim.mqtt_tcp_url()).await;
    link.connect("a").await;
    let ping = Instant::now();
    link.send(&pingreq()).await;
    assert_eq!(link.recv(LONG).await.expect("PINGRESP").kind(), 13);
    // Well below the 300 ms the REST answers take.
    assert!(
        ping.elapsed() < Duration::from_millis(250),
        "MQTT not delayed"
    );
    assert_eq!(
        (sim.faults().rest_latency_ms, sim.faults().latency_ms),
        (300, 0)
    );
}

#[tokio::test]
async fn the_control_api_switches_every_outage_and_clears_them() {
    let sim = Simulator::start_default().unwrap();
    let client = reqwest::Client::new();
    let control = sim.control_url().to_owned();
    let post = |path: &str, body: Value| {
        let request = client.post(format!("{control}/{path}")).json(&body);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    for (path, body) in [
        ("upgrade-status", json!({"status": 502})),
        ("close-during-handshake", json!({"on": true})),
        ("connack-refusal", json!({"code": 5})),
        ("withhold-suback", json!({"on": true})),
        ("kick-after-connack", json!({"ms": 250})),
        ("rest-outage", json!({"outage": "status", "status": 504})),
        ("rest-latency", json!({"ms": 40})),
    ] {
        assert_eq!(post(path, body).await, 200, "{path}");
    }
    let faults = sim.faults();
    assert_eq!(faults.upgrade_status, Some(502));
    assert!(faults.close_during_handshake && faults.withhold_suback);
    assert_eq!(faults.connack_refusal, Some(5));
    assert_eq!(faults.kick_after_connack_ms, Some(250));
    assert_eq!(faults.rest_outage, Some(RestOutage::Status(504)));
    assert_eq!(faults.rest_latency_ms, 40);

    assert_eq!(
        post("rest-outage", json!({"outage": "blackhole"})).await,
        200
    );
    assert_eq!(sim.faults().rest_outage, Some(RestOutage::Blackhole));
    assert_eq!(post("upgrade-status", json!({"status": null})).await, 200);
    assert_eq!(sim.faults().upgrade_status, None);
    for (path, body) in [
        ("upgrade-status", json!({"status": 101})),
        ("connack-refusal", json!({"code": 0})),
        ("rest-outage", json!({"outage": "status"})),
        ("kick-after-connack", json!({})),
    ] {
        assert_eq!(post(path, body).await, 400, "{path}");
    }

    assert_eq!(
        post("clear-faults", json!({})).await,
        200,
        "reachable in a REST outage"
    );
    let cleared = sim.faults();
    assert_eq!(cleared.connack_refusal, None);
    assert!(!cleared.close_during_handshake && !cleared.withhold_suback);
    assert_eq!(cleared.kick_after_connack_ms, None);
    assert_eq!((cleared.rest_outage, cleared.rest_latency_ms), (None, 0));

    let mut link = RawLink::tcp(sim.mqtt_tcp_url()).await;
    link.connect("c").await;
    let client_view: Value = client
        .get(format!("{control}/clients/c"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(client_view["connectOffsetsMs"], json!([0]));
    assert_eq!(client_view["maxConcurrentConnections"], json!(1));
}
