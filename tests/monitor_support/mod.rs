//! Runs the `monitor` example as a child process and reads its JSON lines.
//!
//! Cargo gives integration tests the path of `[[bin]]` targets only
//! (`CARGO_BIN_EXE_<name>`), not of examples. So [`monitor_binary`] runs
//! `cargo build --example monitor --quiet` (the cargo that builds the tests, from
//! `env!("CARGO")`) into the target directory this test executable lives in
//! (`<target>/<profile>/deps/<test>` → `<target>`), then uses
//! `<target>/<profile>/examples/monitor`. When the example is up to date the build
//! is a no-op.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use nwp500_sim::Simulator;

#[path = "../support/example.rs"]
mod example;
#[path = "../support/fast_link.rs"]
mod fast_link;
use serde_json::Value;

/// Builds the example once per test process and returns its path.
pub fn monitor_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| example::example_binary("monitor"))
        .clone()
}

/// The flags that point the monitor at `sim` with its demo account.
pub fn sim_flags(sim: &Simulator) -> Vec<String> {
    let account = &sim.config().account;
    vec![
        "--email".into(),
        account.email.clone(),
        "--password".into(),
        account.password.clone(),
        "--api-url".into(),
        sim.rest_url().to_owned(),
        "--mqtt-url".into(),
        sim.mqtt_ws_url().to_owned(),
    ]
}

/// Sub-second reconnect settings (with `--json`).
pub fn fast_flags() -> Vec<String> {
    std::iter::once("--json")
        .chain(fast_link::FAST_LINK_FLAGS.iter().copied())
        .map(String::from)
        .collect()
}

/// A running monitor.
pub struct Monitor {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Value>,
    /// Every event read so far, in order.
    pub seen: Vec<Value>,
    /// Every stderr line so far.
    stderr: Arc<Mutex<Vec<String>>>,
    /// stdout lines that were not JSON objects with `ts` and `event`.
    bad_lines: Arc<Mutex<Vec<String>>>,
}

impl Monitor {
    /// Starts the monitor with `args`; stdin piped when `with_stdin`, else `/dev/null`.
    pub fn start(args: &[String], with_stdin: bool) -> Monitor {
        let mut child = Command::new(monitor_binary())
            .args(args)
            .env_remove("NAVIEN_EMAIL")
            .env_remove("NAVIEN_PASSWORD")
            .env_remove("NAVIEN_API_URL")
            .env_remove("NAVIEN_MQTT_URL")
            .env("RUST_LOG", "info")
            .stdin(if with_stdin {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the monitor");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout piped");
        let stderr = child.stderr.take().expect("stderr piped");

        let (tx, lines) = mpsc::channel();
        let bad_lines = Arc::new(Mutex::new(Vec::new()));
        let bad = bad_lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                match serde_json::from_str::<Value>(&line) {
                    Ok(v)
                        if v.get("ts").is_some_and(Value::is_string)
                            && v.get("event").is_some_and(Value::is_string) =>
                    {
                        if tx.send(v).is_err() {
                            return;
                        }
                    }
                    _ => bad.lock().unwrap().push(line),
                }
            }
        });
        let stderr_lines = Arc::new(Mutex::new(Vec::new()));
        let collected = stderr_lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                // Shown by the test runner when a test fails.
                eprintln!("[monitor] {line}");
                collected.lock().unwrap().push(line);
            }
        });
        Monitor {
            child,
            stdin,
            lines,
            seen: Vec::new(),
            stderr: stderr_lines,
            bad_lines,
        }
    }

    /// Waits for the next event named `name` (events before it are kept in `seen`).
    pub fn wait_for(&mut self, name: &str, timeout: Duration) -> Value {
        self.wait_until(timeout, |v| v["event"] == name)
            .unwrap_or_else(|| {
                panic!(
                    "no `{name}` event within {timeout:?}; seen {:?}",
                    self.names()
                )
            })
    }

    /// Waits for the next event satisfying `matches`; `None` on timeout or exit.
    pub fn wait_until(
        &mut self,
        timeout: Duration,
        matches: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(event) => {
                    self.seen.push(event.clone());
                    if matches(&event) {
                        return Some(event);
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    /// Types a line on the monitor's stdin.
    pub fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin piped");
        writeln!(stdin, "{line}").expect("write to the monitor's stdin");
        stdin.flush().expect("flush the monitor's stdin");
    }

    /// Waits for the exit (reading the remaining events into `seen`).
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("poll the monitor") {
                // The reader thread ends at EOF; take what it still has.
                while let Ok(event) = self.lines.recv_timeout(Duration::from_millis(500)) {
                    self.seen.push(event);
                }
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the monitor did not exit within {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The names of the events seen so far.
    pub fn names(&self) -> Vec<String> {
        self.seen
            .iter()
            .filter_map(|v| v["event"].as_str().map(str::to_owned))
            .collect()
    }

    /// How many events named `name` were seen.
    pub fn count(&self, name: &str) -> usize {
        self.seen.iter().filter(|v| v["event"] == name).count()
    }

    /// The index in `seen` of the first event named `name` at or after `from`.
    pub fn position(&self, name: &str, from: usize) -> Option<usize> {
        self.seen
            .iter()
            .skip(from)
            .position(|v| v["event"] == name)
            .map(|i| i + from)
    }

    /// stderr so far.
    pub fn stderr(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    /// stdout lines that were not event objects.
    pub fn bad_lines(&self) -> Vec<String> {
        self.bad_lines.lock().unwrap().clone()
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
