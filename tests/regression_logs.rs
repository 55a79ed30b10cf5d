//! Regression test for the reference client's leaks into logs (L-23,
//! docs/reference-client-bugs.md): every log line of a whole session — sign-in, statuses,
//! a command, a quick recovery, a recovery through a credential renewal, a queued command,
//! disconnect — captured at TRACE from every crate (the simulator's own lines excepted),
//! and checked for secrets, the e-mail, the full MAC and the full client id.
//!
//! One test per binary: the capture is a process-wide subscriber.

#[path = "recovery_support/mod.rs"]
mod support;

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nwp500::connection::PublishOutcome;
use nwp500::protocol::{Command, DhwMode};
use nwp500_sim::SimConfig;
use serde_json::Value;
use support::{connected, Recorder};
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

const WAIT: Duration = Duration::from_secs(15);

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// The token, key and secret values held in the token file now.
fn secrets_in(token_file: &Path) -> Vec<String> {
    let file: Value = serde_json::from_slice(&std::fs::read(token_file).unwrap()).unwrap();
    let mut out: Vec<String> = ["id_token", "access_token", "refresh_token"]
        .iter()
        .filter_map(|k| file[*k].as_str().map(str::to_owned))
        .collect();
    for key in ["access_key_id", "secret_access_key", "session_token"] {
        if let Some(v) = file["aws"][key].as_str() {
            out.push(v.to_owned());
        }
    }
    out.retain(|s| s.len() >= 8);
    out
}

async fn recover(sim: &nwp500_sim::Simulator, rec: &Recorder, cut: impl FnOnce()) {
    let mark = rec.len();
    cut();
    sim.drop_all_connections();
    rec.wait_for(mark, "recovered", 1, WAIT).await;
}

/// L-23: no password, token, AWS key, signed URL, e-mail, full MAC or full client id in
/// any log line of a whole session: none from this crate at any level, none from any crate
/// at INFO and above (see [`exempt`] for the two dependencies' own debug output).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_session_logs_no_secret_email_mac_or_client_id() {
    let logs = Captured::default();
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(logs.clone())
                .with_ansi(false)
                .with_filter(tracing_subscriber::filter::LevelFilter::TRACE)
                .with_filter(filter_fn(|meta| !meta.target().starts_with("nwp500_sim"))),
        )
        .init();

    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("tokens.json");
    let (sim, client, rec) = connected(SimConfig::default(), |b| b.token_file(&token_file)).await;
    let mut secrets = secrets_in(&token_file);
    rec.wait_for(0, "feature", 1, WAIT).await;
    let mac = sim.devices()[0].mac().to_owned();
    let mode = |mode| Command::SetDhwMode { mode };
    client.send(&mac, mode(DhwMode::Electric)).await.unwrap();

    recover(&sim, &rec, || {}).await;
    recover(&sim, &rec, || sim.expire_credentials()).await;
    secrets.extend(secrets_in(&token_file));

    let mark = rec.len();
    sim.set_refuse_connections(true);
    sim.drop_all_connections();
    rec.wait_for(mark, "interrupted", 1, WAIT).await;
    let queued = client.send(&mac, mode(DhwMode::HeatPump)).await.unwrap();
    assert!(matches!(queued, PublishOutcome::Queued { .. }));
    sim.set_refuse_connections(false);
    rec.wait_for(mark, "command_sent", 1, WAIT).await;
    support::disconnect(&client, &rec).await;

    let text = logs.text();
    assert!(text.contains("recovered"), "nothing captured");
    let account = &sim.config().account;
    let mut forbidden = vec![
        account.password.clone(),
        account.email.clone(),
        mac.clone(),
        client.client_id().to_owned(),
        "X-Amz-Signature".to_owned(),
        "X-Amz-Credential".to_owned(),
        "X-Amz-Security-Token".to_owned(),
    ];
    forbidden.extend(secrets);
    let mut leaks = Vec::new();
    for record in records(&text) {
        if exempt(&record) {
            continue;
        }
        for needle in &forbidden {
            if record.text.contains(needle.as_str()) {
                leaks.push(format!(
                    "a {}-character secret in: {}",
                    needle.len(),
                    record.text.replace(needle.as_str(), "<LEAK>")
                ));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
}

/// One formatted log record (its first line starts with the timestamp).
struct Record {
    level: String,
    target: String,
    text: String,
}

fn records(text: &str) -> Vec<Record> {
    let mut out: Vec<Record> = Vec::new();
    for line in text.lines() {
        let starts_record = line.len() > 4 && line[..4].bytes().all(|b| b.is_ascii_digit());
        match out.last_mut() {
            Some(record) if !starts_record => {
                record.text.push('\n');
                record.text.push_str(line);
            }
            _ => {
                let mut words = line.split_whitespace().skip(1);
                out.push(Record {
                    level: words.next().unwrap_or_default().to_owned(),
                    target: words.next().unwrap_or_default().to_owned(),
                    text: line.to_owned(),
                });
            }
        }
    }
    out
}

/// The two dependencies whose own debug output is not ours to redact: rumqttc logs topics
/// (device MACs, the client id) at DEBUG and tungstenite logs the request line (the signed
/// URL) and raw frames at TRACE. At INFO and above every crate must be clean.
fn exempt(record: &Record) -> bool {
    let verbose = matches!(record.level.as_str(), "DEBUG" | "TRACE");
    verbose && (record.target.starts_with("rumqttc") || record.target.starts_with("tungstenite"))
}
