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
//!   messages like on AWS) that enforces AWS IoT Core's per-connection **quotas** by default
//!   (see [AWS IoT quotas](#aws-iot-quotas));
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
//! # AWS IoT quotas
//!
//! AWS IoT Core limits every MQTT connection; a client that works against a plain broker can
//! fail against AWS on these alone. The simulator enforces them **by default**, each set in
//! [`AwsQuotas`] ([`SimConfig::quotas`]; `Default` = AWS's numbers, [`AwsQuotas::unlimited`] =
//! none), changeable at runtime with [`Simulator::set_quotas`] or `POST /_sim/quotas`, and
//! each lifted alone by setting it to `None`. They apply to network connections (both
//! listeners); the simulated devices are in-process sessions and are not limited. Every
//! effect is visible in the connection log ([`ConnectionRecord`], [`ConnectionOutcome`]).
//!
//! | Quota ([`AwsQuotas`] field, default) | AWS IoT Core | The simulator |
//! |---|---|---|
//! | subscriptions per connection (`max_subscriptions_per_connection`, 50) | at most 50 subscriptions per connection; a SUBSCRIBE that would go past them is refused (descriptions of AWS's reaction differ: a failure return code, or the connection closed) | each filter beyond the quota gets return code `0x80` in the SUBACK; the filters within it are granted in the same SUBACK; re-subscribing to a held filter is not a new subscription; the connection stays ([`ConnectionRecord::subscriptions_refused`]) |
//! | filters per SUBSCRIBE (`max_filters_per_subscribe`, 8) | at most 8 topic filters in one SUBSCRIBE; AWS documents no acknowledgement for a larger one, and clients that send one are reported to end up reconnecting | the SUBSCRIBE is not acknowledged and the connection is closed ([`ConnectionOutcome::TooManyFilters`]) |
//! | inbound publishes per second (`max_inbound_publishes_per_second`, 100) | at most 100 publish requests per second per connection; throttled publishes are discarded and the connection stays | a PUBLISH beyond 100 within any one-second window is dropped: delivered to no one and, at QoS 1, never acknowledged; the connection stays ([`ConnectionRecord::publishes_throttled`]) |
//! | in-flight outbound (`max_inflight_outbound`, 100) | at most 100 QoS 1 messages sent to a client without a PUBACK | further deliveries wait, in order (a QoS 0 message behind a held one waits too), until PUBACKs free the window; nothing is dropped or resent ([`ConnectionRecord::deliveries_held`]) |
//! | CONNECT rate per client id (`min_connect_interval_per_client_id`, 1 s) | one CONNECT per second per client id, not adjustable; a faster CONNECT is throttled and the connection hung up | a CONNECT less than the interval after the last **accepted** CONNECT of its client id is closed without a CONNACK ([`ConnectionOutcome::ConnectThrottled`]); it takes nothing over (the live connection of that id stays) and is not counted as accepted, so a client retrying faster still gets in once per interval |
//!
//! Why these models:
//!
//! * **Subscriptions**: `0x80` per filter is what MQTT 3.1.1 has for a refused subscription and
//!   shows exactly which filters missed; a client must treat it as a failed subscription
//!   whatever AWS does to the connection afterwards, so a client needing more than 50 filters
//!   on one connection fails visibly either way.
//! * **Filters per SUBSCRIBE**: with no documented answer, the simulator does what AWS does
//!   to packets it refuses outright (a retained publish, for instance): it disconnects. A
//!   client that batches its filters by 8 never sees it.
//! * **Publish rate**: dropping without PUBACK is what a client observes on AWS (its QoS 1
//!   publish stays unacknowledged, and a QoS 0 one is lost). A sliding window is the plainest
//!   reading of "per second" and lets a test count exactly.
//! * **In-flight**: holding deliveries rather than dropping them keeps every message, while a
//!   client that acknowledges slowly sees its deliveries slow down as on AWS. AWS's retry of
//!   unacknowledged messages and their expiry are not modelled.
//! * **CONNECT rate**: a close before CONNACK is what the client sees; it is checked after the
//!   injected CONNECT faults ([`Simulator::set_close_during_handshake`],
//!   [`Simulator::set_connack_refusal`]), so those are never masked by it. Every CONNECT read
//!   is still in [`Simulator::connect_times`].
//!
//! A test that must exceed a quota (say, one connection for hundreds of devices) lifts that
//! quota alone and says why:
//!
//! ```
//! use nwp500_sim::{AwsQuotas, SimConfig, Simulator};
//!
//! let sim = Simulator::start(SimConfig::default()).unwrap();
//! // The client under test reconnects 100 ms apart.
//! sim.set_quotas(AwsQuotas { min_connect_interval_per_client_id: None, ..sim.quotas() });
//! assert_eq!(sim.quotas().max_subscriptions_per_connection, Some(50));
//! ```
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
//! | GET | `/quotas` | – | the [quotas](#aws-iot-quotas) in force (also in `/state`) |
//! | POST | `/quotas` | `{"preset": "aws" \| "unlimited"}` (optional) and any of `max_subscriptions_per_connection`, `max_filters_per_subscribe`, `max_inbound_publishes_per_second`, `max_inflight_outbound`, `min_connect_interval_per_client_id_ms`: `n \| null` | start from the preset (else from the quotas in force), set the fields given (`null` lifts one); answers the new quotas; not reset by `/clear-faults` |
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
