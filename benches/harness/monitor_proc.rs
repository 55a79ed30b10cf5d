//! The example monitor (`examples/monitor`) as a measured process, when it has been built
//! (`cargo build --release --example monitor`): started against a simulator with `--json`,
//! its event lines read to know when every device has reported.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use nwp500_sim::Simulator;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::error::{BenchError, BenchResult};

/// The release build of the monitor example next to this executable, if it exists.
pub fn binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    // …/release/deps/harness-<hash> → …/release/examples/monitor
    let release = exe.parent()?.parent()?;
    let path = release.join("examples").join("monitor");
    path.exists().then_some(path)
}

/// A running monitor process.
pub struct MonitorProc {
    child: Child,
    reported: Arc<Mutex<HashSet<String>>>,
    /// Its process id.
    pub pid: u32,
}

impl MonitorProc {
    /// Starts `monitor --json` against `sim` for its first `devices` devices.
    pub fn spawn(
        binary: &PathBuf,
        sim: &Simulator,
        devices: usize,
        client_id: &str,
    ) -> BenchResult<Self> {
        let account = &sim.config().account;
        let mut command = Command::new(binary);
        command
            .arg("--json")
            .args(["--email", &account.email])
            .args(["--api-url", sim.rest_url()])
            .args(["--mqtt-url", sim.mqtt_ws_url()])
            .args(["--client-id", client_id])
            .env("NAVIEN_PASSWORD", &account.password)
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        for device in sim.devices().iter().take(devices) {
            command.args(["--device", device.mac()]);
        }
        let mut child = command.spawn()?;
        let pid = child
            .id()
            .ok_or_else(|| BenchError::Child("monitor exited at once".into()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| BenchError::Child("no monitor stdout".into()))?;
        let reported = Arc::new(Mutex::new(HashSet::new()));
        let seen = reported.clone();
        // Always drained, so the monitor never blocks on a full pipe.
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let Ok(event) = serde_json::from_str::<serde_json::Value>(&line) else {
                    continue;
                };
                if event["event"] == "status" {
                    if let Some(device) = event["device"].as_str() {
                        seen.lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .insert(device.to_owned());
                    }
                }
            }
        });
        Ok(Self {
            child,
            reported,
            pid,
        })
    }

    /// Waits until `devices` distinct devices have reported a status.
    pub async fn wait_reported(&self, devices: usize, within: Duration) -> BenchResult<()> {
        let deadline = Instant::now() + within;
        loop {
            let n = self
                .reported
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .len();
            if n >= devices {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(BenchError::timeout(
                    format!("monitor statuses ({n} of {devices} devices)"),
                    within,
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Kills the monitor.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
