//! AWS IoT Core's per-connection quotas, enforced by default: each shown at its default, lifted,
//! and changed at runtime (Rust and control API).

mod common;

use std::time::Duration;

use common::{puback, publish, subscribe, RawLink, Received};
use nwp500_sim::{AwsQuotas, ConnectionOutcome, SimConfig, Simulator};

/// Long enough for the simulator to answer on a loaded machine, short enough that waiting
/// for "nothing more" stays cheap.
const QUIET: Duration = Duration::from_millis(300);

fn started(quotas: AwsQuotas) -> Simulator {
    Simulator::start(SimConfig {
        quotas,
        random_draws: false,
        ..SimConfig::default()
    })
    .unwrap()
}

async fn connected(sim: &Simulator, client_id: &str) -> RawLink {
    let mut link = RawLink::tcp(sim.mqtt_tcp_url()).await;
    link.connect(client_id).await;
    link
}

/// Sends one SUBSCRIBE and returns the return codes of its SUBACK.
async fn suback_codes(link: &mut RawLink, packet_id: u16, filters: &[String]) -> Vec<u8> {
    let filters: Vec<&str> = filters.iter().map(String::as_str).collect();
    link.send(&subscribe(packet_id, &filters)).await;
    let ack = link.recv(Duration::from_secs(2)).await.expect("SUBACK");
    assert_eq!(ack.kind(), 9, "{ack:?}");
    assert_eq!(&ack.body[..2], &packet_id.to_be_bytes());
    ack.body[2..].to_vec()
}

fn filters(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("q/{i}")).collect()
}

/// Every packet that arrives until the link has been quiet for [`QUIET`].
async fn drain(link: &mut RawLink) -> Vec<Received> {
    let mut packets = Vec::new();
    while let Some(p) = link.recv(QUIET).await {
        packets.push(p);
    }
    packets
}

fn pubacks(packets: &[Received]) -> usize {
    packets.iter().filter(|p| p.kind() == 4).count()
}

fn publishes(packets: &[Received]) -> Vec<u16> {
    packets
        .iter()
        .filter(|p| p.kind() == 3)
        .map(|p| p.publish().2.expect("QoS 1 delivery"))
        .collect()
}

/// `count` QoS 1 publishes on `topic`, in one write.
fn burst(topic: &str, count: u16) -> Vec<u8> {
    (1..=count)
        .flat_map(|id| publish(id, topic, b"{}"))
        .collect()
}

fn record(sim: &Simulator, client_id: &str) -> nwp500_sim::ConnectionRecord {
    sim.connections_of(client_id)
        .pop()
        .expect("a connection of this client id")
}

// ---- subscriptions per connection ------------------------------------------------------------

#[tokio::test]
async fn subscriptions_beyond_fifty_get_0x80_and_the_rest_of_the_suback_is_granted() {
    let sim = started(AwsQuotas::default());
    let mut link = connected(&sim, "subs").await;
    for (n, chunk) in filters(0..48).chunks(8).enumerate() {
        let codes = suback_codes(&mut link, n as u16 + 1, chunk).await;
        assert_eq!(codes, vec![1; 8]);
    }
    // Filters 48 and 49 reach the quota; 50 and 51 are beyond it. The SUBACK says so per filter.
    let codes = suback_codes(&mut link, 10, &filters(48..52)).await;
    assert_eq!(codes, vec![1, 1, 0x80, 0x80]);
    // A filter already held is not a new subscription: granted again.
    let codes = suback_codes(&mut link, 11, &filters(0..1)).await;
    assert_eq!(codes, vec![1]);
    assert_eq!(record(&sim, "subs").subscriptions_refused, 2);

    // The refused filter receives nothing; a granted one does (AWS echoes own publishes).
    link.send(&publish(1, "q/50", b"{}")).await;
    link.send(&publish(2, "q/49", b"{}")).await;
    let packets = drain(&mut link).await;
    assert_eq!(pubacks(&packets), 2);
    let topics: Vec<String> = packets
        .iter()
        .filter(|p| p.kind() == 3)
        .map(|p| p.publish().0)
        .collect();
    assert_eq!(topics, vec!["q/49".to_owned()]);
    assert!(record(&sim, "subs").is_open(), "the connection stays");
}

#[tokio::test]
async fn without_the_subscription_quota_sixty_filters_are_granted() {
    let sim = started(AwsQuotas {
        max_subscriptions_per_connection: None,
        ..AwsQuotas::default()
    });
    let mut link = connected(&sim, "subs").await;
    for (n, chunk) in filters(0..60).chunks(6).enumerate() {
        let codes = suback_codes(&mut link, n as u16 + 1, chunk).await;
        assert_eq!(codes, vec![1; 6]);
    }
    assert_eq!(record(&sim, "subs").subscriptions_refused, 0);
}

// ---- filters per SUBSCRIBE -------------------------------------------------------------------

