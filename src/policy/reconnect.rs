//! [`ReconnectPolicy`]: the two-tier reconnect decision logic.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::time::Instant;

use super::config::PolicyConfig;
use super::decision::{Attempt, AttemptKind, Decision, FailureKind};
use super::exponential::{base_delay, jittered};

/// An RNG seeded from the operating system; should that fail, from the wall clock
/// (jitter needs spread between clients, not cryptographic strength).
pub(crate) fn entropy_rng() -> StdRng {
    StdRng::try_from_os_rng().unwrap_or_else(|_| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        // Truncation is fine: only the varying low bits matter for a seed.
        StdRng::seed_from_u64(nanos as u64 ^ u64::from(std::process::id()))
    })
}

/// State of the "renew at once after a 403" shortcut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthShortcut {
    /// A rejection would earn one immediate retry with renewed credentials.
    Available,
    /// The next attempt is that immediate retry.
    Pending,
    /// Renewed credentials were rejected too: something else is wrong (e.g. the
    /// clock), so rejections get the normal backoff until a connection succeeds.
    Spent,
}

/// Decides when the next connection attempt happens and of which kind.
///
/// Semantics (all arithmetic saturates; no method panics):
///
/// * **Delay**: each attempt has a backoff *step* `s`; its delay is
///   `base = min(initial × multiplier^s, max)`, then `min(base × U[1 − jitter, 1 + jitter), max)`,
///   then raised so that the CONNECT happens at least `min_connect_interval` after the
///   previous one (as recorded by [`on_connect_started`](Self::on_connect_started)).
///   Every attempt moves the step up by one.
/// * **Healthy time pays the step back** (the flaky-link rule). A connection that was
///   restored (subscriptions acknowledged, queue flushed: [`on_connected`](Self::on_connected))
///   and then lost at [`on_interrupted`](Self::on_interrupted) halves the step for every
///   [`decay_period`](Self::decay_period) (`stable_after / 6`, 5 s by default) it stayed
///   up; one that stayed up for `stable_after` resets the cycle.
///
///   Why: the backoff exists to spare a server that keeps refusing us or a link that
///   cannot hold a connection, not to punish a link that works between independent
///   faults. A connection closed right after every CONNACK (a kick loop, a policy
///   rejection) never earns a step back, so it still backs off to the maximum delay; a
///   link that serves requests for 8–25 s between faults halves its step at least once
///   between faults, so every fault is followed by a delay of a second or two instead of
///   a delay that doubles with every fault of the day. Halving rather than subtracting
///   means a long outage (step at the cap) followed by a few healthy seconds does not
///   leave the next independent fault with the long outage's delay.
/// * **Kind**: attempt `n` is [`AttemptKind::Deep`] iff `n` is a multiple of
///   `deep_every`. The attempt counter counts every attempt since the last reset and is
///   not lowered by healthy time (only a stable connection resets it), so a link that
///   keeps failing still gets its deep reconnects.
/// * **Counter**: resets only when a connection has stayed up for `stable_after`
///   (checked by [`on_stable_check`](Self::on_stable_check) or at the next
///   [`on_interrupted`](Self::on_interrupted)), or on an explicit
///   [`reset`](Self::reset). A connection lost before that (or before its restore
///   completed) keeps the counter.
/// * **Limit**: with `max_attempts = Some(m)`, once `m` attempts were made the
///   next call returns [`Decision::GiveUp`] once, then [`Decision::Stopped`].
/// * **Authorization rejections** (see [`on_auth_rejected`](Self::on_auth_rejected)):
///   the next attempt is immediate (subject to the minimum interval) with
///   `renew_credentials`; if attempts made with freshly renewed credentials are
///   rejected as well, rejections fall back to the normal backoff until the next
///   successful connection.
#[derive(Debug)]
pub struct ReconnectPolicy {
    config: PolicyConfig,
    rng: StdRng,
    attempts: u64,
    /// Backoff step of the next attempt.
    step: u32,
    connected_since: Option<Instant>,
    last_connect_started: Option<Instant>,
    auth_shortcut: AuthShortcut,
    last_attempt_renewed: bool,
    /// The last attempt was to renew the credentials and could not (the REST API
    /// failed): the next one renews again instead of reusing refused credentials.
    renew_pending: bool,
    last_failure: Option<FailureKind>,
    gave_up: bool,
}

impl ReconnectPolicy {
    /// A policy whose jitter is seeded from the operating system.
    pub fn new(config: PolicyConfig) -> Self {
        Self::with_rng(config, entropy_rng())
    }

    /// A policy with reproducible jitter.
    pub fn with_seed(config: PolicyConfig, seed: u64) -> Self {
        Self::with_rng(config, StdRng::seed_from_u64(seed))
    }

