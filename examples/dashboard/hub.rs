//! The state actor: it consumes the client's event stream and the controls' requests,
//! keeps the [`DashboardState`] and pushes a fresh snapshot to every open
//! server-sent-event stream on each change. A stream's first frame also carries every
//! device's history; a status's frame carries the sample it added, so a page extends its
//! charts without ever receiving a whole history again.
//!
//! Each browser gets a small bounded channel. A browser that does not keep up is cut
//! off rather than fed stale frames: its `EventSource` reconnects by itself and starts
//! again from the current snapshot, so nothing it shows is ever older than the state.

use std::time::{Duration, SystemTime};

use actix::{Actor, AsyncContext, Context, Handler, Message, StreamHandler};
use bytes::Bytes;
use futures::Stream;
use tokio::sync::{broadcast, mpsc};
use tracing::{debug, info, warn};

use nwp500::events::TimestampedEvent;

use crate::controls::{Answer, Control};
use crate::state::DashboardState;

/// Frames buffered per browser before it counts as too slow.
pub const CLIENT_BUFFER: usize = 16;

/// Most event streams open at once (each browser tab holds one).
pub const MAX_CLIENTS: usize = 64;

/// A comment line sent this often keeps idle streams (and proxies) alive and finds
/// closed ones.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// How long a browser waits before reconnecting a lost stream (the SSE `retry` field).
pub const RETRY_MS: u64 = 2_000;

/// How often samples and episodes that left the history window are forgotten (while no
/// status arrives, during an outage, nothing else would).
pub const PRUNE_EVERY: Duration = Duration::from_secs(60);

const KEEP_ALIVE_FRAME: &[u8] = b": keep-alive\n\n";

/// The state actor.
pub struct Hub {
    state: DashboardState,
    events: Option<broadcast::Receiver<TimestampedEvent>>,
    clients: Vec<mpsc::Sender<Bytes>>,
}

impl Hub {
    /// A hub showing `state`, to be updated from `events` (the receiver from the
    /// client's first `events()` call has every event since the client started, so
    /// the page never misses the first connection or status).
    pub fn new(state: DashboardState, events: broadcast::Receiver<TimestampedEvent>) -> Self {
        Self {
            state,
            events: Some(events),
            clients: Vec::new(),
        }
    }

    /// Sends the current state to every browser.
    fn push_state(&mut self) {
        let frame = data_frame(&self.state.update_json(SystemTime::now(), None));
        self.push(frame);
    }

    /// Sends `frame` to every browser; drops the closed and the slow ones.
    fn push(&mut self, frame: Bytes) {
        self.clients
            .retain(|client| match client.try_send(frame.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    info!("event stream too slow; closed (the browser reconnects)");
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    debug!("event stream closed by the browser");
                    false
                }
            });
    }
}

/// One server-sent event carrying `json` (a single line).
pub fn data_frame(json: &str) -> Bytes {
    Bytes::from(format!("data: {json}\n\n"))
}

