//! Client settings profiles compared in the recovery and footprint sections.

use std::time::Duration;

use nwp500::config::ClientConfigBuilder;

/// A named way of configuring the client's timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Every timing at its documented default.
    Default,
    /// Tuned for fast recovery while staying within AWS IoT's limits (keep-alive ≥ 30 s, at
    /// most one CONNECT per second).
    Tuned,
    /// Every client timing divided by ten (to emulate a long outage in a tenth of the time).
    DefaultTenth,
    /// Defaults, but every reconnect attempt is a deep one (to measure deep reconnects).
    DeepEveryAttempt,
    /// Reconnect at once after every drop (for the reconnect-cycle memory test; local
    /// broker only: it ignores AWS IoT's one CONNECT per second).
    Churn,
}

impl Profile {
    /// Short name for tables and case ids.
    pub fn label(self) -> &'static str {
        match self {
            Profile::Default => "default",
            Profile::Tuned => "tuned",
            Profile::DefaultTenth => "default ÷10",
            Profile::DeepEveryAttempt => "default, deep every attempt",
            Profile::Churn => "churn",
        }
    }

    /// The profile with this [`Profile::id`].
    pub fn from_id(id: &str) -> Option<Self> {
        [
            Profile::Default,
            Profile::Tuned,
            Profile::DefaultTenth,
            Profile::DeepEveryAttempt,
            Profile::Churn,
        ]
        .into_iter()
        .find(|p| p.id() == id)
    }

    /// Case-id form of the name.
    pub fn id(self) -> &'static str {
        match self {
            Profile::Default => "default",
            Profile::Tuned => "tuned",
            Profile::DefaultTenth => "default-tenth",
            Profile::DeepEveryAttempt => "deep-every-attempt",
            Profile::Churn => "churn",
        }
    }

    /// What the profile changes, for table notes.
    pub fn description(self) -> &'static str {
        match self {
            Profile::Default => "every timing at its default (initial reconnect delay 1 s, ×2, jitter 0.5, max 120 s, deep every 10th, min connect interval 1 s, probe 2 s, stable after 30 s, keep-alive 60 s, ping timeout 10 s, connect timeout 20 s, operation timeout 30 s, status poll 30 s)",
            Profile::Tuned => "initial reconnect delay 0.5 s, max 10 s, probe 1 s, keep-alive 30 s (AWS minimum), connect and operation timeouts 5 s, status poll 10 s; min connect interval stays 1 s",
            Profile::DefaultTenth => "every default timing ÷10 (initial delay 0.1 s, max 12 s, probe 0.2 s, min connect interval 0.1 s, stable after 3 s, keep-alive 6 s, connect timeout 2 s, operation timeout 3 s, status poll 3 s)",
            Profile::DeepEveryAttempt => "every default, except `deep_reconnect_every(1)`: each reconnect renews credentials, restarts the Connection actor and replays the registry",
            Profile::Churn => "initial reconnect delay 1 ms, jitter 0, max delay 10 ms, min connect interval 0, stable after 1 ms",
        }
    }

    /// The profile's stability window: a connection must stay up this long before an
    /// outage counts as a fresh one (the attempt counter resets).
    pub fn stable_after(self) -> Duration {
        match self {
            Profile::Default | Profile::Tuned | Profile::DeepEveryAttempt => {
                Duration::from_secs(30)
            }
            Profile::DefaultTenth => Duration::from_secs(3),
            Profile::Churn => Duration::from_millis(1),
        }
    }

    /// Applies the profile to a builder.
    pub fn apply(self, builder: ClientConfigBuilder) -> ClientConfigBuilder {
        let ms = Duration::from_millis;
        let s = Duration::from_secs;
        match self {
            Profile::Default => builder,
            Profile::Tuned => builder
                .initial_reconnect_delay(ms(500))
                .max_reconnect_delay(s(10))
                .probe_interval(s(1))
                .keep_alive(s(30))
                .connect_timeout(s(5))
                .operation_timeout(s(5))
                .poll_interval(s(10)),
            Profile::DefaultTenth => builder
                .initial_reconnect_delay(ms(100))
                .max_reconnect_delay(s(12))
                .probe_interval(ms(200))
                .min_connect_interval(ms(100))
                .stable_after(s(3))
                .keep_alive(s(6))
                .connect_timeout(s(2))
                .operation_timeout(s(3))
                .poll_interval(s(3)),
            Profile::DeepEveryAttempt => builder.deep_reconnect_every(1),
            Profile::Churn => builder
                .initial_reconnect_delay(ms(1))
                .reconnect_jitter(0.0)
                .max_reconnect_delay(ms(10))
                .min_connect_interval(Duration::ZERO)
                .stable_after(ms(1)),
        }
    }
}
