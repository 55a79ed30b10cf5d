#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

/// Declares a module that applications never name: public with the `internals` feature
/// (the integration tests and benchmarks drive the actors directly), crate-private without.
/// Its API is the one those tests use, so parts of it are unused without the feature.
macro_rules! internal_mod {
    ($(#[$attr:meta])* $name:ident) => {
        $(#[$attr])*
        #[cfg(feature = "internals")]
        pub mod $name;
        $(#[$attr])*
        #[cfg(not(feature = "internals"))]
        #[allow(dead_code, unused_imports)]
        pub(crate) mod $name;
    };
}

/// Re-exports items that applications never name: public with the `internals` feature,
/// crate-private without.
macro_rules! internal_use {
    ($($path:tt)*) => {
        #[cfg(feature = "internals")]
        pub use $($path)*;
        #[cfg(not(feature = "internals"))]
        #[allow(unused_imports)]
        pub(crate) use $($path)*;
    };
}

internal_mod!(api);
internal_mod!(auth);
internal_mod!(bus);
pub mod client;
internal_mod!(clock);
pub mod config;
internal_mod!(connection);
internal_mod!(credentials);
pub mod diagnostics;
pub mod endpoint;
mod error_chain;
pub mod events;
internal_mod!(lifecycle);
internal_mod!(periodic);
internal_mod!(policy);
internal_mod!(pool);
pub mod protocol;
internal_mod!(queue);
internal_mod!(reconnector);
internal_mod!(registry);
pub mod rest;
internal_mod!(sigv4);
pub mod subscriptions;

pub use auth::{AuthError, AuthOperation, Secret};
pub use client::{Client, ClientError, DeviceSummary};
pub use config::{ClientConfig, ClientConfigBuilder, ConfigError};
pub use connection::{PublishOutcome, RequestError};
pub use diagnostics::DiagnosticsSnapshot;
pub use events::{Event, FailureReason, HandoverReason, RenewalMethod, Report, TimestampedEvent};
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
