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
//! * **fault injection** from Rust or over HTTP (`/_sim/…`, see below): drop connections, refuse them, black-hole them, reject upgrades, add latency,
//!   expire credentials, refuse or fail sign-ins, restart the broker, kick a client id; plus a
//!   connection log to check "never two live connections per client id" and "no two CONNECTs
//!   within 1 s".
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
//! `cargo run -p nwp500-sim -- [--devices N] [--rest-port P] [--ws-port P] [--tcp-port P]
//! [--time-scale X]` starts a simulator and prints its REST URL, MQTT URLs, control URL and the
//! demo account; it runs until interrupted.
//!
//! # Control endpoint
//!
//! Under [`Simulator::control_url`] (`http://127.0.0.1:PORT/_sim`), JSON in and out:
//!
//! | Method | Path | Body | Effect |
//! |---|---|---|---|
//! | GET | `/state` | – | URLs, counters, faults, live connections, devices |
//! | GET | `/connections` | – | the connection log |
//! | GET | `/devices/{mac}/commands` | – | messages the device received |
//! | GET | `/devices/{mac}/status` | – | the device's current status object |
//! | POST | `/drop-connections` | – | drop every live connection |
//! | POST | `/refuse-connections` | `{"on": bool}` | reset new connections at once |
//! | POST | `/blackhole` | `{"on": bool}` | forward nothing, keep sockets open |
//! | POST | `/reject-upgrades` | `{"on": bool}` | answer every upgrade with 403 |
//! | POST | `/latency` | `{"ms": n}` | add one-way latency |
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
pub use shared::{Counters, SimUrls};
pub use simulator::{SimError, Simulator};
