//! A throwaway mosquitto broker for tests: generated config in a temp dir, ephemeral
//! 127.0.0.1 ports (a plain MQTT listener and a WebSocket listener), killed on drop.
//!
//! Tests take broker URLs from [`Mosquitto::ws_url`] / [`Mosquitto::tcp_url`] so they can be
//! pointed at another broker by changing this file only.

#![allow(dead_code)]

use std::fs::File;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running mosquitto process.
pub struct Mosquitto {
    child: Child,
    dir: tempfile::TempDir,
    /// Plain MQTT port.
    pub tcp_port: u16,
    /// MQTT-over-WebSocket port.
    pub ws_port: u16,
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local addr").port()
}

fn binary() -> PathBuf {
    for candidate in ["/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"] {
        let p = PathBuf::from(candidate);
        if p.exists() {
            return p;
        }
    }
    PathBuf::from("mosquitto")
}

/// Runs mosquitto with the configuration in `dir`, appending its log to the log file
/// there. Without a mosquitto binary the test fails and says so.
fn spawn(dir: &std::path::Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("mosquitto.log"))
        .expect("log file");
    Command::new(binary())
        .arg("-c")
        .arg(dir.join("mosquitto.conf"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap_or_else(|e| match e.kind() {
            std::io::ErrorKind::NotFound => panic!(
                "mosquitto not found (looked in /usr/sbin, /usr/local/sbin and PATH): \
                 run ./test, which installs it, or apt-get install mosquitto"
            ),
            _ => panic!("cannot start mosquitto ({}): {e}", binary().display()),
        })
}

impl Mosquitto {
    /// Starts a broker and waits until both listeners accept connections.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let tcp_port = free_port();
        let mut ws_port = free_port();
        while ws_port == tcp_port {
            ws_port = free_port();
        }
        let config = dir.path().join("mosquitto.conf");
        let mut f = File::create(&config).expect("config file");
        writeln!(
            f,
            "per_listener_settings false\nallow_anonymous true\n\
             listener {tcp_port} 127.0.0.1\n\
             listener {ws_port} 127.0.0.1\nprotocol websockets\n\
             log_dest stderr\nlog_type all\nconnection_messages true\n\
             max_inflight_messages 100\nmax_queued_messages 10000"
        )
        .expect("write config");
        let child = spawn(dir.path());
        let broker = Self {
            child,
            dir,
            tcp_port,
            ws_port,
        };
        broker.wait_listening(tcp_port);
        broker.wait_listening(ws_port);
        broker
    }

    /// Stops the broker and starts it again on the same ports (retained messages and
    /// sessions are lost, as with a broker without persistence), then waits until both
    /// listeners accept connections.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn(self.dir.path());
        self.wait_listening(self.tcp_port);
        self.wait_listening(self.ws_port);
    }

    fn wait_listening(&self, port: u16) {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("mosquitto did not listen on {port}; log:\n{}", self.log());
    }

    /// `ws://127.0.0.1:<port>/mqtt`.
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/mqtt", self.ws_port)
    }

    /// `mqtt://127.0.0.1:<port>`.
    pub fn tcp_url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.tcp_port)
    }

    /// Address of the WebSocket listener (for proxies).
    pub fn ws_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.ws_port))
    }

    /// The broker's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("mosquitto.log")).unwrap_or_default()
    }

    /// How many log lines contain `needle`.
    pub fn log_count(&self, needle: &str) -> usize {
        self.log().lines().filter(|l| l.contains(needle)).count()
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
