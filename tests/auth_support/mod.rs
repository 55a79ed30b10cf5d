//! Shared helpers of the auth/REST integration tests: a scriptable HTTP/1.1 stub of
//! the NaviLink REST API on an ephemeral 127.0.0.1 port, the golden fixtures, and a
//! manual clock at the golden examples' T0.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nwp500::auth::{AuthConfig, Secret};
use nwp500::clock::ManualClock;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

pub const EMAIL: &str = "user@example.com";
pub const PASSWORD: &str = "correct-horse";

/// 2026-01-02T03:00:00Z, the T0 of golden example G1.
pub const T0_UNIX: u64 = 1_767_322_800;

pub fn at_unix(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

pub fn t0_clock() -> ManualClock {
    ManualClock::new(at_unix(T0_UNIX))
}

pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/data/auth/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str(&text).unwrap()
}

pub fn config(stub: &Stub) -> AuthConfig {
    AuthConfig::new(EMAIL, Secret::from(PASSWORD))
        .with_api_base_url(stub.base.clone())
        .with_http_timeout(Duration::from_secs(5))
}

/// A sign-in answer with the given tokens and lifetimes (AWS keys included).
pub fn sign_in_body(suffix: &str, access_lifetime: i64, aws_lifetime: i64) -> Value {
    json!({"code": 200, "msg": "SUCCESS", "data": {
        "userInfo": {"userType": "O", "userFirstName": "Jane", "userLastName": "Doe",
                     "userStatus": "NORMAL", "userSeq": 20002},
        "token": {
            "idToken": format!("fake-id-token{suffix}"),
            "accessToken": format!("fake-access-token{suffix}"),
            "refreshToken": format!("fake-refresh-token{suffix}"),
            "authenticationExpiresIn": access_lifetime,
            "accessKeyId": format!("ASIAFAKEACCESSKEY000{suffix}"),
            "secretKey": format!("fakeSecretKey/0123456789+abcdefFAKE{suffix}"),
            "sessionToken": format!("FAKE/Session+Token=={suffix}"),
            "authorizationExpiresIn": aws_lifetime
        },
        "legal": []
    }})
}

/// A refresh answer without AWS credentials.
pub fn refresh_body(suffix: &str) -> Value {
    json!({"code": 200, "msg": "SUCCESS", "data": {
        "idToken": format!("fake-id-token{suffix}"),
        "accessToken": format!("fake-access-token{suffix}"),
        "authenticationExpiresIn": 3600
    }})
}

/// A refresh answer that also renews the AWS credentials.
pub fn refresh_body_with_aws(suffix: &str) -> Value {
    json!({"code": 200, "msg": "SUCCESS", "data": {
        "idToken": format!("fake-id-token{suffix}"),
        "accessToken": format!("fake-access-token{suffix}"),
        "refreshToken": format!("fake-refresh-token{suffix}"),
        "authenticationExpiresIn": 3600,
        "accessKeyId": format!("ASIAFAKEACCESSKEY000{suffix}"),
        "secretKey": format!("fakeSecretKey/0123456789+abcdefFAKE{suffix}"),
        "sessionToken": format!("FAKE/Session+Token=={suffix}"),
        "authorizationExpiresIn": 3600
    }})
}

/// One recorded request.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Header names lowercased.
    pub headers: HashMap<String, String>,
    pub body: Option<Value>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
    pub fn query_pairs(&self) -> HashMap<String, String> {
        let q = self.query.clone().unwrap_or_default();
        url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect()
    }
}

/// What the stub answers.
#[derive(Clone)]
pub enum Reply {
    /// JSON body with a status, after an optional delay.
    Json {
        status: u16,
        body: Value,
        delay: Duration,
    },
    /// A raw body with a content type.
    Raw {
        status: u16,
        content_type: &'static str,
        body: String,
    },
    /// Close the connection without answering.
    Drop,
    /// Computed from the request.
    With(Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>),
}

impl Reply {
    pub fn ok(body: Value) -> Self {
        Reply::Json {
            status: 200,
            body,
            delay: Duration::ZERO,
        }
    }
    pub fn status(status: u16, body: Value) -> Self {
        Reply::Json {
            status,
            body,
            delay: Duration::ZERO,
        }
    }
    pub fn delayed(body: Value, delay: Duration) -> Self {
        Reply::Json {
            status: 200,
            body,
            delay,
        }
    }
    pub fn with(f: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Self {
        Reply::With(Arc::new(f))
    }
}

#[derive(Default)]
struct Route {
    once: VecDeque<Reply>,
    always: Option<Reply>,
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Route>,
    requests: Vec<Recorded>,
}

/// The stub server. Dropping it stops accepting.
pub struct Stub {
    pub base: Url,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn key(method: &str, path: &str) -> String {
    format!("{method} {path}")
}

impl Stub {
    pub async fn start() -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let st = st.clone();
                tokio::spawn(async move {
                    let _ = serve(sock, st).await;
                });
            }
        });
        Stub {
            base: Url::parse(&format!("http://127.0.0.1:{port}/api/v2.1")).unwrap(),
            state,
            task,
        }
    }

    /// The answer for every request to `method path` (after queued one-shot answers).
    pub fn always(&self, method: &str, path: &str, reply: Reply) {
        let mut s = self.state.lock().unwrap();
        s.routes.entry(key(method, path)).or_default().always = Some(reply);
    }

    /// The answer for the next request to `method path` only.
    pub fn once(&self, method: &str, path: &str, reply: Reply) {
        let mut s = self.state.lock().unwrap();
        s.routes
            .entry(key(method, path))
            .or_default()
            .once
            .push_back(reply);
    }

    /// Requests received for `path` (without the base path).
    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        let full = format!("{}{path}", self.base.path());
        let s = self.state.lock().unwrap();
        s.requests
            .iter()
            .filter(|r| r.path == full)
            .cloned()
            .collect()
    }

    pub fn count(&self, path: &str) -> usize {
        self.requests_to(path).len()
    }

    pub fn total(&self) -> usize {
        self.state.lock().unwrap().requests.len()
    }
}

async fn serve(mut sock: TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_owned();
    let target = first.next().unwrap_or("").to_owned();
    let mut headers = HashMap::new();
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < header_end + len {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body_bytes = &buf[header_end..(header_end + len).min(buf.len())];
    let body = serde_json::from_slice(body_bytes).ok();
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (target.clone(), None),
    };
    let rec = Recorded {
        method: method.clone(),
        path: path.clone(),
        query,
        headers,
        body,
    };
    let mut reply = {
        let mut s = state.lock().unwrap();
        s.requests.push(rec.clone());
        // Routes are keyed without the base path.
        let short = path.strip_prefix("/api/v2.1").unwrap_or(&path).to_owned();
        match s.routes.get_mut(&key(&method, &short)) {
            Some(route) => route
                .once
                .pop_front()
                .or_else(|| route.always.clone())
                .unwrap_or_else(|| Reply::status(404, json!({"code": 404, "msg": "NOT_FOUND"}))),
            None => Reply::status(404, json!({"code": 404, "msg": "NOT_FOUND", "data": null})),
        }
    };
    while let Reply::With(f) = reply {
        reply = f(&rec);
    }
    let (status, content_type, body) = match reply {
        Reply::Json {
            status,
            body,
            delay,
        } => {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            (status, "application/json", body.to_string())
        }
        Reply::Raw {
            status,
            content_type,
            body,
        } => (status, content_type, body),
        Reply::Drop => return Ok(()),
        Reply::With(_) => unreachable!("resolved above"),
    };
    let response = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    sock.write_all(response.as_bytes()).await?;
    sock.shutdown().await
}