    fn with_rng(config: PolicyConfig, rng: StdRng) -> Self {
        let config = config.sanitized();
        Self {
            config,
            rng,
            attempts: 0,
            step: 0,
            connected_since: None,
            last_connect_started: None,
            auth_shortcut: AuthShortcut::Available,
            last_attempt_renewed: false,
            renew_pending: false,
            last_failure: None,
            gave_up: false,
        }
    }

    /// The (sanitised) settings in use.
    pub fn config(&self) -> &PolicyConfig {
        &self.config
    }

    /// Attempts made since the counter last reset.
    pub fn attempts(&self) -> u64 {
        self.attempts
    }

    /// Whether the policy gave up (returned [`Decision::GiveUp`]) and has not been
    /// reset since.
    pub fn has_given_up(&self) -> bool {
        self.gave_up
    }

    /// Decides the next attempt. Call it after an interruption or a failed attempt;
    /// the returned delay counts from `now`.
    ///
    /// Called while the policy believes the link is up, it first records an
    /// interruption at `now`.
    pub fn next_attempt(&mut self, now: Instant) -> Decision {
        if self.connected_since.is_some() {
            self.on_interrupted(now);
        }
        if self.gave_up {
            return Decision::Stopped;
        }
        if let Some(limit) = self.config.max_attempts {
            if self.attempts >= limit.get() {
                self.gave_up = true;
                return Decision::GiveUp {
                    attempts: self.attempts,
                };
            }
        }
        self.attempts = self.attempts.saturating_add(1);
        let number = self.attempts;
        // Every attempt moves the step, shortcut or not, so attempt n of an unbroken
        // series always has the base of attempt n.
        let base = base_delay(
            self.config.initial_delay,
            self.config.max_delay,
            self.config.multiplier,
            self.step,
        );
        self.step = self.step.saturating_add(1);
        let kind = if number % self.config.deep_every.get() == 0 {
            AttemptKind::Deep
        } else {
            AttemptKind::Quick
        };
        let shortcut = self.auth_shortcut == AuthShortcut::Pending;
        let backoff = if shortcut {
            self.auth_shortcut = AuthShortcut::Available;
            Duration::ZERO
        } else {
            self.jittered(base)
        };
        let renewal_owed = shortcut || std::mem::take(&mut self.renew_pending);
        let renew_credentials = renewal_owed || kind == AttemptKind::Deep;
        self.last_attempt_renewed = renew_credentials;
        Decision::Attempt(Attempt {
            number,
            kind,
            delay: backoff.max(self.min_interval_wait(now)),
            renew_credentials,
            renewal_owed,
        })
    }

    /// Records that a CONNECT may have been sent as late as `now` (for the
    /// minimum-interval rule). Call it when an attempt starts and again when it ends
    /// (CONNACK or failure): a CONNECT goes out somewhere in between, so the later
    /// instant bounds it. Earlier instants than the recorded one are ignored.
    pub fn on_connect_started(&mut self, now: Instant) {
        if self.last_connect_started.is_none_or(|last| now > last) {
            self.last_connect_started = Some(now);
        }
    }

    /// Records a failed attempt. An [`FailureKind::AuthRejected`] failure is handled
    /// as [`on_auth_rejected`](Self::on_auth_rejected).
    pub fn on_attempt_failed(&mut self, failure: FailureKind) {
        self.last_failure = Some(failure);
        match failure {
            FailureKind::AuthRejected => self.on_auth_rejected(),
            // A renewal that could not be done is still owed (the next attempt renews,
            // under the normal backoff), rather than reusing credentials already refused.
            FailureKind::Credentials if self.last_attempt_renewed => self.renew_pending = true,
            _ => {}
        }
    }

    /// The attempt's deep renewal was not made because another connection of the pool
    /// had renewed the credentials during this outage: if they are refused, they count as
    /// not renewed by this attempt, so the one immediate renewal is still available.
    pub fn on_renewal_shared(&mut self) {
        self.last_attempt_renewed = false;
    }

    /// The transport refused the credentials (WebSocket upgrade 403 or CONNACK
    /// "not authorized").
    ///
    /// If the rejected attempt did not run with freshly renewed credentials, the next
    /// attempt renews them and happens as soon as the minimum interval allows,
    /// instead of after the backoff. If it did (a deep attempt or that immediate
    /// retry), renewing again is pointless: the normal backoff applies, and keeps
    /// applying to rejections until a connection succeeds.
    pub fn on_auth_rejected(&mut self) {
        self.last_failure = Some(FailureKind::AuthRejected);
        if self.last_attempt_renewed {
            self.auth_shortcut = AuthShortcut::Spent;
        } else if self.auth_shortcut == AuthShortcut::Available {
            self.auth_shortcut = AuthShortcut::Pending;
        }
    }

    /// The earliest instant the next CONNECT may go out: the minimum interval after the
    /// latest instant recorded by [`on_connect_started`](Self::on_connect_started).
    pub fn earliest_connect(&self) -> Option<Instant> {
        self.last_connect_started
            .and_then(|last| last.checked_add(self.config.min_connect_interval))
    }

