//! Starting and stopping simulators: fast, side by side, from any kind of caller.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::*;
use nwp500_sim::{SimConfig, Simulator};
use serde_json::json;

/// A blocking MQTT status exchange over plain TCP (no tokio on the caller's side).
fn blocking_status_exchange(sim: &Simulator) {
    let addr = sim.mqtt_tcp_url().trim_start_matches("mqtt://").to_owned();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    stream.write_all(&connect(CLIENT_ID, 60)).unwrap();
    stream
        .write_all(&subscribe(1, &[&default_response_topic(CLIENT_ID)]))
        .unwrap();
    let request = envelope(
        CLIENT_ID,
        "st",
        &default_response_topic(CLIENT_ID),
        json!({"command": 16_777_219}),
    );
    stream
        .write_all(&publish(2, &topic("st"), &request))
        .unwrap();
    // CONNACK, SUBACK, PUBACK, then the answer: read until the status shows up.
    let mut seen = Vec::new();
    let mut chunk = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("\"status\"") {
        let n = stream.read(&mut chunk).unwrap();
        assert!(n > 0, "connection closed before the answer");
        seen.extend_from_slice(&chunk[..n]);
    }
}

fn port_of(url: &str) -> u16 {
    url.rsplit(':')
        .next()
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn start_and_shutdown_take_well_under_a_second_and_free_the_ports() {
    let started = Instant::now();
    let mut sim = Simulator::start(SimConfig::with_devices(3)).unwrap();
    let start_time = started.elapsed();
    blocking_status_exchange(&sim);
    let rest_port = port_of(sim.rest_url());
    let tcp_port = port_of(sim.mqtt_tcp_url());

    let stopping = Instant::now();
    sim.shutdown();
    let stop_time = stopping.elapsed();
    eprintln!("start {start_time:?}, shutdown {stop_time:?}");
    assert!(
        start_time < Duration::from_millis(500),
        "start {start_time:?}"
    );
    assert!(
        stop_time < Duration::from_millis(500),
        "shutdown {stop_time:?}"
    );
    assert!(std::net::TcpStream::connect(("127.0.0.1", rest_port)).is_err());
    assert!(std::net::TcpStream::connect(("127.0.0.1", tcp_port)).is_err());
    // The connection that was open is logged as ended by the shutdown.
    assert!(sim.connection_log().iter().all(|r| !r.is_open()));
}

#[test]
fn handles_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Simulator>();
    assert_send_sync::<nwp500_sim::DeviceHandle>();
}

#[test]
fn dropping_the_handle_stops_the_simulator() {
    let sim = Simulator::start_default().unwrap();
    let port = port_of(sim.mqtt_ws_url());
    drop(sim);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn several_simulators_run_side_by_side() {
    let sims: Vec<Simulator> = (0..6)
        .map(|_| Simulator::start_default().unwrap())
        .collect();
    let mut ports: Vec<u16> = sims.iter().map(|s| port_of(s.mqtt_tcp_url())).collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), 6);
    for sim in &sims {
        blocking_status_exchange(sim);
        assert_eq!(sim.devices()[0].command_count(16_777_219), 1);
    }
}

#[tokio::test(start_paused = true)]
async fn works_from_a_test_with_paused_time() {
    let sim = Simulator::start_default().unwrap();
    let mut link = RawLink::tcp(sim.mqtt_tcp_url()).await;
    // No timeouts here: with paused time they would fire at once while waiting for I/O.
    link.send(&connect(CLIENT_ID, 60)).await;
    link.send(&subscribe(1, &[&default_response_topic(CLIENT_ID)]))
        .await;
    let request = envelope(
        CLIENT_ID,
        "st",
        &default_response_topic(CLIENT_ID),
        json!({"command": 16_777_219}),
    );
    link.send(&publish(2, &topic("st"), &request)).await;
    let answer = tokio::task::spawn_blocking({
        let device = sim.devices()[0].clone();
        move || {
            let deadline = Instant::now() + Duration::from_secs(2);
            while device.command_count(16_777_219) == 0 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            device.command_count(16_777_219)
        }
    })
    .await
    .unwrap();
    assert_eq!(answer, 1);
}

#[test]
fn works_inside_an_actix_system() {
    actix_web::rt::System::new().block_on(async {
        let sim = Simulator::start_default().unwrap();
        let mut link = RawLink::tcp(sim.mqtt_tcp_url()).await;
        link.connect(CLIENT_ID).await;
        link.send(&pingreq()).await;
        let pong = link.recv(Duration::from_secs(1)).await.expect("PINGRESP");
        assert_eq!(pong.kind(), 13);
    });
}
