//! The signing WebSocket gateway: SigV4 checks at the upgrade, the MQTT client crate through it,
//! one connection per client id, maximum lifetime.

mod common;

use std::time::Duration;

use common::*;
use nwp500_sim::{AwsQuotas, ConnectionOutcome, SimConfig, Simulator, Transport};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::json;
use time::OffsetDateTime;

#[tokio::test]
async fn rumqttc_over_ws_gets_a_status_through_the_gateway() {
    let sim = Simulator::start_default().unwrap();
    let creds = sim.issue_aws_credentials();
    let url = presigned_url(sim.mqtt_ws_url(), &creds);
    let mut options = MqttOptions::new(CLIENT_ID, url, 0);
    options.set_transport(rumqttc::Transport::Ws);
    options.set_keep_alive(Duration::from_secs(60));
    options.set_clean_session(true);
    let (client, mut eventloop) = AsyncClient::new(options, 10);

    let response_topic = default_response_topic(CLIENT_ID);
    let request = envelope(
        CLIENT_ID,
        "st",
        &response_topic,
        json!({"command": 16_777_219}),
    );
    let outcome = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match eventloop.poll().await.expect("event loop") {
                Event::Incoming(Packet::ConnAck(_)) => {
                    client
                        .subscribe(format!("cmd/52/navilink-{MAC}/#"), QoS::AtLeastOnce)
                        .await
                        .unwrap();
                }
                Event::Incoming(Packet::SubAck(_)) => {
                    client
                        .publish(topic("st"), QoS::AtLeastOnce, false, request.clone())
                        .await
                        .unwrap();
                }
                Event::Incoming(Packet::Publish(p)) if p.topic == response_topic => {
                    return serde_json::from_slice::<serde_json::Value>(&p.payload).unwrap();
                }
                _ => {}
            }
        }
    })
    .await
    .expect("status answer through the gateway");
    assert_eq!(outcome["response"]["status"]["command"], json!(16_777_219));
    let log = sim.connections_of(CLIENT_ID);
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].transport, Transport::WebSocket);
    assert!(log[0].is_open());
}

#[tokio::test]
async fn expired_credentials_get_403_and_newly_issued_ones_connect() {
    let sim = Simulator::start_default().unwrap();
    // The test reconnects at once with new credentials: the CONNECT-rate quota alone is lifted.
    sim.set_quotas(AwsQuotas {
        min_connect_interval_per_client_id: None,
        ..sim.quotas()
    });
    let old = sim.issue_aws_credentials();
    let mut link = RawLink::ws(&presigned_url(sim.mqtt_ws_url(), &old))
        .await
        .expect("fresh credentials are accepted");
    link.connect(CLIENT_ID).await;
    drop(link);

    sim.expire_credentials();
    let refused = RawLink::ws(&presigned_url(sim.mqtt_ws_url(), &old)).await;
    assert_eq!(refused.err(), Some(403), "correctly signed, but expired");

    let new = sim.issue_aws_credentials();
    let mut link = RawLink::ws(&presigned_url(sim.mqtt_ws_url(), &new))
        .await
        .expect("new credentials are accepted");
    link.connect(CLIENT_ID).await;

    let rejected: Vec<_> = sim
        .connection_log()
        .into_iter()
        .filter(|r| matches!(&r.outcome, ConnectionOutcome::Rejected(reason) if reason.contains("expired")))
        .collect();
    assert_eq!(rejected.len(), 1);
}

