//! Running the dashboard example as a child process, reading its HTTP endpoints, and
//! driving Debian's headless chromium through the DevTools protocol.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nwp500_sim::Simulator;
use serde_json::{json, Value};
use tungstenite::{Message, WebSocket};

/// Polls `probe` every 50 ms until it returns `Some`, or `timeout` passes.
pub fn wait_until<T>(timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe() {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// °C → °F, as the dashboard shows temperatures by default.
pub fn fahrenheit(celsius: f64) -> f64 {
    celsius * 9.0 / 5.0 + 32.0
}

/// Builds the example (a no-op when it is up to date) in the profile of this test and
/// returns the binary's path, found next to this test's own executable.
pub fn dashboard_binary() -> PathBuf {
    // <target>/<profile>/deps/<this test>
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test runs from <target>/<profile>/deps");
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => "dev".to_owned(),
        Some(other) => other.to_owned(),
    };
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .args(["build", "--quiet", "--example", "dashboard", "--profile"])
        .arg(&profile)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    // The test runner describes this package in the environment; build scripts that
    // watch those variables (ring's) would see them change and rebuild everything.
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        if name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_MANIFEST_")
            || name.starts_with("CARGO_CFG_")
            || matches!(
                name,
                "CARGO_CRATE_NAME"
                    | "CARGO_BIN_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
                    | "CARGO_TARGET_TMPDIR"
                    | "CARGO_RUSTC_CURRENT_DIR"
                    | "OUT_DIR"
            )
        {
            cargo.env_remove(name);
        }
    }
    let status = cargo.status().expect("run cargo build");
    assert!(status.success(), "cargo build --example dashboard failed");
    let binary = profile_dir
        .join("examples")
        .join(format!("dashboard{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.is_file(),
        "no example binary at {}",
        binary.display()
    );
    binary
}

/// The dashboard example running as a child process against a simulator; killed on drop.
pub struct Dashboard {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Dashboard {
    /// Starts the dashboard on an ephemeral port, pointed at `sim` with its demo account,
    /// polling every `poll_interval`, and waits for its first stdout line.
    pub fn start(sim: &Simulator, poll_interval: Duration) -> Self {
        Self::start_with(sim, poll_interval, &[])
    }

    /// [`start`](Self::start) with more options (`--history-hours`, …).
    pub fn start_with(sim: &Simulator, poll_interval: Duration, options: &[&str]) -> Self {
        let account = &sim.config().account;
        let mut child = Command::new(dashboard_binary())
            .args(["--bind", "127.0.0.1:0"])
            .args(["--api-url", sim.rest_url()])
            .args(["--mqtt-url", sim.mqtt_ws_url()])
            .args(["--email", &account.email])
            .args(["--password", &account.password])
            .args([
                "--poll-interval",
                &format!("{:.3}", poll_interval.as_secs_f64()),
            ])
            .args(options)
            .env_remove("NAVIEN_EMAIL")
            .env_remove("NAVIEN_PASSWORD")
            .env_remove("NAVIEN_API_URL")
            .env_remove("NAVIEN_MQTT_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn the dashboard");
        let stdout = child.stdout.take().expect("piped stdout");
        let (lines, first) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = lines.send(line);
            // Keep draining, so the child never blocks on a full pipe.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let line = match first.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("the dashboard printed nothing within 30 s");
            }
        };
        let url = match line.trim().strip_prefix("dashboard listening on ") {
            Some(url) if url.starts_with("http://127.0.0.1:") => url.to_owned(),
            _ => {
                let _ = child.kill();
                panic!("unexpected first line from the dashboard: {line:?}");
            }
        };
        Self { child, url }
    }

    /// `GET /api/status`, parsed.
    pub fn status(&self) -> Result<Value, String> {
        let body = http_get(&self.url, "/api/status")?;
        serde_json::from_str(&body).map_err(|e| format!("/api/status is not JSON: {e}"))
    }

    /// `GET /api/history`, parsed.
    pub fn history(&self) -> Result<Value, String> {
        let body = http_get(&self.url, "/api/history")?;
        serde_json::from_str(&body).map_err(|e| format!("/api/history is not JSON: {e}"))
    }

    /// `POST path` with a JSON `body`: the status code and the parsed answer.
    pub fn post(&self, path: &str, body: &Value) -> Result<(u16, Value), String> {
        let (status, text) = http_post(&self.url, path, "application/json", &body.to_string())?;
        let value = serde_json::from_str(&text).map_err(|e| format!("{path}: not JSON: {e}"))?;
        Ok((status, value))
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `host:port` of an `http://host:port…` or `ws://host:port/…` URL.
fn authority(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest)
}

/// A bare HTTP GET with `Connection: close`; the body on 200. The body ends at
/// `Content-Length` when there is one (some servers keep the connection open anyway),
/// else at the end of the connection.
pub fn http_get(base: &str, path: &str) -> Result<String, String> {
    let host = authority(base);
    let mut stream = TcpStream::connect(host).map_err(|e| format!("connect {host}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    let mut length = None;
    loop {
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .map_err(|e| format!("read {path}: {e}"))?;
        if line.trim_end().is_empty() {
            break;
        }
        if status_line.is_empty() {
            status_line = line.trim_end().to_owned();
        } else if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            }
        }
    }
    if !status_line.contains(" 200 ") && !status_line.ends_with(" 200") {
        return Err(format!("{path}: {status_line}"));
    }
    let mut body = Vec::new();
    match length {
        Some(length) => {
            body.resize(length, 0);
            reader
                .read_exact(&mut body)
                .map_err(|e| format!("read {path}: {e}"))?;
        }
        None => {
            reader
                .read_to_end(&mut body)
                .map_err(|e| format!("read {path}: {e}"))?;
        }
    }
    String::from_utf8(body).map_err(|e| format!("{path}: {e}"))
}

/// A bare HTTP POST of `body` as `content_type` with `Connection: close`: the status
/// code and the body (read to `Content-Length`, or to the end of the connection).
pub fn http_post(
    base: &str,
    path: &str,
    content_type: &str,
    body: &str,
) -> Result<(u16, String), String> {
    let host = authority(base);
    let mut stream = TcpStream::connect(host).map_err(|e| format!("connect {host}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(40)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream);
    let mut status = None;
    let mut length = None;
    loop {
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .map_err(|e| format!("read {path}: {e}"))?;
        if line.trim_end().is_empty() {
            break;
        }
        if status.is_none() {
            status = line.split_whitespace().nth(1).and_then(|s| s.parse().ok());
        } else if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            }
        }
    }
    let status = status.ok_or_else(|| format!("{path}: no status line"))?;
    let mut answer = Vec::new();
    match length {
        Some(length) => {
            answer.resize(length, 0);
            reader
                .read_exact(&mut answer)
                .map_err(|e| format!("read {path}: {e}"))?;
        }
        None => {
            reader
                .read_to_end(&mut answer)
                .map_err(|e| format!("read {path}: {e}"))?;
        }
    }
    let text = String::from_utf8(answer).map_err(|e| format!("{path}: {e}"))?;
    Ok((status, text))
}

/// Opens `GET /events` and returns the head of the response and a reader positioned on
/// the stream.
pub fn open_event_stream(base: &str) -> (String, BufReader<TcpStream>) {
    let host = authority(base);
    let mut stream = TcpStream::connect(host).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET /events HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("read the response head");
        if line == "\r\n" || line.is_empty() {
            break;
        }
        head.push_str(&line);
    }
    (head, reader)
}

