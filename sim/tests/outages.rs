//! The outages of the handshake and the session: an HTTP status at the upgrade, a close during
//! the handshake, CONNACK refusals, withheld SUBACKs, kicks after CONNACK, and the CONNECT times
//! the log keeps through all of them.

mod common;

use std::time::Duration;

use common::*;
use nwp500_sim::{AwsQuotas, ConnectionOutcome, Simulator};
use tokio_tungstenite::tungstenite;

/// How long to wait for something that must not happen.
const SHORT: Duration = Duration::from_millis(300);
/// How long to wait for something that must happen (generous for a loaded machine).
const LONG: Duration = Duration::from_secs(2);

fn signed_url(sim: &Simulator) -> String {
    presigned_url(sim.mqtt_ws_url(), &sim.issue_aws_credentials())
}

fn outcomes(sim: &Simulator) -> Vec<ConnectionOutcome> {
    sim.connection_log()
        .into_iter()
        .map(|r| r.outcome)
        .collect()
}

#[tokio::test]
async fn an_upgrade_status_is_answered_before_the_signature_check() {
    let sim = Simulator::start_default().unwrap();
    sim.set_upgrade_status(Some(503));
    assert_eq!(RawLink::ws(&signed_url(&sim)).await.err(), Some(503));
    assert_eq!(
        RawLink::ws(sim.mqtt_ws_url()).await.err(),
        Some(503),
        "unsigned"
    );
    sim.set_upgrade_status(Some(504));
    assert_eq!(RawLink::ws(&signed_url(&sim)).await.err(), Some(504));
    assert_eq!(sim.faults().upgrade_status, Some(504));

    sim.set_upgrade_status(None);
    let mut link = RawLink::ws(&signed_url(&sim)).await.expect("upgrade");
    link.connect("a").await;
    assert_eq!(
        outcomes(&sim)[..3],
        [
            ConnectionOutcome::UpgradeStatus(503),
            ConnectionOutcome::UpgradeStatus(503),
            ConnectionOutcome::UpgradeStatus(504),
        ]
    );
}

#[tokio::test]
async fn a_close_during_the_handshake_leaves_upgrades_and_connects_unanswered() {
    let sim = Simulator::start_default().unwrap();
    sim.set_close_during_handshake(true);
    let attempt = tokio::time::timeout(LONG, tokio_tungstenite::connect_async(signed_url(&sim)))
        .await
        .expect("closed at once, not left hanging");
    match attempt {
        Err(tungstenite::Error::Http(r)) => panic!("answered with {}", r.status()),
        Err(_) => {}
        Ok(_) => panic!("upgrade succeeded"),
    }

    let mut tcp = RawLink::tcp(sim.mqtt_tcp_url()).await;
    tcp.send(&connect("t", 60)).await;
    assert!(tcp.recv(SHORT).await.is_none(), "no CONNACK");
    assert!(tcp.closed_within(LONG).await);

    let log = sim.connection_log();
    assert_eq!(log[0].outcome, ConnectionOutcome::ClosedDuringHandshake);
    assert_eq!(log[1].outcome, ConnectionOutcome::ClosedDuringHandshake);
    assert_eq!(log[1].client_id.as_deref(), Some("t"));
    assert!(log[1].connect_received.is_some() && log[1].connected.is_none());

    sim.set_close_during_handshake(false);
    RawLink::tcp(sim.mqtt_tcp_url()).await.connect("t").await;
}

