//! Every network fault, observed from a raw MQTT client.

mod common;

use std::time::{Duration, Instant};

use common::*;
use nwp500_sim::{AwsQuotas, ConnectionOutcome, SimConfig, Simulator};

const SHORT: Duration = Duration::from_millis(300);

async fn ping_answered(link: &mut RawLink, within: Duration) -> bool {
    link.send(&pingreq()).await;
    matches!(link.recv(within).await, Some(p) if p.kind() == 13)
}

#[tokio::test]
async fn blackhole_keeps_sockets_open_and_answers_nothing() {
    let sim = Simulator::start_default().unwrap();
    let mut link = RawLink::tcp(sim.mqtt_tcp_url()).await;
    link.connect("a").await;
    assert!(ping_answered(&mut link, SHORT).await);

    sim.set_blackhole(true);
    assert!(!ping_answered(&mut link, SHORT).await, "ping unanswered");
    assert!(!link.closed_within(SHORT).await, "socket still open");

    // A new connection while the black hole lasts: no CONNACK, socket open.
    let mut fresh = RawLink::tcp(sim.mqtt_tcp_url()).await;
    fresh.send(&connect("b", 60)).await;
    assert!(fresh.recv(SHORT).await.is_none());

    // Over a signed WebSocket as well: the upgrade itself gets no answer.
    let creds = sim.issue_aws_credentials();
    let upgrade = tokio::time::timeout(
        SHORT,
        RawLink::ws(&presigned_url(sim.mqtt_ws_url(), &creds)),
    )
    .await;
    assert!(upgrade.is_err(), "upgrade hangs");

    sim.set_blackhole(false);
    let mut after = RawLink::tcp(sim.mqtt_tcp_url()).await;
    after.connect("c").await;
    assert!(ping_answered(&mut after, SHORT).await);
    // A link that was black-holed stays dead.
    assert!(!ping_answered(&mut link, SHORT).await);

    let log = sim.connection_log();
    assert!(log[0].blackholed && log[1].blackholed);
    assert!(!log[log.len() - 1].blackholed);
}

#[tokio::test]
async fn drop_all_closes_every_live_connection() {
    let sim = Simulator::start_default().unwrap();
    // The test reconnects right after the drop: the CONNECT-rate quota alone is lifted.
    sim.set_quotas(AwsQuotas {
        min_connect_interval_per_client_id: None,
        ..sim.quotas()
    });
    let mut a = RawLink::tcp(sim.mqtt_tcp_url()).await;
    a.connect("a").await;
    let creds = sim.issue_aws_credentials();
    let mut b = RawLink::ws(&presigned_url(sim.mqtt_ws_url(), &creds))
        .await
        .unwrap();
    b.connect("b").await;

    assert_eq!(sim.drop_all_connections(), 2);
    assert!(a.closed_within(SHORT).await);
    assert!(b.closed_within(SHORT).await);
    assert!(sim
        .connection_log()
        .iter()
        .all(|r| r.outcome == ConnectionOutcome::Dropped));

    let mut c = RawLink::tcp(sim.mqtt_tcp_url()).await;
    c.connect("a").await;
}

#[tokio::test]
async fn refused_connections_are_reset_at_once() {
    let sim = Simulator::start_default().unwrap();
    sim.set_refuse_connections(true);
    assert!(RawLink::tcp_is_refused(sim.mqtt_tcp_url()).await);

    let creds = sim.issue_aws_credentials();
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
            presigned_url(sim.mqtt_ws_url(), &creds),
        )
        .unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "mqtt".parse().unwrap());
    let attempt = tokio::time::timeout(SHORT, tokio_tungstenite::connect_async(request))
        .await
        .expect("fails fast");
    assert!(
        !matches!(attempt, Err(tokio_tungstenite::tungstenite::Error::Http(_))),
        "no HTTP answer, a reset"
    );
    assert!(attempt.is_err());

    sim.set_refuse_connections(false);
    let mut ok = RawLink::tcp(sim.mqtt_tcp_url()).await;
    ok.connect("a").await;
    let refused = sim
        .connection_log()
        .iter()
        .filter(|r| r.outcome == ConnectionOutcome::Refused)
        .count();
    assert_eq!(refused, 2);
}

#[tokio::test]
async fn latency_delays_both_directions() {
    let sim = Simulator::start_default().unwrap();
    let mut link = RawLink::tcp(sim.mqtt_tcp_url()).await;
    link.connect("a").await;
    let fast = Instant::now();
    assert!(ping_answered(&mut link, SHORT).await);
    // Without latency a ping round trip stays well below the 300 ms the fault adds.
    assert!(fast.elapsed() < Duration::from_millis(250));

    sim.set_latency(Duration::from_millis(150));
    let slow = Instant::now();
    assert!(ping_answered(&mut link, Duration::from_secs(2)).await);
    let rtt = slow.elapsed();
    assert!(
        rtt >= Duration::from_millis(300) && rtt < Duration::from_secs(1),
        "{rtt:?}"
    );

    sim.set_latency(Duration::ZERO);
    let again = Instant::now();
    assert!(ping_answered(&mut link, SHORT).await);
    assert!(again.elapsed() < Duration::from_millis(250));
}