#[tokio::test]
async fn bad_signatures_and_forced_rejection_get_403() {
    let sim = Simulator::start_default().unwrap();
    let creds = sim.issue_aws_credentials();
    let good = presigned_url(sim.mqtt_ws_url(), &creds);

    // One character of the signature changed.
    let sig_at = good.find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
    let mut tampered = good.clone().into_bytes();
    tampered[sig_at] = if tampered[sig_at] == b'0' { b'1' } else { b'0' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(RawLink::ws(&tampered).await.err(), Some(403));

    // Signed ten minutes ago.
    let stale = presigned_url_at(
        sim.mqtt_ws_url(),
        &creds,
        OffsetDateTime::now_utc() - time::Duration::minutes(10),
    );
    assert_eq!(RawLink::ws(&stale).await.err(), Some(403));

    // Another credential's session token.
    let other = sim.issue_aws_credentials();
    let mut mixed = creds.clone();
    mixed.session_token = other.session_token;
    assert_eq!(
        RawLink::ws(&presigned_url(sim.mqtt_ws_url(), &mixed))
            .await
            .err(),
        Some(403)
    );

    // No session token at all.
    let no_token = good.split("&X-Amz-Security-Token=").next().unwrap();
    assert_eq!(RawLink::ws(no_token).await.err(), Some(403));

    // Unsigned.
    assert_eq!(RawLink::ws(sim.mqtt_ws_url()).await.err(), Some(403));

    // A valid URL while every upgrade is rejected; then accepted again.
    sim.set_reject_upgrades(true);
    assert_eq!(RawLink::ws(&good).await.err(), Some(403));
    sim.set_reject_upgrades(false);
    assert!(RawLink::ws(&good).await.is_ok());

    let rejections = sim
        .connection_log()
        .iter()
        .filter(|r| matches!(r.outcome, ConnectionOutcome::Rejected(_)))
        .count();
    assert_eq!(rejections, 6);
}

#[tokio::test]
async fn a_second_connection_with_the_same_client_id_kicks_the_first() {
    let sim = Simulator::start_default().unwrap();
    // The test takes the client id over at once: the CONNECT-rate quota alone is lifted.
    sim.set_quotas(AwsQuotas {
        min_connect_interval_per_client_id: None,
        ..sim.quotas()
    });
    let creds = sim.issue_aws_credentials();
    let mut first = RawLink::ws(&presigned_url(sim.mqtt_ws_url(), &creds))
        .await
        .unwrap();
    first.connect(CLIENT_ID).await;
    let mut second = RawLink::ws(&presigned_url(sim.mqtt_ws_url(), &creds))
        .await
        .unwrap();
    second.connect(CLIENT_ID).await;

    assert!(first.closed_within(Duration::from_secs(1)).await);
    second.send(&pingreq()).await;
    let pong = second.recv(Duration::from_secs(1)).await.expect("PINGRESP");
    assert_eq!(pong.kind(), 13);

    let log = sim.connections_of(CLIENT_ID);
    assert_eq!(log[0].outcome, ConnectionOutcome::DuplicateClientId);
    assert!(log[1].is_open());
    assert_eq!(sim.max_concurrent_connections(CLIENT_ID), 2);
    assert_eq!(sim.live_connections().len(), 1);
}

#[tokio::test]
async fn connections_are_closed_after_the_maximum_lifetime() {
    let sim = Simulator::start(SimConfig {
        max_connection_lifetime: Duration::from_millis(300),
        ..SimConfig::default()
    })
    .unwrap();
    let creds = sim.issue_aws_credentials();
    let mut link = RawLink::ws(&presigned_url(sim.mqtt_ws_url(), &creds))
        .await
        .unwrap();
    link.connect(CLIENT_ID).await;
    assert!(link.closed_within(Duration::from_secs(2)).await);
    let record = &sim.connections_of(CLIENT_ID)[0];
    assert_eq!(record.outcome, ConnectionOutcome::LifetimeExceeded);
    let lived = record.duration().unwrap();
    assert!(
        lived >= Duration::from_millis(300) && lived < Duration::from_secs(2),
        "{lived:?}"
    );
}

#[test]
fn the_test_presigner_reproduces_the_protocol_vector() {
    let at = OffsetDateTime::from_unix_timestamp(1_767_323_045).unwrap();
    let query = presign_query(
        "a1t30mldyslmuq-ats.iot.us-east-1.amazonaws.com",
        "ASIAFAKEACCESSKEY0001",
        "fakeSecretKey/0123456789+abcdefFAKE",
        "FAKE/Session+Token==",
        at,
    );
    assert_eq!(
        query,
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAFAKEACCESSKEY0001%2F20260102%2Fus-east-1%2Fiotdevicegateway%2Faws4_request&X-Amz-Date=20260102T030405Z&X-Amz-SignedHeaders=host&X-Amz-Signature=a5f06d7a491fc9a15c9017ba2623f37899a0261d8b2a781b1efe4cc7419e3b71&X-Amz-Security-Token=FAKE%2FSession%2BToken%3D%3D"
    );
}