#[tokio::test]
async fn a_connack_refusal_carries_the_code_and_closes_after_a_checked_upgrade() {
    let sim = Simulator::start_default().unwrap();
    sim.set_connack_refusal(Some(3));
    assert_eq!(
        RawLink::ws(sim.mqtt_ws_url()).await.err(),
        Some(403),
        "still signed"
    );
    let mut ws = RawLink::ws(&signed_url(&sim)).await.expect("upgrade");
    ws.send(&connect("c", 60)).await;
    let ack = ws.recv(LONG).await.expect("CONNACK");
    assert_eq!(
        (ack.kind(), ack.body),
        (2, vec![0, 3]),
        "server unavailable"
    );
    assert!(ws.closed_within(LONG).await);

    sim.set_connack_refusal(Some(5));
    let mut tcp = RawLink::tcp(sim.mqtt_tcp_url()).await;
    tcp.send(&connect("c", 60)).await;
    assert_eq!(tcp.recv(LONG).await.expect("CONNACK").body, vec![0, 5]);
    assert!(tcp.closed_within(LONG).await);

    let log = sim.connections_of("c");
    assert_eq!(log[0].outcome, ConnectionOutcome::ConnackRefused(3));
    assert_eq!(log[1].outcome, ConnectionOutcome::ConnackRefused(5));
    assert_eq!(sim.max_concurrent_connections("c"), 0, "never live");
}

#[tokio::test]
async fn withheld_subacks_leave_the_connection_open_and_answering_the_rest() {
    let sim = Simulator::start_default().unwrap();
    sim.set_withhold_suback(true);
    let mut link = RawLink::tcp(sim.mqtt_tcp_url()).await;
    link.connect("w").await;
    link.send(&subscribe(1, &["w/#"])).await;
    assert!(link.recv(SHORT).await.is_none(), "no SUBACK");
    link.send(&pingreq()).await;
    assert_eq!(link.recv(LONG).await.expect("PINGRESP").kind(), 13);
    link.send(&publish(2, "w/x", b"{}")).await;
    assert_eq!(link.recv(LONG).await.expect("PUBACK").kind(), 4);
    assert!(
        link.recv(SHORT).await.is_none(),
        "the subscription was not applied"
    );

    let record = &sim.connections_of("w")[0];
    assert!(record.is_open());
    assert_eq!(record.subacks_withheld, 1);

    sim.set_withhold_suback(false);
    link.subscribe(3, "w/#").await;
}

#[tokio::test]
async fn a_kick_after_connack_closes_each_new_connection_until_switched_off() {
    let sim = Simulator::start_default().unwrap();
    // The test reconnects right after each kick: the CONNECT-rate quota alone is lifted.
    sim.set_quotas(AwsQuotas {
        min_connect_interval_per_client_id: None,
        ..sim.quotas()
    });
    sim.set_kick_after_connack(Some(Duration::from_millis(150)));
    let mut link = RawLink::tcp(sim.mqtt_tcp_url()).await;
    link.connect("k").await;
    assert!(link.closed_within(Duration::from_secs(1)).await);
    let record = &sim.connections_of("k")[0];
    assert_eq!(record.outcome, ConnectionOutcome::KickedAfterConnack);
    assert!(record.duration().unwrap() >= Duration::from_millis(150));

    // Switched off while a kick is pending: that connection stays.
    sim.set_kick_after_connack(Some(Duration::from_millis(600)));
    let mut spared = RawLink::tcp(sim.mqtt_tcp_url()).await;
    spared.connect("k").await;
    sim.set_kick_after_connack(None);
    assert!(!spared.closed_within(Duration::from_millis(800)).await);
}

#[tokio::test]
async fn connect_times_are_those_of_every_connect_packet_refused_ones_included() {
    let sim = Simulator::start_default().unwrap();
    sim.set_connack_refusal(Some(4));
    for _ in 0..2 {
        let mut link = RawLink::tcp(sim.mqtt_tcp_url()).await;
        link.send(&connect("g", 60)).await;
        assert!(link.closed_within(LONG).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sim.set_connack_refusal(None);
    RawLink::tcp(sim.mqtt_tcp_url()).await.connect("g").await;

    let times = sim.connect_times("g");
    assert_eq!(times.len(), 3);
    let gap = sim.min_connect_gap("g").unwrap();
    assert!(gap >= Duration::from_millis(100), "{gap:?}");
    assert_eq!(Some(gap), times.windows(2).map(|w| w[1] - w[0]).min());
    let log = sim.connections_of("g");
    assert!(log.iter().all(|r| r.connect_received.is_some()));
    assert_eq!(log[2].connect_received, Some(times[2]));
}