/// The next `data:` line of an event stream (chunked transfer framing lines skipped),
/// parsed.
pub fn next_data(reader: &mut BufReader<TcpStream>) -> Value {
    loop {
        let mut line = String::new();
        let read = reader.read_line(&mut line).expect("read the event stream");
        assert!(read > 0, "event stream ended");
        if let Some(json) = line.trim_end().strip_prefix("data: ") {
            return serde_json::from_str(json).expect("data line is JSON");
        }
    }
}

/// Chromium (`chromium` on Debian, `chromium-browser` on Ubuntu) on `PATH`. Without it,
/// panics with a message that names what is missing and how to install it: a browser
/// test never skips silently.
pub fn require_chromium() -> PathBuf {
    find_chromium().unwrap_or_else(|| {
        panic!(
            "chromium not found (neither `chromium` nor `chromium-browser` on PATH): run \
             ./test, which installs it, or apt-get install chromium"
        )
    })
}

/// Chromium, if installed: `chromium` (Debian) or `chromium-browser` (Ubuntu) on `PATH`.
pub fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser"]
        .into_iter()
        .find_map(|name| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(name))
                .find(|candidate| candidate.is_file())
        })
}

/// Headless chromium showing one page, driven through the DevTools protocol.
pub struct Browser {
    child: Child,
    page: WebSocket<TcpStream>,
    next_id: u64,
    // Dropped after the child is killed (field order).
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts `chromium` headless with a fresh profile, opened on `url`, and attaches to
    /// that page. Everything but 127.0.0.1 is unresolvable for it, and its background
    /// services are off, so it contacts nothing else.
    pub fn open(chromium: &Path, url: &str) -> Result<Self, String> {
        let profile = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut child = Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--no-pings",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-default-apps",
                "--disable-domain-reliability",
                "--disable-extensions",
                "--disable-sync",
                "--disable-breakpad",
                "--metrics-recording-only",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", chromium.display()))?;
        match Self::attach(profile.path(), url) {
            Ok(page) => Ok(Self {
                child,
                page,
                next_id: 1,
                _profile: profile,
            }),
            Err(error) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(error)
            }
        }
    }

    /// Finds the DevTools port (chromium writes it to `DevToolsActivePort` in the
    /// profile) and connects to the page showing `url`.
    fn attach(profile: &Path, url: &str) -> Result<WebSocket<TcpStream>, String> {
        let port_file = profile.join("DevToolsActivePort");
        let port = wait_until(Duration::from_secs(30), || {
            let text = std::fs::read_to_string(&port_file).ok()?;
            text.lines().next()?.trim().parse::<u16>().ok()
        })
        .ok_or("chromium did not open its DevTools port within 30 s")?;
        let devtools = format!("http://127.0.0.1:{port}");
        let page_ws = wait_until(Duration::from_secs(10), || {
            let list: Value =
                serde_json::from_str(&http_get(&devtools, "/json/list").ok()?).ok()?;
            list.as_array()?.iter().find(|target| {
                target["type"] == "page"
                    && target["url"].as_str().is_some_and(|u| u.starts_with(url))
            })?["webSocketDebuggerUrl"]
                .as_str()
                .map(str::to_owned)
        })
        .ok_or("chromium shows no page for the dashboard")?;
        let stream = TcpStream::connect(authority(&page_ws)).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        let (socket, _) =
            tungstenite::client(page_ws.as_str(), stream).map_err(|e| e.to_string())?;
        Ok(socket)
    }

    /// Evaluates `expression` in the page and returns its value (JSON-serialisable).
    pub fn evaluate(&mut self, expression: &str) -> Result<Value, String> {
        let id = self.next_id;
        self.next_id += 1;
        let request = json!({
            "id": id,
            "method": "Runtime.evaluate",
            "params": { "expression": expression, "returnByValue": true }
        });
        self.page
            .send(Message::text(request.to_string()))
            .map_err(|e| e.to_string())?;
        loop {
            let message = self.page.read().map_err(|e| e.to_string())?;
            let Message::Text(text) = message else {
                continue;
            };
            let answer: Value = serde_json::from_str(text.as_str()).map_err(|e| e.to_string())?;
            if answer["id"] != id {
                continue; // an event of a domain we did not enable, or an old answer
            }
            if let Some(exception) = answer["result"].get("exceptionDetails") {
                return Err(format!("page exception: {exception}"));
            }
            return Ok(answer["result"]["result"]["value"].clone());
        }
    }

    /// Runs `statement` (JavaScript) in the page for its effect.
    pub fn run(&mut self, statement: &str) -> Result<(), String> {
        self.evaluate(&format!("(() => {{ {statement}; return null; }})()"))
            .map(|_| ())
    }

    /// Sets the value of the input or select `id`, then clicks the button `button`.
    pub fn fill_and_click(&mut self, id: &str, value: &str, button: &str) -> Result<(), String> {
        self.run(&format!(
            "document.getElementById({}).value = {}; document.getElementById({}).click()",
            Value::from(id),
            Value::from(value),
            Value::from(button)
        ))
    }

    /// `attribute` of the first element matching the CSS `selector`, or `None`.
    pub fn attribute(&mut self, selector: &str, attribute: &str) -> Result<Option<String>, String> {
        let expression = format!(
            "(() => {{ const e = document.querySelector({}); return e ? e.getAttribute({}) : null; }})()",
            Value::from(selector),
            Value::from(attribute)
        );
        Ok(self.evaluate(&expression)?.as_str().map(str::to_owned))
    }

    /// How many elements match the CSS `selector`.
    pub fn count(&mut self, selector: &str) -> Result<u64, String> {
        let expression = format!(
            "document.querySelectorAll({}).length",
            Value::from(selector)
        );
        self.evaluate(&expression)?
            .as_u64()
            .ok_or_else(|| format!("no count for {selector}"))
    }

    /// `textContent` of the element with `id`, or `None` when it does not exist (yet).
    pub fn text_of(&mut self, id: &str) -> Result<Option<String>, String> {
        let expression = format!(
            "(() => {{ const e = document.getElementById({}); return e ? e.textContent : null; }})()",
            Value::from(id)
        );
        Ok(self.evaluate(&expression)?.as_str().map(str::to_owned))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.page.close(None);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The number at the start of a shown value (`"95.0 °F"` → 95.0).
pub fn leading_number(text: &str) -> Option<f64> {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .unwrap_or(text.len());
    text[..end].parse().ok()
}
