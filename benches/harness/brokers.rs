//! The brokers the benchmarks run through, on ephemeral 127.0.0.1 ports: mosquitto from the
//! distribution (started with a generated config, killed on drop) and the simulator's embedded
//! broker (reached through its plain MQTT/TCP gateway).

use std::fs::File;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nwp500_sim::{AwsQuotas, SimConfig, Simulator};

use crate::error::{BenchError, BenchResult};

/// Which broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokerKind {
    /// mosquitto, a separate process.
    Mosquitto,
    /// The simulator's in-process broker behind its TCP gateway (its own thread).
    Embedded,
}

impl BrokerKind {
    /// Both, mosquitto first.
    pub const ALL: [BrokerKind; 2] = [BrokerKind::Mosquitto, BrokerKind::Embedded];

    /// Short name used in case ids and tables.
    pub fn label(self) -> &'static str {
        match self {
            BrokerKind::Mosquitto => "mosquitto",
            BrokerKind::Embedded => "embedded",
        }
    }
}

/// A running broker; dropping it stops it.
pub struct Broker {
    /// Its plain MQTT port on 127.0.0.1.
    pub port: u16,
    _mosquitto: Option<Mosquitto>,
    _sim: Option<Box<Simulator>>,
}

impl Broker {
    /// Starts a broker of `kind` and waits until it accepts connections.
    pub fn start(kind: BrokerKind) -> BenchResult<Self> {
        match kind {
            BrokerKind::Mosquitto => {
                let m = Mosquitto::start()?;
                Ok(Self {
                    port: m.port,
                    _mosquitto: Some(m),
                    _sim: None,
                })
            }
            BrokerKind::Embedded => {
                let sim = Simulator::start(SimConfig {
                    devices: Vec::new(),
                    random_draws: false,
                    // Compared with mosquitto as a plain broker (50 000 msg/s, 5 000 topics on
                    // one connection): every AWS quota is lifted.
                    quotas: AwsQuotas::unlimited(),
                    ..SimConfig::default()
                })
                .map_err(|e| BenchError::Broker(e.to_string()))?;
                let port = port_of(sim.mqtt_tcp_url())?;
                Ok(Self {
                    port,
                    _mosquitto: None,
                    _sim: Some(Box::new(sim)),
                })
            }
        }
    }

    /// `mqtt://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }
}

/// The port of a `scheme://host:port[/…]` URL.
pub fn port_of(url: &str) -> BenchResult<u16> {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.port())
        .ok_or_else(|| BenchError::Broker(format!("no port in broker URL {url}")))
}

/// A mosquitto process with a generated config in a temp dir.
struct Mosquitto {
    child: Child,
    _dir: tempfile::TempDir,
    port: u16,
}

fn free_port() -> BenchResult<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn mosquitto_binary() -> PathBuf {
    ["/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("mosquitto"))
}

/// `mosquitto version x.y.z`, or a placeholder when it cannot be run.
pub fn mosquitto_version() -> String {
    Command::new(mosquitto_binary())
        .arg("-h")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "mosquitto (version unknown)".into())
}

impl Mosquitto {
    fn start() -> BenchResult<Self> {
        let dir = tempfile::tempdir()?;
        let port = free_port()?;
        let config = dir.path().join("mosquitto.conf");
        // Logging of errors only: `log_type all` would write a line per PUBLISH and measure
        // the disk instead of the broker. Unlimited in-flight window towards subscribers so the
        // broker, not its flow control, sets the pace (the same for every client measured).
        // TCP_NODELAY: without it, Nagle's algorithm on the broker holds the second of two
        // back-to-back acknowledgements until the client's delayed ACK (40 ms on Linux), which
        // would dominate every pipelined measurement.
        writeln!(
            File::create(&config)?,
            "per_listener_settings false\nallow_anonymous true\n\
             listener {port} 127.0.0.1\n\
             log_dest stderr\nlog_type error\nlog_type warning\n\
             max_inflight_messages 0\nmax_queued_messages 0\nmax_keepalive 65535\nset_tcp_nodelay true"
        )?;
        let log = File::create(dir.path().join("mosquitto.log"))?;
        let child = Command::new(mosquitto_binary())
            .arg("-c")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .map_err(|e| BenchError::Broker(format!("cannot start mosquitto: {e}")))?;
        let mut m = Self {
            child,
            _dir: dir,
            port,
        };
        if !wait_listening(port, Duration::from_secs(5)) {
            let _ = m.child.kill();
            return Err(BenchError::Broker(format!(
                "mosquitto did not listen on {port}"
            )));
        }
        Ok(m)
    }
}

fn wait_listening(port: u16, within: Duration) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
