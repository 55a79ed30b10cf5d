//! The Connection actor against nwp500-sim's signing IoT gateway: every attempt is
//! presigned afresh and verified by an independent SigV4 implementation, and forced
//! replacements never leave two live connections for one client id in the simulator's
//! connection log.

#[path = "support/events.rs"]
mod events;

use std::time::Duration;

use events::Events;
use nwp500::connection::{Close, Connect, ConnectError, Connection, ConnectionSettings};
use nwp500::credentials::AwsCredentials;
use nwp500_sim::{AwsQuotas, IssuedAwsCredentials, SimConfig, Simulator};

fn aws(issued: &IssuedAwsCredentials) -> AwsCredentials {
    AwsCredentials {
        access_key_id: issued.access_key_id.clone(),
        secret_access_key: issued.secret_access_key.clone(),
        session_token: Some(issued.session_token.clone()),
        expires_at: Some(issued.expires_at),
    }
}

fn connection(sim: &Simulator, client_id: &str, sink: &Events) -> actix::Addr<Connection> {
    let mut settings = ConnectionSettings::new(sim.mqtt_ws_url(), client_id).unwrap();
    settings.connect_timeout = Duration::from_secs(3);
    settings.close_timeout = Duration::from_millis(500);
    Connection::new(settings, sink.events_recipient(), sink.incoming_recipient())
        .unwrap()
        .start_supervised()
}

#[actix::test]
async fn expired_credentials_are_rejected_and_renewed_ones_accepted() {
    let sim = Simulator::start(SimConfig::default()).unwrap();
    // The actor alone connects again at once (no reconnect policy here): the CONNECT-rate quota alone is lifted.
    sim.set_quotas(AwsQuotas {
        min_connect_interval_per_client_id: None,
        ..sim.quotas()
    });
    let sink = Events::start();
    let conn = connection(&sim, "navien-client-5151aaaa", &sink);
    let old = aws(&sim.issue_aws_credentials());

    let first = conn
        .send(Connect {
            generation: 1,
            credentials: Some(old.clone()),
        })
        .await
        .unwrap();
    assert!(first.is_ok(), "{first:?}");
    conn.send(Close { generation: 1 }).await.unwrap();

    sim.expire_credentials();
    // The same credentials, signed afresh (new timestamp): the gateway refuses them.
    let second = conn
        .send(Connect {
            generation: 2,
            credentials: Some(old),
        })
        .await
        .unwrap();
    assert_eq!(
        second.unwrap_err(),
        ConnectError::UpgradeRejected { status: 403 }
    );

    let renewed = aws(&sim.issue_aws_credentials());
    let third = conn
        .send(Connect {
            generation: 3,
            credentials: Some(renewed),
        })
        .await
        .unwrap();
    assert!(third.is_ok(), "{third:?}");
    // Unsigned attempts are refused too: signing is really checked.
    conn.send(Close { generation: 3 }).await.unwrap();
    let unsigned = conn
        .send(Connect {
            generation: 4,
            credentials: None,
        })
        .await
        .unwrap();
    assert_eq!(
        unsigned.unwrap_err(),
        ConnectError::UpgradeRejected { status: 403 }
    );
}

#[actix::test]
async fn two_hundred_replacements_never_overlap_in_the_simulator_log() {
    let sim = Simulator::start(SimConfig::default()).unwrap();
    // The actor alone replaces the connection 200 times back to back: the CONNECT-rate quota alone is lifted.
    sim.set_quotas(AwsQuotas {
        min_connect_interval_per_client_id: None,
        ..sim.quotas()
    });
    let sink = Events::start();
    let client_id = "navien-client-0200beef";
    let conn = connection(&sim, client_id, &sink);
    let creds = aws(&sim.issue_aws_credentials());
    for generation in 1..=200u64 {
        if generation % 10 == 0 {
            conn.send(Close {
                generation: generation - 1,
            })
            .await
            .unwrap();
        }
        conn.send(Connect {
            generation,
            credentials: Some(creds.clone()),
        })
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("generation {generation}: {e}"));
    }
    conn.send(Close { generation: 200 }).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = sim.connections_of(client_id);
    assert_eq!(log.len(), 200, "one logged connection per generation");
    assert_eq!(
        sim.max_concurrent_connections(client_id),
        1,
        "two live connections for our client id"
    );
}