    /// Counts an attempt that was not scheduled by [`next_attempt`](Self::next_attempt)
    /// (a failed initial connection or manual retry), so the next scheduled attempt gets
    /// the following number. The backoff step does not move.
    pub fn count_unscheduled_attempt(&mut self) {
        self.attempts = self.attempts.saturating_add(1);
    }

    /// The class of the most recent failure, if one was recorded since the last
    /// CONNACK.
    pub fn last_failure(&self) -> Option<FailureKind> {
        self.last_failure
    }

    /// Records a CONNACK: the credentials were accepted (the authorization shortcut is
    /// available again). The connection is not in service yet: see
    /// [`on_connected`](Self::on_connected).
    pub fn on_connack(&mut self) {
        self.auth_shortcut = AuthShortcut::Available;
        self.last_attempt_renewed = false;
        self.renew_pending = false;
        self.last_failure = None;
        self.gave_up = false;
    }

    /// Records a connection in service from `now`: CONNACK accepted and the restore
    /// (resubscription, queue flush) complete. The stability window and the healthy
    /// time that pays back backoff steps count from here. Implies
    /// [`on_connack`](Self::on_connack).
    pub fn on_connected(&mut self, now: Instant) {
        self.on_connack();
        self.connected_since = Some(now);
    }

    /// How much healthy connected time halves the backoff step: a sixth of the
    /// stability window (5 s by default), at least 1 ms.
    pub fn decay_period(&self) -> Duration {
        (self.config.stable_after / 6).max(Duration::from_millis(1))
    }

    /// The backoff step the next attempt will use (0: the initial delay).
    pub fn backoff_step(&self) -> u32 {
        self.step
    }

    /// When the current connection will count as stable (`None` while disconnected
    /// or if that instant is not representable).
    pub fn stable_at(&self) -> Option<Instant> {
        self.connected_since
            .and_then(|since| since.checked_add(self.config.stable_after))
    }

    /// Whether the current connection has been up for the stability window.
    pub fn is_stable(&self, now: Instant) -> bool {
        self.connected_since
            .is_some_and(|since| now.saturating_duration_since(since) >= self.config.stable_after)
    }

    /// Resets the attempt counter if the connection is stable at `now`; returns
    /// whether a reset happened. Call it at [`stable_at`](Self::stable_at).
    pub fn on_stable_check(&mut self, now: Instant) -> bool {
        if self.is_stable(now) && self.attempts > 0 {
            self.reset_counter();
            true
        } else {
            false
        }
    }

    /// Records the loss of an established connection. A connection that was stable
    /// resets the counter first (in case no stability check ran); a shorter one halves
    /// the backoff step for every [`decay_period`](Self::decay_period) it stayed in
    /// service. Without a connection in service (lost while restoring) nothing changes.
    pub fn on_interrupted(&mut self, now: Instant) {
        if let Some(since) = self.connected_since.take() {
            let lived = now.saturating_duration_since(since);
            if lived >= self.config.stable_after {
                self.reset_counter();
            } else {
                let periods = lived.as_nanos() / self.decay_period().as_nanos().max(1);
                let periods = u32::try_from(periods).unwrap_or(u32::MAX);
                // Each period in service halves the step: a connection that served a
                // while is back near the initial delay however long the outage before it.
                self.step = self.step.checked_shr(periods).unwrap_or(0);
            }
        }
    }

    /// Starts a fresh attempt cycle (counter, backoff, give-up state and the
    /// authorization shortcut). The minimum-interval bookkeeping is kept: it
    /// protects the broker, not the cycle.
    pub fn reset(&mut self) {
        self.reset_counter();
        self.gave_up = false;
        self.auth_shortcut = AuthShortcut::Available;
        self.last_attempt_renewed = false;
        self.renew_pending = false;
        self.last_failure = None;
    }

    /// Jumps the counter (tests of saturation only).
    #[cfg(test)]
    pub(super) fn set_attempts_for_test(&mut self, attempts: u64) {
        self.attempts = attempts;
    }

    fn reset_counter(&mut self) {
        self.attempts = 0;
        self.step = 0;
    }

    /// `base` with jitter applied, re-capped at `max_delay`.
    fn jittered(&mut self, base: Duration) -> Duration {
        if self.config.jitter == 0.0 {
            return base;
        }
        let unit: f64 = self.rng.random();
        jittered(base, self.config.jitter, unit, self.config.max_delay)
    }

    /// How long from `now` until a CONNECT respects the minimum interval.
    fn min_interval_wait(&self, now: Instant) -> Duration {
        self.last_connect_started.map_or(Duration::ZERO, |last| {
            self.config
                .min_connect_interval
                .saturating_sub(now.saturating_duration_since(last))
        })
    }
}
