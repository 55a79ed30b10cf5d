//! Shared set-up for the recovery tests: a simulator, a client with sub-second timings,
//! an event recorder, a network switch, and the invariant checks of ARCHITECTURE.md.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nwp500::client::Client;
use nwp500::config::{ClientConfig, ClientConfigBuilder};
use nwp500::events::{Event, TimestampedEvent};
use nwp500::protocol::ClientId;
use nwp500_sim::{AwsQuotas, ConnectionRecord, SimConfig, Simulator};
use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Timings small enough for tests, large enough for a loaded 2-core machine.
pub fn fast(sim: &Simulator) -> ClientConfigBuilder {
    // These timings reconnect 100 ms apart: AWS's one CONNECT per second per client id is lifted.
    sim.set_quotas(AwsQuotas {
        min_connect_interval_per_client_id: None,
        ..sim.quotas()
    });
    let account = &sim.config().account;
    ClientConfig::builder()
        .credentials(account.email.clone(), account.password.clone())
        .api_url(sim.rest_url())
        .mqtt_url(sim.mqtt_ws_url())
        .keep_alive(Duration::from_secs(1))
        .connect_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(2))
        .initial_reconnect_delay(Duration::from_millis(100))
        .max_reconnect_delay(Duration::from_millis(400))
        .min_connect_interval(Duration::from_millis(100))
        .stable_after(Duration::from_secs(30))
        .probe_interval(Duration::from_millis(200))
        .poll_interval(Duration::from_millis(500))
}

/// Records every event of a client, with the test's own clock.
#[derive(Clone, Default)]
pub struct Recorder {
    events: Arc<Mutex<Vec<(Instant, TimestampedEvent)>>>,
}