/// The client's broadcast receiver as a stream; a lag (the hub fell more than the
/// bus capacity behind) only loses intermediate states, so it is logged and skipped.
fn event_stream(
    events: broadcast::Receiver<TimestampedEvent>,
) -> impl Stream<Item = TimestampedEvent> {
    futures::stream::unfold(events, |mut events| async move {
        loop {
            match events.recv().await {
                Ok(event) => return Some((event, events)),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    warn!(missed, "dashboard fell behind the client's events");
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}

impl Actor for Hub {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        if let Some(events) = self.events.take() {
            ctx.add_stream(event_stream(events));
        }
        ctx.run_interval(KEEP_ALIVE, |hub, _| {
            hub.push(Bytes::from_static(KEEP_ALIVE_FRAME))
        });
        ctx.run_interval(PRUNE_EVERY, |hub, _| hub.state.prune(SystemTime::now()));
    }
}

impl StreamHandler<TimestampedEvent> for Hub {
    fn handle(&mut self, event: TimestampedEvent, _: &mut Self::Context) {
        let link_before = self.state.link().clone();
        let applied = self.state.apply(event);
        if applied.changed {
            if *self.state.link() != link_before {
                info!(connection = %self.state.link().label(), "connection state");
            }
            let json = self
                .state
                .update_json(SystemTime::now(), applied.appended.as_ref());
            self.push(data_frame(&json));
        }
    }

    /// The client is gone: keep serving the last state (the default would stop the hub).
    fn finished(&mut self, _: &mut Self::Context) {
        debug!("client event stream ended");
    }
}

/// Asks for the current snapshot as JSON.
#[derive(Debug, Message)]
#[rtype(result = "String")]
pub struct GetSnapshot;

impl Handler<GetSnapshot> for Hub {
    type Result = String;

    fn handle(&mut self, _: GetSnapshot, _: &mut Self::Context) -> String {
        self.state.snapshot_json(SystemTime::now())
    }
}

/// Asks for every kept sample of every device, as JSON.
#[derive(Debug, Message)]
#[rtype(result = "String")]
pub struct GetHistory;

impl Handler<GetHistory> for Hub {
    type Result = String;

    fn handle(&mut self, _: GetHistory, _: &mut Self::Context) -> String {
        self.state.prune(SystemTime::now());
        self.state.history_json()
    }
}

/// A setting was given through a control; answers `false` when the dashboard does not
/// show the device (nothing is to be sent then).
#[derive(Debug, Message)]
#[rtype(result = "bool")]
pub struct ControlRequested {
    /// The device's MAC.
    pub mac: String,
    /// The control.
    pub control: Control,
    /// The value, for people.
    pub value: String,
    /// The command code it sends.
    pub code: u32,
}

impl Handler<ControlRequested> for Hub {
    type Result = bool;

    fn handle(&mut self, msg: ControlRequested, _: &mut Self::Context) -> bool {
        let shown = self.state.control_requested(
            &msg.mac,
            msg.control,
            msg.value,
            msg.code,
            SystemTime::now(),
        );
        if shown {
            self.push_state();
        }
        shown
    }
}

/// The client answered a control's request.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct ControlAnswered {
    /// The device's MAC.
    pub mac: String,
    /// The control.
    pub control: Control,
    /// What the client said.
    pub answer: Answer,
}

impl Handler<ControlAnswered> for Hub {
    type Result = ();

    fn handle(&mut self, msg: ControlAnswered, _: &mut Self::Context) {
        self.state
            .control_answered(&msg.mac, msg.control, msg.answer, SystemTime::now());
        self.push_state();
    }
}

/// Opens an event stream for one browser: its first frame is the current snapshot with
/// every device's history (and the reconnection delay), then one frame per change. `None` when
/// [`MAX_CLIENTS`] streams are open.
#[derive(Debug, Message)]
#[rtype(result = "Option<mpsc::Receiver<Bytes>>")]
pub struct OpenStream;

impl Handler<OpenStream> for Hub {
    type Result = Option<mpsc::Receiver<Bytes>>;

    fn handle(&mut self, _: OpenStream, _: &mut Self::Context) -> Self::Result {
        self.clients.retain(|client| !client.is_closed());
        if self.clients.len() >= MAX_CLIENTS {
            warn!(
                open = self.clients.len(),
                "event stream refused: too many open"
            );
            return None;
        }
        let (sender, receiver) = mpsc::channel(CLIENT_BUFFER);
        let now = SystemTime::now();
        self.state.prune(now);
        let first = format!(
            "retry: {RETRY_MS}\ndata: {}\n\n",
            self.state.opening_json(now)
        );
        // A fresh channel has room for one frame.
        sender.try_send(Bytes::from(first)).ok()?;
        self.clients.push(sender);
        Some(receiver)
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use actix::Addr;
    use nwp500::client::DeviceSummary;
    use nwp500::events::Event;
    use nwp500::protocol::UnitSystem;
    use serde_json::{json, Value};

    use super::*;

    const MAC: &str = "aabbccddeeff";

    fn start() -> (broadcast::Sender<TimestampedEvent>, Addr<Hub>) {
        let (sender, receiver) = broadcast::channel(64);
        let devices = [DeviceSummary::from_mac(MAC)];
        let state = DashboardState::new(
            &devices,
            UnitSystem::UsCustomary,
            Duration::from_secs(3600),
            100,
        );
        (sender, Hub::new(state, receiver).start())
    }

    fn status(temperature: f64) -> TimestampedEvent {
        TimestampedEvent::new(
            SystemTime::now(),
            Event::Status {
                device: crate::test_reports::mac(MAC),
                // Half-degree steps in the wire encoding, read back exactly in metric.
                status: crate::test_reports::status(
                    json!({ "dhwTemperature": (temperature * 2.0).round() as i64 }),
                    nwp500::UnitSystem::Metric,
                ),
            },
        )
    }

    /// The JSON of one `data:` frame.
    fn data_of(frame: &Bytes) -> Value {
        let text = std::str::from_utf8(frame).unwrap();
        let line = text
            .lines()
            .find_map(|line| line.strip_prefix("data: "))
            .unwrap_or_else(|| panic!("no data line in {text:?}"));
        assert!(text.ends_with("\n\n"), "frame not terminated: {text:?}");
        serde_json::from_str(line).unwrap()
    }

    async fn next(receiver: &mut mpsc::Receiver<Bytes>) -> Bytes {
        tokio::time::timeout(Duration::from_secs(5), receiver.recv())
            .await
            .expect("no frame within 5 s")
            .expect("stream closed")
    }

    #[actix::test]
    async fn a_stream_starts_with_the_snapshot_then_follows_every_change() {
        let (events, hub) = start();
        let mut stream = hub.send(OpenStream).await.unwrap().unwrap();
        let first = next(&mut stream).await;
        assert!(first.starts_with(b"retry: 2000\n"));
        assert_eq!(
            data_of(&first)["devices"][0]["waterTemperature"],
            Value::Null
        );

        events.send(status(95.0)).unwrap();
        assert_eq!(
            data_of(&next(&mut stream).await)["devices"][0]["waterTemperature"],
            95.0
        );
        events.send(status(131.5)).unwrap();
        assert_eq!(
            data_of(&next(&mut stream).await)["devices"][0]["waterTemperature"],
            131.5
        );

        let snapshot: Value = serde_json::from_str(&hub.send(GetSnapshot).await.unwrap()).unwrap();
        assert_eq!(snapshot["devices"][0]["waterTemperature"], 131.5);
    }

    /// Waits until the hub has applied a status with `temperature`.
    async fn applied(hub: &Addr<Hub>, temperature: f64) {
        let wait = async {
            loop {
                let snapshot: Value =
                    serde_json::from_str(&hub.send(GetSnapshot).await.unwrap()).unwrap();
                if snapshot["devices"][0]["waterTemperature"] == temperature {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(5), wait)
            .await
            .expect("status not applied within 5 s");
    }

    #[actix::test]
    async fn a_late_stream_starts_from_the_current_state() {
        let (events, hub) = start();
        events.send(status(120.0)).unwrap();
        applied(&hub, 120.0).await;
        let mut stream = hub.send(OpenStream).await.unwrap().unwrap();
        assert_eq!(
            data_of(&next(&mut stream).await)["devices"][0]["waterTemperature"],
            120.0
        );
    }

    #[actix::test]
    async fn a_slow_browser_is_cut_off_and_the_others_keep_receiving() {
        let (events, hub) = start();
        let mut slow = hub.send(OpenStream).await.unwrap().unwrap();
        let mut fast = hub.send(OpenStream).await.unwrap().unwrap();
        next(&mut fast).await;
        let updates = CLIENT_BUFFER + 4;
        for i in 0..updates {
            events.send(status(100.0 + i as f64)).unwrap();
            let frame = next(&mut fast).await;
            assert_eq!(
                data_of(&frame)["devices"][0]["waterTemperature"],
                100.0 + i as f64
            );
        }
        // The slow one got what fitted in its buffer, then its stream ended.
        let mut received = 0;
        while let Some(_frame) = slow.recv().await {
            received += 1;
        }
        assert_eq!(received, CLIENT_BUFFER);
    }

    #[actix::test]
    async fn closed_streams_free_their_place() {
        let (_events, hub) = start();
        let mut open = Vec::new();
        for _ in 0..MAX_CLIENTS {
            open.push(hub.send(OpenStream).await.unwrap().unwrap());
        }
        assert!(hub.send(OpenStream).await.unwrap().is_none());
        open.pop();
        assert!(hub.send(OpenStream).await.unwrap().is_some());
    }

    #[actix::test]
    async fn the_hub_outlives_the_client() {
        let (events, hub) = start();
        events.send(status(110.0)).unwrap();
        drop(events);
        applied(&hub, 110.0).await;
        let mut stream = hub.send(OpenStream).await.unwrap().unwrap();
        let first = data_of(&next(&mut stream).await);
        assert_eq!(first["devices"][0]["waterTemperature"], 110.0);
    }

    #[actix::test]
    async fn the_opening_frame_has_the_history_and_each_status_frame_its_sample() {
        let (events, hub) = start();
        events.send(status(100.0)).unwrap();
        applied(&hub, 100.0).await;
        let mut stream = hub.send(OpenStream).await.unwrap().unwrap();
        let first = data_of(&next(&mut stream).await);
        assert_eq!(
            first["history"]["devices"][MAC].as_array().unwrap().len(),
            1
        );
        assert!(first.get("appended").is_none());

        events
            .send(TimestampedEvent::new(
                SystemTime::now(),
                Event::Status {
                    device: crate::test_reports::mac(MAC),
                    status: crate::test_reports::status(
                        json!({ "dhwTemperature": 202, "tankUpperTemperature": 1205 }),
                        nwp500::UnitSystem::Metric,
                    ),
                },
            ))
            .unwrap();
        let update = data_of(&next(&mut stream).await);
        assert!(
            update.get("history").is_none(),
            "a history only opens a stream"
        );
        assert_eq!(update["appended"]["device"], MAC);
        assert_eq!(update["appended"]["sample"]["upper"], 120.5);
    }

    #[actix::test]
    async fn control_requests_and_answers_are_pushed() {
        let (_events, hub) = start();
        let mut stream = hub.send(OpenStream).await.unwrap().unwrap();
        next(&mut stream).await;
        let unknown = ControlRequested {
            mac: "020000000001".into(),
            control: Control::Mode,
            value: "Electric".into(),
            code: 33_554_437,
        };
        assert!(!hub.send(unknown).await.unwrap());
        let requested = ControlRequested {
            mac: MAC.into(),
            control: Control::Temperature,
            value: "125 °F".into(),
            code: 33_554_464,
        };
        assert!(hub.send(requested).await.unwrap());
        let frame = data_of(&next(&mut stream).await);
        assert_eq!(
            frame["devices"][0]["controls"]["temperature"]["stage"],
            "sending"
        );
        hub.send(ControlAnswered {
            mac: MAC.into(),
            control: Control::Temperature,
            answer: Answer::Invalid("temperature must be between 95 and 150 (got 170)".into()),
        })
        .await
        .unwrap();
        let frame = data_of(&next(&mut stream).await);
        let setting = &frame["devices"][0]["controls"]["temperature"];
        assert_eq!(setting["stage"], "invalid");
        assert_eq!(
            setting["text"],
            "temperature must be between 95 and 150 (got 170)"
        );
    }
}
