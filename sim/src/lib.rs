//! `nwp500-sim`: an embedded simulated NaviLink cloud for tests, demos and benchmarks.
//!
//! One [`Simulator`] provides, on ephemeral `127.0.0.1` ports:
//!
//! * a **REST server** (`/api/v2.1/user/sign-in`, `/auth/refresh`, `/device/list`,
//!   `/device/info`, `/device/firmware/info`, `/device/tou`, `/app/update-push-token`) with the
//!   protocol's envelopes, the raw `authorization` header check, tokens and fresh AWS temporary
//!   credentials with configurable lifetimes, both forms of the invalid-password answer, and
//!   counters;
//! * an **IoT gateway** that does what AWS IoT does at the WebSocket upgrade (SigV4 presigned
//!   query for service `iotdevicegateway`, session token outside the signature, timestamp
//!   freshness, known and unexpired credentials, else 403; answers the `mqtt` subprotocol),
//!   allows one connection per client id (an older one is kicked), closes connections after a
//!   maximum lifetime, and offers plain MQTT over TCP as well;
//! * an in-process **MQTT 3.1.1 broker** (QoS 0/1, `+`/`#`, publisher receives its own
//!   messages like on AWS);
//! * simulated **NWP500 devices** that answer status, feature, reservation, TOU and energy
//!   requests with protocol-correct payloads, apply controls, heat and cool over time, and record
//!   every command;
//! * **fault injection** from Rust or over HTTP (`/_sim/…`, see below), covering the outages a
//!   real AWS IoT / NaviLink cloud produces (listed under [Faults](#faults)); plus a connection
//!   log to check "never two live connections per client id" and "no two CONNECTs within 1 s"
//!   (CONNECT packet times as the gateway received them, refused ones included).
//!
//! The simulator runs on its own thread, so it is used the same way from synchronous code, from
//! `#[tokio::test]` (paused time included) or from inside an actix system.
//!
//! # Example
//!
//! ```
//! use nwp500_sim::{SimConfig, Simulator};
//!
//! let mut sim = Simulator::start(SimConfig::default()).unwrap();
//! println!("REST {} / MQTT {} / control {}", sim.rest_url(), sim.mqtt_ws_url(), sim.control_url());
//! let account = &sim.config().account;
//! assert_eq!(account.email, "user@example.com");
//! let device = &sim.devices()[0];
//! assert_eq!(device.mac(), "aabbccddeeff");
//! // ... point the client at sim.rest_url() and sim.mqtt_ws_url(), then:
//! assert_eq!(device.command_count(16_777_219), 0);
//! assert!(sim.max_concurrent_connections("navien-client-0a1b2c3d") <= 1);
//! sim.shutdown();
//! ```
//!
//! # Standalone
//!
//! `cargo run -p nwp500-sim -- [--devices N] [--rest-port P] [--control-port P] [--ws-port P]
//! [--tcp-port P] [--time-scale X]` starts a simulator and prints its REST URL, MQTT URLs,
//! control URL and the demo account; it runs until interrupted.
//!
//! # Faults
//!
//! Every fault is a method of [`Simulator`] and a control action (next section); each is
//! switched off by [`Simulator::clear_faults`] and shown by [`Simulator::faults`]. How an
//! affected gateway connection ended is its [`ConnectionOutcome`].
//!
//! | Fault | Rust | Control action | Gateway connection outcome |
//! |---|---|---|---|
//! | drop every live connection | [`drop_all_connections`](Simulator::drop_all_connections) | `drop-connections` | `Dropped` |
//! | reset new connections (TCP) | [`set_refuse_connections`](Simulator::set_refuse_connections) | `refuse-connections` | `Refused` |
//! | half-open links | [`set_blackhole`](Simulator::set_blackhole) | `blackhole` | `blackholed` flag |
//! | 403 at the upgrade (TCP: CONNACK 5) | [`set_reject_upgrades`](Simulator::set_reject_upgrades) | `reject-upgrades` | `Rejected` |
//! | HTTP status (502/503/504…) at the upgrade | [`set_upgrade_status`](Simulator::set_upgrade_status) | `upgrade-status` | `UpgradeStatus` |
//! | close unanswered after the upgrade request / CONNECT | [`set_close_during_handshake`](Simulator::set_close_during_handshake) | `close-during-handshake` | `ClosedDuringHandshake` |
//! | CONNACK refusal (3, 4, 5…) | [`set_connack_refusal`](Simulator::set_connack_refusal) | `connack-refusal` | `ConnackRefused` |
//! | SUBSCRIBE never acknowledged | [`set_withhold_suback`](Simulator::set_withhold_suback) | `withhold-suback` | `subacks_withheld` count |
//! | kick a set time after CONNACK | [`set_kick_after_connack`](Simulator::set_kick_after_connack) | `kick-after-connack` | `KickedAfterConnack` |
//! | kick one client id | [`kick`](Simulator::kick) | `kick` | `Kicked` |
//! | broker restart | [`restart_broker`](Simulator::restart_broker) | `restart-broker` | `BrokerRestart`, then `Refused` |
//! | latency (MQTT and REST) | [`set_latency`](Simulator::set_latency) | `latency` | – |
//! | latency (REST only) | [`set_rest_latency`](Simulator::set_rest_latency) | `rest-latency` | – |
//! | REST down: reset, error status, black hole | [`set_rest_outage`](Simulator::set_rest_outage) | `rest-outage` | – (see [`Counters`]) |
//! | expire AWS credentials / access tokens | [`expire_credentials`](Simulator::expire_credentials), [`expire_access_tokens`](Simulator::expire_access_tokens) | `expire-credentials`, `expire-tokens` | `Rejected` at the next upgrade |
//! | sign-in refused or failing | [`set_sign_in_fault`](Simulator::set_sign_in_fault) | `sign-in` | – |
//! | refresh refused | [`set_reject_refresh`](Simulator::set_reject_refresh) | `reject-refresh` | – |
//! | next REST requests fail with 500 | [`fail_next_rest_requests`](Simulator::fail_next_rest_requests) | `fail-next` | – |
//! | device silent | [`DeviceHandle::set_responsive`] | `devices/{mac}/responsive` | – |
//!
//! # Control endpoint
//!
//! Under [`Simulator::control_url`] (`http://127.0.0.1:PORT/_sim`), JSON in and out. The control
//! API has a port of its own so that it keeps working during a REST outage; the same paths are
//! also served on the REST port (when that is up), as in earlier versions.
//!
//! | Method | Path | Body | Effect |
//! |---|---|---|---|
//! | GET | `/state` | – | URLs, counters, faults, live connections, devices |
//! | GET | `/connections` | – | the connection log |
//! | GET | `/clients/{client_id}` | – | CONNECT times (ms after the first), shortest gap, most live at once |
//! | GET | `/devices/{mac}/commands` | – | messages the device received |
//! | GET | `/devices/{mac}/status` | – | the device's current status object |
//! | POST | `/drop-connections` | – | drop every live connection |
//! | POST | `/refuse-connections` | `{"on": bool}` | reset new connections at once |
//! | POST | `/blackhole` | `{"on": bool}` | forward nothing, keep sockets open |
//! | POST | `/reject-upgrades` | `{"on": bool}` | answer every upgrade with 403 |
//! | POST | `/latency` | `{"ms": n}` | add one-way latency |
//! | POST | `/upgrade-status` | `{"status": 400..599 \| null}` | answer every upgrade with that status |
//! | POST | `/close-during-handshake` | `{"on": bool}` | read upgrade request / CONNECT, close unanswered |
//! | POST | `/connack-refusal` | `{"code": 1..5 \| null}` | answer every CONNECT with that CONNACK code, close |
//! | POST | `/withhold-suback` | `{"on": bool}` | never acknowledge SUBSCRIBE |
//! | POST | `/kick-after-connack` | `{"ms": n \| null}` | close every connection n ms after its CONNACK |
//! | POST | `/rest-outage` | `{"outage": "none" \| "refuse" \| "blackhole"}` or `{"outage": "status", "status": 400..599}` | REST server down |
//! | POST | `/rest-latency` | `{"ms": n}` | delay REST answers only |
//! | POST | `/expire-credentials` | – | expire every issued AWS credential |
//! | POST | `/expire-tokens` | – | expire every issued access token |
//! | POST | `/sign-in` | `{"fault": "none" \| "invalid_401" \| "invalid_password" \| "user_not_found" \| "server_error"}` | sign-in fault |
//! | POST | `/reject-refresh` | `{"on": bool}` | refuse refreshes with 401 |
//! | POST | `/fail-next` | `{"count": n}` | the next n REST requests get 500 |
//! | POST | `/restart-broker` | – | drop everything, refuse briefly |
//! | POST | `/kick` | `{"client_id": "…"}` | close that client's connection |
//! | POST | `/devices/{mac}/responsive` | `{"on": bool}` | device answers or stays silent |
//! | POST | `/clear-faults` | – | every fault off |

#![deny(missing_docs)]

mod auth_store;
mod config;
mod conn_log;
mod device;
mod faults;
mod gateway;
mod mqtt;
mod quotas;
mod rest;
mod shared;
pub mod sigv4;
mod simulator;

pub use auth_store::IssuedAwsCredentials;
pub use config::{Account, DeviceSpec, InvalidCredentialsForm, SimConfig};
pub use conn_log::{
    connect_times, max_concurrent_connections, min_connect_gap, ConnectionOutcome,
    ConnectionRecord, Transport,
};
pub use device::handle::{DeviceHandle, ReceivedCommand};
pub use faults::{FaultSnapshot, RestOutage, SignInFault};
pub use quotas::AwsQuotas;
pub use shared::{Counters, SimUrls};
pub use simulator::{SimError, Simulator};