#[tokio::test]
async fn a_subscribe_with_nine_filters_is_not_acknowledged_and_closes_the_connection() {
    let sim = started(AwsQuotas::default());
    let mut link = connected(&sim, "nine").await;
    assert_eq!(suback_codes(&mut link, 1, &filters(0..8)).await, vec![1; 8]);
    let nine = filters(10..19);
    let nine: Vec<&str> = nine.iter().map(String::as_str).collect();
    link.send(&subscribe(2, &nine)).await;
    assert!(
        link.recv(Duration::from_secs(2)).await.is_none(),
        "no SUBACK"
    );
    assert!(link.closed_within(Duration::from_secs(1)).await);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        record(&sim, "nine").outcome,
        ConnectionOutcome::TooManyFilters
    );
}

#[tokio::test]
async fn without_the_filter_quota_nine_filters_are_granted_in_one_suback() {
    let sim = started(AwsQuotas {
        max_filters_per_subscribe: None,
        ..AwsQuotas::default()
    });
    let mut link = connected(&sim, "nine").await;
    assert_eq!(suback_codes(&mut link, 1, &filters(0..9)).await, vec![1; 9]);
    assert!(record(&sim, "nine").is_open());
}

// ---- inbound publishes per second ------------------------------------------------------------

#[tokio::test]
async fn publishes_beyond_a_hundred_per_second_are_dropped_unacknowledged() {
    let sim = started(AwsQuotas::default());
    let mut listener = connected(&sim, "listener").await;
    listener.subscribe(1, "rate/#").await;
    let mut link = connected(&sim, "fast").await;
    link.send(&burst("rate/x", 120)).await;
    let acked = drain(&mut link).await;
    assert_eq!(pubacks(&acked), 100, "the first 100 acknowledged, 20 not");
    let delivered = drain(&mut listener).await;
    assert_eq!(
        publishes(&delivered).len(),
        100,
        "dropped ones reach nobody"
    );
    let r = record(&sim, "fast");
    assert_eq!(r.publishes_throttled, 20);
    assert!(r.is_open(), "AWS keeps a throttled connection");

    // A second later the window has room again.
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    link.send(&publish(500, "rate/x", b"{}")).await;
    let ack = link.recv(Duration::from_secs(2)).await.expect("PUBACK");
    assert_eq!((ack.kind(), ack.body.clone()), (4, vec![1, 244]));
}

#[tokio::test]
async fn without_the_publish_rate_quota_every_publish_is_acknowledged() {
    let sim = started(AwsQuotas {
        max_inbound_publishes_per_second: None,
        ..AwsQuotas::default()
    });
    let mut link = connected(&sim, "fast").await;
    link.send(&burst("rate/x", 120)).await;
    assert_eq!(pubacks(&drain(&mut link).await), 120);
    assert_eq!(record(&sim, "fast").publishes_throttled, 0);
}

// ---- outbound in-flight window ---------------------------------------------------------------

/// Two publishers (each within its own publish-rate quota) send 150 messages to `slow`.
async fn hundred_fifty_to(sim: &Simulator, slow: &mut RawLink) {
    slow.subscribe(1, "inflight/#").await;
    for (name, count) in [("pub-a", 80), ("pub-b", 70)] {
        let mut publisher = connected(sim, name).await;
        publisher.send(&burst("inflight/x", count)).await;
        assert_eq!(pubacks(&drain(&mut publisher).await), usize::from(count));
    }
}

#[tokio::test]
async fn the_broker_holds_deliveries_beyond_a_hundred_unacknowledged_until_pubacks_come() {
    let sim = started(AwsQuotas::default());
    let mut slow = connected(&sim, "slow").await;
    hundred_fifty_to(&sim, &mut slow).await;
    let first = publishes(&drain(&mut slow).await);
    assert_eq!(first.len(), 100, "at most 100 unacknowledged in flight");
    assert!(publishes(&drain(&mut slow).await).is_empty(), "held");
    assert_eq!(record(&sim, "slow").deliveries_held, 50);

    // One PUBACK frees one slot: exactly one more arrives.
    slow.send(&puback(first[0])).await;
    let one = publishes(&drain(&mut slow).await);
    assert_eq!(one.len(), 1);
    // Acknowledging everything releases the rest, nothing lost.
    let acks: Vec<u8> = first[1..]
        .iter()
        .chain(&one)
        .flat_map(|id| puback(*id))
        .collect();
    slow.send(&acks).await;
    assert_eq!(publishes(&drain(&mut slow).await).len(), 49);
}

#[tokio::test]
async fn lifting_the_in_flight_quota_at_runtime_releases_held_deliveries() {
    let sim = started(AwsQuotas {
        max_inflight_outbound: Some(10),
        ..AwsQuotas::default()
    });
    let mut slow = connected(&sim, "slow").await;
    hundred_fifty_to(&sim, &mut slow).await;
    assert_eq!(publishes(&drain(&mut slow).await).len(), 10);
    sim.set_quotas(AwsQuotas {
        max_inflight_outbound: None,
        ..sim.quotas()
    });
    assert_eq!(publishes(&drain(&mut slow).await).len(), 140);
}

