//! Sub-second reconnect settings for the example binaries the tests run (the monitor,
//! the bridge): the same flags, in one place.

/// `--poll-interval 0.5`, short backoff, probe and timeouts.
pub const FAST_LINK_FLAGS: &[&str] = &[
    "--poll-interval",
    "0.5",
    "--initial-reconnect-delay",
    "0.1",
    "--max-reconnect-delay",
    "0.3",
    "--min-connect-interval",
    "0.05",
    "--probe-interval",
    "0.1",
    "--stable-after",
    "1",
    "--operation-timeout",
    "2",
    "--keep-alive",
    "5",
];