impl Recorder {
    /// Starts recording `client`'s events.
    pub fn attach(client: &Client) -> Self {
        let recorder = Self::default();
        let mut rx = client.events();
        let events = recorder.events.clone();
        tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(e) => events.lock().unwrap().push((Instant::now(), e)),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        panic!("event recorder lagged by {n}")
                    }
                    Err(_) => break,
                }
            }
        });
        recorder
    }

    /// Every event so far.
    pub fn all(&self) -> Vec<Event> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .map(|(_, e)| e.event.clone())
            .collect()
    }

    /// Events so far with the instant they were seen.
    pub fn timed(&self) -> Vec<(Instant, Event)> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .map(|(t, e)| (*t, e.event.clone()))
            .collect()
    }

    /// Every event so far as stamped by the client (with the pool connection it
    /// concerns).
    pub fn stamped(&self) -> Vec<TimestampedEvent> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .map(|(_, e)| e.clone())
            .collect()
    }

    /// How many events have the tag `name`.
    pub fn count(&self, name: &str) -> usize {
        self.all().iter().filter(|e| e.name() == name).count()
    }

    /// Events seen since index `from`.
    pub fn since(&self, from: usize) -> Vec<Event> {
        self.all().into_iter().skip(from).collect()
    }

    /// Number of events so far.
    pub fn len(&self) -> usize {
        self.events.lock().unwrap().len()
    }

    /// Waits until `pred` holds for the events seen since index `from`.
    pub async fn wait_since(
        &self,
        from: usize,
        timeout: Duration,
        what: &str,
        pred: impl Fn(&[Event]) -> bool,
    ) {
        let deadline = Instant::now() + timeout;
        loop {
            if pred(&self.since(from)) {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out after {timeout:?} waiting for {what}; events: {:?}",
                    self.since(from).iter().map(Event::name).collect::<Vec<_>>()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits for `n` events tagged `name` since index `from`.
    pub async fn wait_for(&self, from: usize, name: &str, n: usize, timeout: Duration) {
        self.wait_since(from, timeout, name, |events| {
            events.iter().filter(|e| e.name() == name).count() >= n
        })
        .await
    }
}

/// A simulator with one device and a client connected to it, statuses flowing.
pub async fn connected(
    sim_config: SimConfig,
    configure: impl FnOnce(ClientConfigBuilder) -> ClientConfigBuilder,
) -> (Simulator, Client, Recorder) {
    let sim = Simulator::start(sim_config).expect("simulator starts");
    let config = configure(fast(&sim)).build().expect("valid config");
    let client = Client::start(config).await.expect("client starts");
    let recorder = Recorder::attach(&client);
    recorder
        .wait_for(0, "status", 1, Duration::from_secs(10))
        .await;
    (sim, client, recorder)
}

/// Invariants 1 and 3 of ARCHITECTURE.md, checked on the simulator's connection log and
/// on the events: never two live connections for our client id, CONNECTs never closer
/// than `min_interval`, and every interruption ended by exactly one recovery (or a
/// failure, or the application's disconnect).
pub fn assert_invariants(
    sim: &Simulator,
    client: &Client,
    events: &[Event],
    min_interval: Duration,
) {
    // A planned handover connects under the id's peer: the invariants hold for each id,
    // and at most two connections are alive at once, only during a handover.
    let id = client.client_id();
    let peer = ClientId::new(id).expect("valid id").handover_peer();
    for id in [id, peer.as_str()] {
        assert!(
            sim.max_concurrent_connections(id) <= 1,
            "two live connections for one client id: {:?}",
            sim.connections_of(id)
        );
        if let Some(gap) = sim.min_connect_gap(id) {
            assert!(
                gap + Duration::from_millis(5) >= min_interval,
                "two CONNECTs {gap:?} apart (minimum {min_interval:?})"
            );
        }
    }
    let mut both = sim.connections_of(id);
    both.extend(sim.connections_of(peer.as_str()));
    assert!(
        max_live_at_once(&both) <= 2,
        "more than two live connections at once: {both:?}"
    );
    if let Err(violation) = check_outcomes(events) {
        panic!("{violation}\nevents: {events:?}");
    }
    let no_secret = events.iter().all(|e| {
        let text = serde_json::to_string(e).unwrap();
        !text.contains(&sim.config().account.password) && !text.contains("X-Amz-Signature")
    });
    assert!(no_secret, "a secret in the events");
}

/// The largest number of `records` live (CONNECT forwarded, not closed) at one instant.
pub fn max_live_at_once(records: &[ConnectionRecord]) -> usize {
    let mut edges: Vec<(Instant, i64)> = Vec::new();
    for r in records {
        let Some(start) = r.connected else { continue };
        edges.push((start, 1));
        if let Some(end) = r.closed {
            edges.push((end, -1));
        }
    }
    // At one instant, closes before opens.
    edges.sort_by_key(|(at, delta)| (*at, *delta));
    let (mut live, mut max) = (0i64, 0i64);
    for (_, delta) in edges {
        live += delta;
        max = max.max(live);
    }
    usize::try_from(max).unwrap_or(0)
}

/// Invariant 3, on the events alone: every outage ends in exactly one outcome
/// (`recovered`, `reconnection_failed` or `disconnected`) before the next one begins.
///
/// An outage begins with `interrupted`, or, for a start during an outage, with the first
/// `reconnect_scheduled` before the link was ever up. A second `interrupted` inside an
/// open outage, a `recovered` or `reconnection_failed` outside one, and an outage still
/// open when the events end are violations. `disconnected` outside an outage is the
/// application's own stop and is fine.
pub fn check_outcomes(events: &[Event]) -> Result<(), String> {
    let mut open: Option<usize> = None;
    let mut ever_up = false;
    for (i, event) in events.iter().enumerate() {
        match event {
            Event::Interrupted { .. } => {
                if let Some(start) = open {
                    return Err(format!(
                        "event {i}: interrupted while the outage begun at event {start} had no outcome"
                    ));
                }
                open = Some(i);
            }
            Event::ReconnectScheduled { .. } if !ever_up && open.is_none() => open = Some(i),
            Event::Connected { .. } if open.is_none() => ever_up = true,
            Event::Recovered { .. } | Event::ReconnectionFailed { .. } => {
                if open.take().is_none() {
                    return Err(format!("event {i}: {} without an outage", event.name()));
                }
                ever_up = true;
            }
            Event::Disconnected => open = None,
            _ => {}
        }
    }
    match open {
        Some(start) => Err(format!("the outage begun at event {start} has no outcome")),
        None => Ok(()),
    }
}

/// Every `reconnect_scheduled` announces the `connecting` that follows it: their attempt
/// numbers agree.
pub fn assert_attempt_numbers_agree(events: &[Event]) {
    let mut announced = None;
    for event in events {
        match event {
            Event::ReconnectScheduled { attempt, .. } => announced = Some(*attempt),
            Event::Connecting { attempt, .. } => {
                if let Some(expected) = announced.take() {
                    assert_eq!(*attempt, expected, "{events:?}");
                }
            }
            _ => {}
        }
    }
}

/// A TCP forwarder whose "network" can be switched off (listener closed, every link cut:
/// connection refused, like a dead route) and on again on the same port.
pub struct NetworkSwitch {
    pub port: u16,
    up: watch::Sender<bool>,
}

impl NetworkSwitch {
    /// Forwards 127.0.0.1:<port> to `upstream` while up.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (up, rx) = watch::channel(true);
        tokio::spawn(run_switch(listener, port, upstream, rx));
        Self { port, up }
    }

    /// Cuts (false) or restores (true) the network.
    pub fn set_up(&self, up: bool) {
        let _ = self.up.send(up);
    }

    /// `ws://127.0.0.1:<port>/mqtt`.
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/mqtt", self.port)
    }
}

async fn run_switch(
    mut listener: TcpListener,
    port: u16,
    upstream: SocketAddr,
    mut up: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((mut client, _)) = accepted else { continue };
                let mut cut = up.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream).await else { return };
                    tokio::select! {
                        _ = copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.wait_for(|up| !*up) => {}
                    }
                });
            }
            changed = up.changed() => {
                if changed.is_err() { return; }
                if !*up.borrow() {
                    drop(listener);
                    if up.wait_for(|up| *up).await.is_err() { return; }
                    listener = loop {
                        match TcpListener::bind(("127.0.0.1", port)).await {
                            Ok(l) => break l,
                            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                        }
                    };
                }
            }
        }
    }
}

/// The socket address of a `ws://host:port/...` URL.
pub fn socket_of(url: &str) -> SocketAddr {
    let url = url::Url::parse(url).unwrap();
    format!("{}:{}", url.host_str().unwrap(), url.port().unwrap())
        .parse()
        .unwrap()
}

/// Disconnects and waits until the recorder has seen `disconnected`.
pub async fn disconnect(client: &Client, rec: &Recorder) {
    client.disconnect().await.expect("disconnect");
    rec.wait_for(0, "disconnected", 1, Duration::from_secs(5))
        .await;
}
