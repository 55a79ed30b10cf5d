//! The public handle on a simulated device: what it received, its current state, test knobs.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;
use serde_json::Value;
use tokio::sync::Notify;

use super::payloads;
use super::state::DeviceState;
use crate::config::DeviceSpec;

/// One message a device received on its topics (commands and app-connection events; its own
/// answers echoed back by the broker are not recorded).
#[derive(Debug, Clone, Serialize)]
pub struct ReceivedCommand {
    /// Wall-clock arrival time.
    pub received_at: SystemTime,
    /// Monotonic arrival time.
    #[serde(skip)]
    pub received: Instant,
    /// Topic it arrived on.
    pub topic: String,
    /// `request.command`, if present.
    pub code: Option<u64>,
    /// `clientID` of the envelope, if present.
    pub client_id: Option<String>,
    /// The whole JSON payload.
    pub payload: Value,
    /// Whether the device answered (false when the topic, the identity or the response topic was
    /// wrong, the code unknown, or the device was set unresponsive).
    pub answered: bool,
}

impl ReceivedCommand {
    /// `request.mode`, for mode/param controls.
    pub fn mode(&self) -> Option<&str> {
        self.payload.get("request")?.get("mode")?.as_str()
    }

    /// `request.param`, for mode/param controls.
    pub fn param(&self) -> Option<&Vec<Value>> {
        self.payload.get("request")?.get("param")?.as_array()
    }
}

/// State plus the instant up to which its physics has been advanced.
pub(crate) struct Simulated {
    pub state: DeviceState,
    last_advance: Instant,
}

/// Shared between the device task and every [`DeviceHandle`].
pub(crate) struct DeviceShared {
    pub spec: DeviceSpec,
    sim: Mutex<Simulated>,
    commands: Mutex<Vec<ReceivedCommand>>,
    arrived: Notify,
    responsive: AtomicBool,
    /// Controls still to refuse with a `controlfail` frame.
    refusals: AtomicU32,
    time_scale: f64,
}

impl DeviceShared {
    pub(crate) fn new(spec: DeviceSpec, state: DeviceState, time_scale: f64) -> Self {
        DeviceShared {
            spec,
            sim: Mutex::new(Simulated {
                state,
                last_advance: Instant::now(),
            }),
            commands: Mutex::new(Vec::new()),
            arrived: Notify::new(),
            responsive: AtomicBool::new(true),
            refusals: AtomicU32::new(0),
            time_scale: time_scale.max(0.0),
        }
    }

    /// The state, advanced to now.
    pub(crate) fn sync(&self) -> MutexGuard<'_, Simulated> {
        let mut sim = self.sim.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let real = now.saturating_duration_since(sim.last_advance);
        sim.last_advance = now;
        sim.state.advance(real.as_secs_f64() * self.time_scale);
        sim
    }

    fn commands(&self) -> MutexGuard<'_, Vec<ReceivedCommand>> {
        self.commands.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn record(&self, command: ReceivedCommand) {
        self.commands().push(command);
        self.arrived.notify_waiters();
    }

    pub(crate) fn responsive(&self) -> bool {
        self.responsive.load(Ordering::SeqCst)
    }

    /// Whether this control is to be refused (uses up one of the refusals asked for).
    pub(crate) fn take_refusal(&self) -> bool {
        self.refusals
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

/// A handle on one simulated NWP500. Cheap to clone.
#[derive(Clone)]
pub struct DeviceHandle {
    pub(crate) inner: Arc<DeviceShared>,
}

impl std::fmt::Debug for DeviceHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceHandle")
            .field("mac", &self.inner.spec.mac)
            .finish()
    }
}

impl DeviceHandle {
    /// The device's identity.
    pub fn spec(&self) -> &DeviceSpec {
        &self.inner.spec
    }

    /// MAC address (12 lowercase hex digits).
    pub fn mac(&self) -> &str {
        &self.inner.spec.mac
    }

    /// `additionalValue`.
    pub fn additional_value(&self) -> &str {
        &self.inner.spec.additional_value
    }

    /// Every message received so far, in arrival order.
    pub fn commands(&self) -> Vec<ReceivedCommand> {
        self.inner.commands().clone()
    }

    /// The messages received with `request.command == code`, in arrival order.
    pub fn commands_with_code(&self, code: u64) -> Vec<ReceivedCommand> {
        self.inner
            .commands()
            .iter()
            .filter(|c| c.code == Some(code))
            .cloned()
            .collect()
    }

    /// How many messages arrived with `request.command == code`.
    pub fn command_count(&self, code: u64) -> usize {
        self.inner
            .commands()
            .iter()
            .filter(|c| c.code == Some(code))
            .count()
    }

    /// Forgets the messages received so far.
    pub fn clear_commands(&self) {
        self.inner.commands().clear();
    }

    /// Waits until at least `count` messages with `code` have arrived, or `timeout` passes
    /// (measured on the caller's tokio clock). Returns whether the count was reached.
    pub async fn wait_for_commands(&self, code: u64, count: usize, timeout: Duration) -> bool {
        let wait = async {
            loop {
                let notified = self.inner.arrived.notified();
                tokio::pin!(notified);
                // Register before checking, so an arrival in between is not missed.
                notified.as_mut().enable();
                if self.command_count(code) >= count {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(timeout, wait).await.is_ok()
    }

    /// The status object the device would send now in answer to a status request.
    pub fn status(&self) -> Value {
        let sim = self.inner.sync();
        Value::Object(payloads::status(&sim.state, super::codes::STATUS))
    }

    /// The feature object the device sends.
    pub fn feature(&self) -> Value {
        let sim = self.inner.sync();
        Value::Object(payloads::feature(&sim.state))
    }

    /// When false the device still records messages but answers none (a device that went
    /// offline behind a live broker).
    pub fn set_responsive(&self, responsive: bool) {
        self.inner.responsive.store(responsive, Ordering::SeqCst);
    }

    /// Refuses the next `count` controls (power, mode, setpoint, …): each is answered
    /// with a `controlfail` frame (`{"response": {"failCode": 2}}`, "too soon") on the
    /// sender's client response topic `cmd/52/{clientID}/res/controlfail` and not applied.
    /// `0` cancels the refusals not used yet.
    pub fn refuse_next_controls(&self, count: u32) {
        self.inner.refusals.store(count, Ordering::SeqCst);
    }

    /// Starts a hot-water draw of `litres_per_minute` lasting `duration` of simulated time.
    pub fn start_draw(&self, litres_per_minute: f64, duration: Duration) {
        self.inner
            .sync()
            .state
            .start_draw(litres_per_minute, duration.as_secs_f64());
    }

    /// Sets the reported error (`errorCode`, `subErrorCode`); `(0, 0)` clears it.
    pub fn set_error(&self, code: i64, sub_code: i64) {
        let mut sim = self.inner.sync();
        sim.state.error_code = code;
        sim.state.sub_error_code = sub_code;
    }

    /// Sets both tank layers to `celsius` (to start a test from a known temperature).
    pub fn set_tank_temperature(&self, celsius: f64) {
        let mut sim = self.inner.sync();
        sim.state.tank.upper_c = celsius;
        sim.state.tank.lower_c = celsius;
    }
}
