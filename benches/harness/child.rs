//! Measured processes. The harness re-runs its own executable as `harness __child <mode>
//! key=value…` so that memory, CPU time and wake-ups belong to the measured client alone (the
//! brokers and simulators stay in the parent). A child talks over stdin/stdout, one line per
//! message:
//!
//! * out: `READY` (connected, subscribed, and with `await_status=1` every device has reported),
//!   `STATUS <n>` (every `every` statuses), `RECOVERED` (each `Recovered` event), `ALL` (every
//!   device has reported since the last `MARK`), `ERROR <text>`;
//! * in: `MARK` (forget which devices reported).
//!
//! Modes: `client` (the whole nwp500 client, `Client::start`), `bare` (a bare rumqttc
//! subscriber, the baseline) and `pool` (section 5's client, see [`crate::scale`]).

use std::collections::{HashMap, HashSet};
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use nwp500::config::ClientConfig;
use nwp500::events::Event;
use rumqttc::{AsyncClient, Event as MqttEvent, Incoming, QoS, SubscribeFilter};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::bare;
use crate::client::{count_statuses, request_statuses, start_and_wait, Placement};
use crate::error::{within, BenchError, BenchResult};
use crate::payload::{device_filter, device_mac};
use crate::profiles::Profile;

/// First argument that selects child mode.
pub const CHILD_ARG: &str = "__child";

/// Environment variable carrying the account password to a child (not on its command line).
pub(crate) const PASSWORD_ENV: &str = "NWP500_BENCH_PASSWORD";

// ---- parent side -------------------------------------------------------------------------

/// A running child process.
pub struct ChildProc {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    /// Its process id.
    pub pid: u32,
}

impl ChildProc {
    /// Starts `harness __child <args…>`; `password` goes through the environment.
    pub fn spawn(args: &[String], password: Option<&str>) -> BenchResult<Self> {
        let exe = std::env::current_exe()?;
        let mut command = Command::new(exe);
        command
            .arg(CHILD_ARG)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        if let Some(p) = password {
            command.env(PASSWORD_ENV, p);
        }
        let mut child = command.spawn()?;
        let pid = child
            .id()
            .ok_or_else(|| BenchError::Child("child exited at once".into()))?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| BenchError::Child("no stdin".into()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| BenchError::Child("no stdout".into()))?;
        Ok(Self {
            child,
            stdin,
            lines: BufReader::new(stdout).lines(),
            pid,
        })
    }

    /// Reads lines until one starts with `prefix` (returned); fails on `ERROR`, end of
    /// output or timeout.
    pub async fn expect(&mut self, prefix: &str, limit: Duration) -> BenchResult<String> {
        let what = format!("child line {prefix}");
        within(limit, &what, async {
            loop {
                match self.lines.next_line().await? {
                    Some(line) if line.starts_with(prefix) => return Ok(line),
                    Some(line) if line.starts_with("ERROR") => return Err(BenchError::Child(line)),
                    Some(_) => {}
                    None => return Err(BenchError::Child("child ended".into())),
                }
            }
        })
        .await?
    }

    /// Reads the next line (at most `limit`); fails on `ERROR`, end of output or timeout.
    pub async fn line(&mut self, limit: Duration) -> BenchResult<String> {
        within(limit, "a child line", async {
            match self.lines.next_line().await? {
                Some(line) if line.starts_with("ERROR") => Err(BenchError::Child(line)),
                Some(line) => Ok(line),
                None => Err(BenchError::Child("child ended".into())),
            }
        })
        .await?
    }

    /// Sends one line to the child.
    pub async fn send(&mut self, line: &str) -> BenchResult<()> {
        self.stdin.write_all(format!("{line}\n").as_bytes()).await?;
        self.stdin.flush().await?;
        Ok(())
    }

    /// Kills the child and reaps it.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

// ---- child side --------------------------------------------------------------------------

/// Entry point of a child; returns the process exit code.
pub fn main(args: &[String]) -> i32 {
    let opts: HashMap<&str, &str> = args
        .iter()
        .skip(1)
        .filter_map(|a| a.split_once('='))
        .collect();
    let result = match args.first().map(String::as_str) {
        Some("client") => actix::System::new().block_on(run_client(&opts)),
        Some("pool") => actix::System::new().block_on(crate::scale::child_main(&opts)),
        Some("bare") => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(BenchError::Io)
            .and_then(|rt| rt.block_on(run_bare(&opts))),
        other => Err(BenchError::Child(format!("unknown child mode {other:?}"))),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            println!("ERROR {e}");
            1
        }
    }
}

