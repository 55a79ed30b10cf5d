//! Runs the `ha_bridge` example as a child process and watches the local broker it
//! publishes to with an independent MQTT client.

#![allow(dead_code)]

#[path = "../support/example.rs"]
mod example;
#[path = "../support/fast_link.rs"]
mod fast_link;
#[path = "../support/mosquitto.rs"]
pub mod mosquitto;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use nwp500_sim::Simulator;
use rumqttc::{Client, Event, MqttOptions, Packet, QoS};
use serde_json::Value;

/// Builds the example once per test process and returns its path.
pub fn bridge_binary() -> std::path::PathBuf {
    static BINARY: OnceLock<std::path::PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| example::example_binary("ha_bridge"))
        .clone()
}

/// The flags that point the bridge at `sim` (demo account) and at `broker_url`, with
/// sub-second reconnect settings.
pub fn args(sim: &Simulator, broker_url: &str, client_id: &str) -> Vec<String> {
    let account = &sim.config().account;
    [
        "--email",
        account.email.as_str(),
        "--password",
        account.password.as_str(),
        "--api-url",
        sim.rest_url(),
        "--mqtt-url",
        sim.mqtt_ws_url(),
        "--client-id",
        client_id,
        "--broker",
        broker_url,
        "--broker-client-id",
        client_id,
    ]
    .into_iter()
    .chain(fast_link::FAST_LINK_FLAGS.iter().copied())
    .chain(["--energy-interval", "1"])
    .map(String::from)
    .collect()
}

/// A running bridge; killed when dropped.
pub struct Bridge {
    child: Child,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Bridge {
    /// Starts the bridge with `args` (logs at `info`, echoed to the test's stderr).
    pub fn start(args: &[String]) -> Bridge {
        let mut child = Command::new(bridge_binary())
            .args(args)
            .env_remove("NAVIEN_EMAIL")
            .env_remove("NAVIEN_PASSWORD")
            .env_remove("NAVIEN_API_URL")
            .env_remove("NAVIEN_MQTT_URL")
            .env_remove("NWP500_BROKER")
            .env_remove("NWP500_BROKER_USERNAME")
            .env_remove("NWP500_BROKER_PASSWORD")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the bridge");
        let stderr = child.stderr.take().expect("stderr piped");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let collected = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                // Shown by the test runner when a test fails.
                eprintln!("[bridge] {line}");
                collected.lock().unwrap().push(line);
            }
        });
        Bridge {
            child,
            stderr: lines,
        }
    }

    /// Waits until a stderr line contains every one of `needles`.
    pub fn wait_log(&self, needles: &[&str], timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(line) = self
                .stderr
                .lock()
                .unwrap()
                .iter()
                .find(|l| needles.iter().all(|n| l.contains(n)))
            {
                return line.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no log line with {needles:?} within {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Every stderr line so far.
    pub fn stderr(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Kills the process without letting it say goodbye (SIGKILL).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("poll the bridge") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the bridge did not exit within {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.kill();
        }
    }
}

/// A message the observer received.
#[derive(Debug, Clone)]
pub struct Message {
    /// Its topic.
    pub topic: String,
    /// Its payload, as text.
    pub payload: String,
    /// Whether the broker delivered it as a retained message.
    pub retain: bool,
}

impl Message {
    /// The payload as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.payload).unwrap_or(Value::Null)
    }
}

#[derive(Default)]
struct Seen {
    messages: Vec<Message>,
    subscribed: bool,
}

/// An MQTT client on the local broker that subscribes to a filter (again after every
/// reconnection) and records every message.
pub struct Observer {
    client: Client,
    seen: Arc<(Mutex<Seen>, Condvar)>,
}

impl Observer {
    /// Connects to `127.0.0.1:port`, subscribes to `filter` and waits for the SUBACK.
    pub fn start(port: u16, client_id: &str, filter: &str) -> Observer {
        let mut options = MqttOptions::new(client_id, "127.0.0.1", port);
        options.set_keep_alive(Duration::from_secs(5));
        options.set_max_packet_size(256 * 1024, 256 * 1024);
        let (client, mut connection) = Client::new(options, 100);
        let seen = Arc::new((Mutex::new(Seen::default()), Condvar::new()));
        let (thread_seen, thread_client, filter) =
            (seen.clone(), client.clone(), filter.to_owned());
        std::thread::spawn(move || {
            for event in connection.iter() {
                let (lock, changed) = &*thread_seen;
                match event {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        if thread_client
                            .try_subscribe(filter.clone(), QoS::AtLeastOnce)
                            .is_err()
                        {
                            return;
                        }
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        lock.lock().unwrap().subscribed = true;
                        changed.notify_all();
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        lock.lock().unwrap().messages.push(Message {
                            topic: p.topic,
                            payload: String::from_utf8_lossy(&p.payload).into_owned(),
                            retain: p.retain,
                        });
                        changed.notify_all();
                    }
                    Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)) => return,
                    Ok(_) => {}
                    Err(_) => std::thread::sleep(Duration::from_millis(50)),
                }
            }
        });
        let observer = Observer { client, seen };
        observer.wait(Duration::from_secs(10), |s| s.subscribed.then_some(()));
        observer
    }

    fn wait<T>(&self, timeout: Duration, mut found: impl FnMut(&Seen) -> Option<T>) -> T {
        let deadline = Instant::now() + timeout;
        let (lock, changed) = &*self.seen;
        let mut seen = lock.lock().unwrap();
        loop {
            if let Some(value) = found(&seen) {
                return value;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "not seen within {timeout:?}");
            seen = changed.wait_timeout(seen, left).unwrap().0;
        }
    }

    /// How many messages arrived so far.
    pub fn count(&self) -> usize {
        self.seen.0.lock().unwrap().messages.len()
    }

    /// How many messages at index `from` or later satisfy `matches`.
    pub fn count_matching(&self, from: usize, matches: impl Fn(&Message) -> bool) -> usize {
        let seen = self.seen.0.lock().unwrap();
        seen.messages
            .iter()
            .skip(from)
            .filter(|m| matches(m))
            .count()
    }

    /// Waits for a message at index `from` or later that satisfies `matches`.
    pub fn wait_for(
        &self,
        from: usize,
        timeout: Duration,
        what: &str,
        matches: impl Fn(&Message) -> bool,
    ) -> Message {
        let deadline = Instant::now() + timeout;
        let (lock, changed) = &*self.seen;
        let mut seen = lock.lock().unwrap();
        loop {
            if let Some(m) = seen.messages.iter().skip(from).find(|m| matches(m)) {
                return m.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let topics: Vec<String> = seen
                    .messages
                    .iter()
                    .skip(from)
                    .map(|m| {
                        format!(
                            "{} {}",
                            m.topic,
                            m.payload.chars().take(80).collect::<String>()
                        )
                    })
                    .collect();
                panic!("no {what} within {timeout:?}; received: {topics:#?}");
            }
            seen = changed.wait_timeout(seen, left).unwrap().0;
        }
    }

    /// Waits for a message on `topic` with payload `payload` (at index `from` or later).
    pub fn wait_payload(&self, from: usize, topic: &str, payload: &str, timeout: Duration) {
        self.wait_for(from, timeout, &format!("`{payload}` on {topic}"), |m| {
            m.topic == topic && m.payload == payload
        });
    }

    /// Waits until messages on `n` distinct topics matching `matches` arrived (at index
    /// `from` or later); returns the latest of each.
    pub fn wait_distinct(
        &self,
        from: usize,
        n: usize,
        timeout: Duration,
        matches: impl Fn(&Message) -> bool,
    ) -> Vec<Message> {
        self.wait(timeout, |seen| {
            let mut latest: Vec<Message> = Vec::new();
            for m in seen.messages.iter().skip(from).filter(|m| matches(m)) {
                match latest.iter_mut().find(|l| l.topic == m.topic) {
                    Some(l) => *l = m.clone(),
                    None => latest.push(m.clone()),
                }
            }
            (latest.len() >= n).then_some(latest)
        })
    }

    /// Publishes `payload` on `topic` (QoS 1).
    pub fn publish(&self, topic: &str, payload: &str, retain: bool) {
        self.client
            .publish(topic, QoS::AtLeastOnce, retain, payload.as_bytes().to_vec())
            .expect("queue a publish");
    }
}

