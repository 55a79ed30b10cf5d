#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod api;
pub mod auth;
pub mod bus;
pub mod client;
pub mod clock;
pub mod config;
pub mod connection;
pub mod credentials;
pub mod diagnostics;
pub mod endpoint;
mod error_chain;
pub mod events;
#[doc(hidden)]
pub mod lifecycle;
pub mod periodic;
pub mod policy;
pub mod protocol;
pub mod queue;
pub mod reconnector;
pub mod registry;
pub mod rest;
pub mod sigv4;
pub mod subscriptions;

pub use client::{Client, ClientError, DeviceSummary};
pub use config::{ClientConfig, ClientConfigBuilder, ConfigError};
pub use diagnostics::DiagnosticsSnapshot;
pub use events::{Event, FailureReason, RenewalMethod, Report, TimestampedEvent};
pub use policy::{AttemptKind, FailureKind};
pub use protocol::{Command, CommandError, DhwMode, Feature, MacAddress, Status, UnitSystem};

// What an application shares between threads and tasks must stay shareable.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Client>();
    assert_send_sync::<Event>();
    assert_send_sync::<TimestampedEvent>();
    assert_send_sync::<ClientConfig>();
    assert_send_sync::<ClientError>();
};

/// Log directives that keep third-party crates from logging secrets: at DEBUG, rumqttc
/// logs topics (device MACs, the client id); at TRACE, tungstenite logs the presigned
/// WebSocket URL (AWS key id, session token, signature). Add these after the
/// application's own filter, e.g. with `tracing_subscriber::EnvFilter::add_directive`,
/// so that they win whatever `RUST_LOG` says. This crate's own logs are redacted at
/// every level.
pub const DEPENDENCY_LOG_CAPS: &[&str] =
    &["rumqttc=info", "tungstenite=info", "async_tungstenite=info"];