pub(crate) fn get<'a>(opts: &HashMap<&str, &'a str>, key: &str) -> BenchResult<&'a str> {
    opts.get(key)
        .copied()
        .ok_or_else(|| BenchError::Child(format!("missing {key}=")))
}

pub(crate) fn num(opts: &HashMap<&str, &str>, key: &str, default: usize) -> BenchResult<usize> {
    match opts.get(key) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| BenchError::Child(format!("{key}= is not a number"))),
    }
}

/// Which devices reported since the last `MARK`.
#[derive(Default)]
struct Reports {
    total: u64,
    fresh: HashSet<String>,
    all_announced: bool,
}

async fn run_client(opts: &HashMap<&str, &str>) -> BenchResult<()> {
    let devices = num(opts, "devices", 1)?;
    let first = num(opts, "first", 0)?;
    let every = num(opts, "every", 0)? as u64;
    let await_status = num(opts, "await_status", 1)? == 1;
    let profile = Profile::from_id(opts.get("profile").copied().unwrap_or("default"))
        .ok_or_else(|| BenchError::Child("unknown profile".into()))?;
    let mut builder = profile.apply(
        ClientConfig::builder()
            .mqtt_url(get(opts, "mqtt")?)
            .client_id(get(opts, "client_id")?)
            .devices((first..first + devices).map(device_mac)),
    );
    if let Some(rate) = opts.get("publish_rate") {
        let rate = rate
            .parse()
            .map_err(|_| BenchError::Child(format!("publish_rate={rate} is not a number")))?;
        builder = builder.publish_rate(rate);
    }
    if let (Some(api), Some(email), Ok(password)) = (
        opts.get("api"),
        opts.get("email"),
        std::env::var(PASSWORD_ENV),
    ) {
        builder = builder.api_url(*api).credentials(*email, password);
    }
    let limit = Duration::from_secs(num(opts, "ready_secs", 30)? as u64);
    let started = std::time::Instant::now();
    let client = start_and_wait(builder, Placement::Here, limit).await?;
    eprintln!(
        "   child: connected and subscribed after {:?}",
        started.elapsed()
    );

    let reports = Arc::new(Mutex::new(Reports::default()));
    let sink = reports.clone();
    count_statuses(&client, first, devices, move |update| {
        let mut r = sink.lock().unwrap_or_else(PoisonError::into_inner);
        r.total += 1;
        if every > 0 && r.total % every == 0 {
            println!("STATUS {}", r.total);
        }
        r.fresh.insert(update.device.as_str().to_owned());
        if r.fresh.len() == devices && !r.all_announced {
            r.all_announced = true;
            println!("ALL");
        }
    })
    .await?;

    let mut events = client.events();
    tokio::spawn(async move {
        while let Ok(e) = events.recv().await {
            if matches!(e.event, Event::Recovered { .. }) {
                println!("RECOVERED");
            }
        }
    });
    if await_status {
        request_statuses(&client, first, devices).await?;
        // `ALL` is printed by the handler; READY follows it.
        while !reports
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .all_announced
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    println!("READY");

    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = stdin.next_line().await {
        if line.trim() == "MARK" {
            let mut r = reports.lock().unwrap_or_else(PoisonError::into_inner);
            r.fresh.clear();
            r.all_announced = false;
        }
    }
    let _ = client.disconnect().await;
    Ok(())
}

async fn run_bare(opts: &HashMap<&str, &str>) -> BenchResult<()> {
    let port: u16 = get(opts, "port")?
        .parse()
        .map_err(|_| BenchError::Child("port= is not a number".into()))?;
    let devices = num(opts, "devices", 1)?;
    let every = num(opts, "every", 0)? as u64;
    let (client, mut eventloop) = AsyncClient::new(bare::options("bench-bare-child", port), 1024);
    for chunk in (0..devices)
        .map(device_filter)
        .collect::<Vec<_>>()
        .chunks(8)
    {
        client
            .subscribe_many(
                chunk
                    .iter()
                    .map(|f| SubscribeFilter::new(f.clone(), QoS::AtLeastOnce)),
            )
            .await
            .map_err(BenchError::client)?;
    }
    let packets = devices.div_ceil(8);
    let mut subacks = 0;
    let mut received = 0u64;
    loop {
        match eventloop.poll().await {
            Ok(MqttEvent::Incoming(Incoming::SubAck(_))) => {
                subacks += 1;
                if subacks == packets {
                    println!("READY");
                }
            }
            Ok(MqttEvent::Incoming(Incoming::Publish(_))) => {
                received += 1;
                if every > 0 && received % every == 0 {
                    println!("STATUS {received}");
                }
            }
            Ok(_) => {}
            Err(e) => return Err(BenchError::client(e)),
        }
    }
}