impl Drop for Observer {
    fn drop(&mut self) {
        let _ = self.client.try_disconnect();
    }
}

/// The keys Home Assistant's MQTT discovery needs in a config of `component`, beyond
/// the shared ones (`unique_id`, `device` with identifiers, `availability`): a sensor
/// or binary sensor without a state topic is refused; a water heater without these
/// topics could be shown but neither read nor controlled.
pub fn required_keys(component: &str) -> &'static [&'static str] {
    match component {
        "sensor" | "binary_sensor" => &["state_topic", "value_template", "name"],
        "water_heater" => &[
            "current_temperature_topic",
            "current_temperature_template",
            "temperature_state_topic",
            "temperature_state_template",
            "temperature_command_topic",
            "mode_state_topic",
            "mode_state_template",
            "mode_command_topic",
            "modes",
            "temperature_unit",
            "precision",
        ],
        other => panic!("unexpected component {other}"),
    }
}

/// Checks a discovery config on `topic` against Home Assistant's rules: the keys of
/// [`required_keys`], a `unique_id`, a `device` with at least one identifier, and an
/// availability list whose entries each name a topic without wildcards.
pub fn check_config(topic: &str, config: &Value) {
    let levels: Vec<&str> = topic.split('/').collect();
    assert_eq!(levels.len(), 5, "discovery topic {topic}");
    assert_eq!(levels[4], "config", "{topic}");
    for key in required_keys(levels[1]) {
        assert!(
            config.get(*key).is_some_and(|v| !v.is_null()),
            "{topic} lacks {key}: {config}"
        );
    }
    assert!(config["unique_id"].is_string(), "{topic}: unique_id");
    let device = &config["device"];
    let identified = device["identifiers"]
        .as_array()
        .is_some_and(|a| !a.is_empty())
        || device["connections"]
            .as_array()
            .is_some_and(|a| !a.is_empty());
    assert!(identified, "{topic}: device without identifiers: {device}");
    let availability = config["availability"]
        .as_array()
        .unwrap_or_else(|| panic!("{topic}: no availability list"));
    assert!(!availability.is_empty(), "{topic}: empty availability");
    for entry in availability {
        let t = entry["topic"].as_str().expect("availability topic");
        assert!(!t.contains(['+', '#']), "{topic}: availability topic {t}");
    }
    assert_eq!(config["availability_mode"], "all", "{topic}");
    for (key, value) in config.as_object().expect("an object") {
        if key.ends_with("_topic") {
            let t = value.as_str().expect("topics are strings");
            assert!(
                !t.is_empty() && !t.contains(['+', '#']),
                "{topic}: {key} = {t}"
            );
        }
    }
}