// ---- CONNECT rate per client id --------------------------------------------------------------

#[tokio::test]
async fn a_second_connect_within_a_second_is_closed_before_connack() {
    let sim = started(AwsQuotas::default());
    let mut first = connected(&sim, "rate").await;
    let accepted = std::time::Instant::now();
    let mut early = RawLink::tcp(sim.mqtt_tcp_url()).await;
    early.send(&common::connect("rate", 60)).await;
    assert!(
        early.recv(Duration::from_secs(1)).await.is_none(),
        "no CONNACK"
    );
    assert!(early.closed_within(Duration::from_millis(500)).await);
    // Another client id is not affected, and the refused CONNECT took nothing over.
    connected(&sim, "other").await;
    first.send(&common::pingreq()).await;
    let pong = first.recv(Duration::from_secs(1)).await.expect("PINGRESP");
    assert_eq!(pong.kind(), 13);

    // A second after the accepted CONNECT the client id may connect again.
    tokio::time::sleep(Duration::from_secs(1).saturating_sub(accepted.elapsed())).await;
    connected(&sim, "rate").await;
    let outcomes: Vec<ConnectionOutcome> = sim
        .connections_of("rate")
        .into_iter()
        .map(|r| r.outcome)
        .collect();
    assert_eq!(
        outcomes,
        vec![
            ConnectionOutcome::DuplicateClientId,
            ConnectionOutcome::ConnectThrottled,
            ConnectionOutcome::Open,
        ]
    );
    assert_eq!(sim.max_concurrent_connections("rate"), 2, "takeover only");
}

#[tokio::test]
async fn without_the_connect_rate_quota_a_client_id_reconnects_at_once() {
    let sim = started(AwsQuotas {
        min_connect_interval_per_client_id: None,
        ..AwsQuotas::default()
    });
    for _ in 0..3 {
        let mut link = connected(&sim, "rate").await;
        link.send(&common::disconnect()).await;
    }
    assert_eq!(sim.connections_of("rate").len(), 3);
}

// ---- defaults, presets and the control API ---------------------------------------------------

#[test]
fn the_default_configuration_enforces_aws_numbers() {
    let quotas = SimConfig::default().quotas;
    assert_eq!(quotas, AwsQuotas::default());
    assert_eq!(quotas.max_subscriptions_per_connection, Some(50));
    assert_eq!(quotas.max_filters_per_subscribe, Some(8));
    assert_eq!(quotas.max_inbound_publishes_per_second, Some(100));
    assert_eq!(quotas.max_inflight_outbound, Some(100));
    assert_eq!(
        quotas.min_connect_interval_per_client_id,
        Some(Duration::from_secs(1))
    );
}

#[tokio::test]
async fn the_control_api_reads_and_changes_the_quotas_of_open_connections() {
    let sim = started(AwsQuotas::default());
    let http = reqwest::Client::new();
    let url = format!("{}/quotas", sim.control_url());
    let got: serde_json::Value = http.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(got["max_filters_per_subscribe"], 8);
    assert_eq!(got["min_connect_interval_per_client_id_ms"], 1000);

    let mut link = connected(&sim, "ctl").await;
    let answer = http
        .post(&url)
        .json(&serde_json::json!({"max_filters_per_subscribe": null, "max_inflight_outbound": 7}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(sim.quotas().max_filters_per_subscribe, None);
    assert_eq!(sim.quotas().max_inflight_outbound, Some(7));
    assert_eq!(sim.quotas().max_subscriptions_per_connection, Some(50));
    // The open connection now may send nine filters at once.
    assert_eq!(suback_codes(&mut link, 1, &filters(0..9)).await, vec![1; 9]);

    let bad = http
        .post(&url)
        .json(&serde_json::json!({"max_filter_per_subscribe": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400, "a misspelt quota is refused");
    assert_eq!(sim.quotas().max_inflight_outbound, Some(7), "unchanged");

    let unlimited: serde_json::Value = http
        .post(&url)
        .json(&serde_json::json!({"preset": "unlimited", "max_filters_per_subscribe": 8}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(unlimited["max_filters_per_subscribe"], 8);
    assert_eq!(
        sim.quotas(),
        AwsQuotas {
            max_filters_per_subscribe: Some(8),
            ..AwsQuotas::unlimited()
        }
    );
    let state: serde_json::Value = http
        .get(format!("{}/state", sim.control_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        state["quotas"]["max_inflight_outbound"],
        serde_json::Value::Null
    );
    sim.clear_faults();
    assert_eq!(
        sim.quotas().max_filters_per_subscribe,
        Some(8),
        "quotas are not faults"
    );
}