#[tokio::test]
async fn broker_restart_drops_everything_refuses_briefly_and_forgets_subscriptions() {
    let sim = Simulator::start(SimConfig {
        broker_restart_downtime: Duration::from_millis(200),
        ..SimConfig::default()
    })
    .unwrap();
    // The test reconnects right after the restart: the CONNECT-rate quota alone is lifted.
    sim.set_quotas(AwsQuotas {
        min_connect_interval_per_client_id: None,
        ..sim.quotas()
    });
    let mut link = RawLink::tcp(sim.mqtt_tcp_url()).await;
    link.connect("a").await;
    link.subscribe(1, "x/#").await;

    assert_eq!(sim.restart_broker(), 1);
    assert!(link.closed_within(SHORT).await);
    assert!(
        RawLink::tcp_is_refused(sim.mqtt_tcp_url()).await,
        "refused while restarting"
    );

    tokio::time::sleep(Duration::from_millis(250)).await;
    let mut after = RawLink::tcp(sim.mqtt_tcp_url()).await;
    after.connect("a").await;
    // The old subscription is gone: a publish on x/1 is not delivered (only its PUBACK comes).
    after.send(&publish(9, "x/1", b"{}")).await;
    let ack = after.recv(SHORT).await.expect("PUBACK");
    assert_eq!(ack.kind(), 4);
    assert!(after.recv(SHORT).await.is_none());

    let outcomes: Vec<_> = sim
        .connection_log()
        .into_iter()
        .map(|r| r.outcome)
        .collect();
    assert_eq!(outcomes[0], ConnectionOutcome::BrokerRestart);
    assert_eq!(outcomes[1], ConnectionOutcome::Refused);
}

#[tokio::test]
async fn kick_closes_only_that_client() {
    let sim = Simulator::start_default().unwrap();
    let mut a = RawLink::tcp(sim.mqtt_tcp_url()).await;
    a.connect("a").await;
    let mut b = RawLink::tcp(sim.mqtt_tcp_url()).await;
    b.connect("b").await;

    assert!(sim.kick("a"));
    assert!(!sim.kick("nobody"));
    assert!(a.closed_within(SHORT).await);
    assert!(ping_answered(&mut b, SHORT).await);
    assert_eq!(
        sim.connections_of("a")[0].outcome,
        ConnectionOutcome::Kicked
    );
}

#[tokio::test]
async fn the_log_answers_concurrency_and_connect_gap_questions() {
    let sim = Simulator::start_default().unwrap();
    // The test measures CONNECTs closer than a second: the CONNECT-rate quota alone is lifted.
    sim.set_quotas(AwsQuotas {
        min_connect_interval_per_client_id: None,
        ..sim.quotas()
    });
    let mut first = RawLink::tcp(sim.mqtt_tcp_url()).await;
    first.connect("c").await;
    first.send(&disconnect()).await;
    assert!(first.closed_within(SHORT).await);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut second = RawLink::tcp(sim.mqtt_tcp_url()).await;
    second.connect("c").await;

    assert_eq!(sim.max_concurrent_connections("c"), 1);
    let gap = sim.min_connect_gap("c").unwrap();
    assert!(gap >= Duration::from_millis(200), "{gap:?}");
    let log = sim.connections_of("c");
    assert_eq!(log[0].outcome, ConnectionOutcome::ClientClosed);
    assert!(log[1].is_open());
}

#[tokio::test]
async fn upgrades_rejection_refuses_tcp_connects_as_not_authorized() {
    let sim = Simulator::start_default().unwrap();
    sim.set_reject_upgrades(true);
    let mut link = RawLink::tcp(sim.mqtt_tcp_url()).await;
    link.send(&connect("a", 60)).await;
    let ack = link.recv(SHORT).await.expect("CONNACK");
    assert_eq!(ack.kind(), 2);
    assert_eq!(ack.body, vec![0, 5], "not authorized");
    assert!(link.closed_within(SHORT).await);
}

#[tokio::test]
async fn keep_alive_silence_ends_the_session() {
    let sim = Simulator::start_default().unwrap();
    let mut link = RawLink::tcp(sim.mqtt_tcp_url()).await;
    link.send(&connect("k", 1)).await;
    assert_eq!(link.recv(SHORT).await.unwrap().kind(), 2);
    // 1.5 × keep-alive without a packet.
    assert!(link.closed_within(Duration::from_secs(3)).await);
    assert_eq!(
        sim.connections_of("k")[0].outcome,
        ConnectionOutcome::BrokerClosed
    );
}
