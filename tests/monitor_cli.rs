//! The `monitor` example as a user runs it: a child process pointed (by flags) at a
//! simulator started in this test process, read through its `--json` lines.
//!
//! How the example binary is found: see `monitor_support` (it is built with
//! `cargo build --example monitor` into this test's target directory).

mod monitor_support;

use std::time::{Duration, SystemTime};

use nwp500_sim::{AwsQuotas, SimConfig, Simulator};
use serde_json::Value;

use monitor_support::{fast_flags, sim_flags, Monitor};

/// Generous: the machine running the tests may be busy.
const WAIT: Duration = Duration::from_secs(30);

/// `dhw-mode` (operation mode) command code.
const DHW_MODE: u64 = 33_554_437;

fn simulator() -> Simulator {
    Simulator::start(SimConfig {
        random_draws: false,
        quotas: AwsQuotas {
            // The monitor reconnects 50 ms apart (FAST_LINK_FLAGS): this quota alone is lifted.
            min_connect_interval_per_client_id: None,
            ..AwsQuotas::default()
        },
        ..SimConfig::default()
    })
    .unwrap()
}

fn args(sim: &Simulator, extra: &[&str]) -> Vec<String> {
    let mut args = sim_flags(sim);
    args.extend(fast_flags());
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args
}

fn parse_ts(event: &Value) -> SystemTime {
    nwp500::events::parse_timestamp(event["ts"].as_str().unwrap()).unwrap()
}

/// Drop every connection while connections are refused: the monitor reports the
/// interruption, queues a command typed meanwhile, recovers exactly once, delivers the
/// command to the device after recovery, polls again, and quits cleanly on `quit`.
#[test]
fn recovers_from_dropped_connections_and_delivers_a_command_queued_meanwhile() {
    let sim = simulator();
    let device = sim.devices()[0].clone();
    let mut monitor = Monitor::start(&args(&sim, &["--client-id", "monitor-cli-recovery"]), true);

    monitor.wait_for("connected", WAIT);
    let first = monitor.wait_for("status", WAIT);
    assert_eq!(first["device"], device.mac());
    assert!(first["status"]["dhwTemperature"].is_number(), "{first}");
    // The feature report makes gated commands (like `mode`) sendable offline.
    monitor
        .wait_until(WAIT, |v| v["event"] == "feature")
        .expect("a feature report");

    // A line that is not a command gets a message on stderr and changes nothing.
    monitor.type_line("dance");

    sim.set_refuse_connections(true);
    assert!(sim.drop_all_connections() >= 1);
    monitor.wait_for("interrupted", WAIT);
    monitor.type_line("mode electric");
    let queued = monitor.wait_for("command_queued", WAIT);
    assert_eq!(queued["device"], device.mac());
    assert_eq!(queued["command"], DHW_MODE);
    // Let a few refused attempts happen.
    monitor
        .wait_until(WAIT, |v| {
            v["event"] == "reconnect_scheduled" && v["attempt"].as_u64() >= Some(2)
        })
        .expect("retries while connections are refused");
    assert_eq!(device.command_count(DHW_MODE), 0, "sent while offline");
    let refusal_end = SystemTime::now();
    sim.set_refuse_connections(false);

    let recovered = monitor.wait_for("recovered", WAIT);
    assert!(recovered["outage_ms"].as_u64().is_some(), "{recovered}");
    let recovered_at = monitor.seen.len() - 1;
    monitor.wait_for("status", WAIT);
    // The queued command was flushed after the recovery... (sent events may come
    // before `recovered`: the queue is flushed before the recovery is announced)
    let sent = monitor
        .seen
        .iter()
        .position(|v| v["event"] == "command_sent" && v["command"] == DHW_MODE)
        .or_else(|| {
            monitor
                .wait_until(WAIT, |v| {
                    v["event"] == "command_sent" && v["command"] == DHW_MODE
                })
                .map(|_| monitor.seen.len() - 1)
        })
        .expect("the queued command is sent");
    let interrupted = monitor.position("interrupted", 0).unwrap();
    assert!(sent > interrupted, "{:?}", monitor.names());
    // ...and reached the simulated device exactly once, after the refusal period.
    let deadline = std::time::Instant::now() + WAIT;
    while device.command_count(DHW_MODE) == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let received = device.commands_with_code(DHW_MODE);
    assert_eq!(received.len(), 1, "{received:?}");
    assert!(received[0].received_at >= refusal_end);
    assert_eq!(received[0].mode(), Some("dhw-mode"));
    assert_eq!(received[0].param(), Some(&vec![serde_json::json!(2)]));

    monitor.type_line("quit");
    monitor.wait_for("disconnected", WAIT);
    let status = monitor.wait_exit(WAIT);
    assert_eq!(status.code(), Some(0));

    assert_eq!(monitor.count("recovered"), 1, "{:?}", monitor.names());
    assert!(recovered_at > interrupted);
    assert!(monitor.count("status") >= 2);
    assert_eq!(
        monitor.names().last().map(String::as_str),
        Some("disconnected")
    );
    assert!(monitor.bad_lines().is_empty(), "{:?}", monitor.bad_lines());
    let stderr = monitor.stderr().join("\n");
    assert!(stderr.contains("unknown command `dance`"), "{stderr}");
    // Timestamps are RFC 3339 UTC with milliseconds and never go backwards by much.
    for event in &monitor.seen {
        let ts = event["ts"].as_str().unwrap();
        assert!(ts.ends_with('Z') && ts.len() == 24, "{ts}");
        parse_ts(event);
    }
    assert!(sim.max_concurrent_connections("monitor-cli-recovery") <= 1);
}

/// `--duration` ends the run with a clean disconnect and exit code 0, and a closed
/// stdin (`/dev/null`) does not end it earlier; the output runs from `connecting`
/// through `connected` and status reports to `disconnected`.
#[test]
fn duration_ends_the_run_and_closed_stdin_does_not() {
    let sim = simulator();
    let started = std::time::Instant::now();
    let mut monitor = Monitor::start(&args(&sim, &["--duration", "2"]), false);
    let status = monitor.wait_exit(WAIT);
    assert_eq!(status.code(), Some(0));
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let names = monitor.names();
    assert_eq!(
        names.first().map(String::as_str),
        Some("connecting"),
        "{names:?}"
    );
    assert_eq!(monitor.count("connected"), 1, "{names:?}");
    assert!(monitor.count("status") >= 2, "{names:?}");
    assert_eq!(names.last().map(String::as_str), Some("disconnected"));
    assert!(monitor.bad_lines().is_empty(), "{:?}", monitor.bad_lines());
}

/// The attempt limit ends the run with `reconnection_failed` and exit code 2.
#[test]
fn attempt_limit_exits_with_code_2() {
    let sim = simulator();
    let mut monitor = Monitor::start(&args(&sim, &["--max-reconnect-attempts", "2"]), true);
    monitor.wait_for("connected", WAIT);
    sim.set_refuse_connections(true);
    sim.drop_all_connections();
    let failed = monitor.wait_for("reconnection_failed", WAIT);
    assert_eq!(failed["reason"], "attempt_limit");
    let status = monitor.wait_exit(WAIT);
    assert_eq!(status.code(), Some(2));
}

/// A refused password exits with code 2 and says why.
#[test]
fn refused_password_exits_with_code_2() {
    let sim = simulator();
    let mut flags = args(&sim, &[]);
    let password = flags.iter().position(|a| a == "--password").unwrap() + 1;
    flags[password] = "not-the-password".into();
    let mut monitor = Monitor::start(&flags, false);
    let status = monitor.wait_exit(WAIT);
    assert_eq!(status.code(), Some(2));
    let stderr = monitor.stderr().join("\n");
    assert!(stderr.contains("refused"), "{stderr}");
    assert!(!stderr.contains("not-the-password"), "{stderr}");
}

/// SIGTERM is a clean stop: `disconnected`, exit code 0.
#[cfg(unix)]
#[test]
fn sigterm_disconnects_cleanly() {
    let sim = simulator();
    let mut monitor = Monitor::start(&args(&sim, &[]), true);
    monitor.wait_for("status", WAIT);
    terminate(&mut monitor);
}

/// Invalid arguments exit with code 64 and a message; `--help` exits with 0.
#[test]
fn invalid_arguments_exit_64_and_help_exits_0() {
    let binary = monitor_support::monitor_binary();
    let run = |args: &[&str]| {
        std::process::Command::new(&binary)
            .args(args)
            .env_remove("NAVIEN_EMAIL")
            .env_remove("NAVIEN_PASSWORD")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    for bad in [
        &["--poll-interval", "soon"][..],
        &["--no-such-flag"],
        &["--email", "user@example.com"],
        &["--keep-alive", "0.5"],
        &["--max-reconnect-attempts", "0"],
    ] {
        let out = run(bad);
        assert_eq!(out.status.code(), Some(64), "{bad:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("error"), "{bad:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{bad:?}");
    }
    let help = run(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(
        text.contains("--poll-interval") && text.contains("[default: 60]"),
        "{text}"
    );
}

/// Started while the cloud is unreachable, the monitor does not exit: it reports its
/// scheduled retries (class `credentials`) and connects once the cloud comes up on the
/// URLs it was given, then reports the device list, `recovered` and statuses.
#[test]
fn a_monitor_started_during_an_outage_waits_for_the_cloud() {
    let free = || {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let (rest_port, ws_port) = (free(), free());
    let account = SimConfig::default().account;
    let mut flags: Vec<String> = vec![
        "--email".into(),
        account.email.clone(),
        "--password".into(),
        account.password.clone(),
        "--api-url".into(),
        format!("http://127.0.0.1:{rest_port}/api/v2.1"),
        "--mqtt-url".into(),
        format!("ws://127.0.0.1:{ws_port}/mqtt"),
    ];
    flags.extend(fast_flags());
    let mut monitor = Monitor::start(&flags, false);
    let scheduled = monitor.wait_for("reconnect_scheduled", WAIT);
    assert_eq!(scheduled["class"], "credentials", "{scheduled}");
    assert!(scheduled["reason"].as_str().is_some_and(|r| !r.is_empty()));
    // It keeps trying, and does not exit.
    monitor.wait_for("reconnect_scheduled", WAIT);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(monitor.count("connected"), 0);

    let sim = Simulator::start(SimConfig {
        rest_port,
        ws_port,
        random_draws: false,
        ..SimConfig::default()
    })
    .unwrap();
    let discovered = monitor.wait_for("devices_discovered", WAIT);
    assert_eq!(discovered["devices"][0], sim.devices()[0].mac());
    monitor.wait_for("recovered", WAIT);
    let status = monitor.wait_for("status", WAIT);
    assert_eq!(status["device"], sim.devices()[0].mac());
    if cfg!(unix) {
        terminate(&mut monitor);
    }
}

/// Stops the monitor with SIGTERM and expects a clean stop: `disconnected`, exit code 0.
fn terminate(monitor: &mut Monitor) {
    let status = std::process::Command::new("kill")
        .args(["-TERM", &monitor.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    monitor.wait_for("disconnected", WAIT);
    assert_eq!(monitor.wait_exit(WAIT).code(), Some(0));
}

/// `--connection-lifetime` and `--handover-margin` (fractions allowed): against a cloud
/// that cuts every connection after 3 s, the monitor hands over before each cut and
/// prints `handed_over` events; no connection is lost.
#[test]
fn connections_are_handed_over_before_the_lifetime_cut() {
    let sim = Simulator::start(SimConfig {
        random_draws: false,
        max_connection_lifetime: Duration::from_secs(3),
        ..SimConfig::default()
    })
    .unwrap();
    let mut monitor = Monitor::start(
        &args(
            &sim,
            &[
                "--connection-lifetime",
                "3",
                "--handover-margin",
                "1.2",
                "--duration",
                "8",
            ],
        ),
        false,
    );
    let status = monitor.wait_exit(WAIT);
    assert_eq!(status.code(), Some(0));
    let names = monitor.names();
    assert!(monitor.count("handed_over") >= 2, "{names:?}");
    assert_eq!(monitor.count("interrupted"), 0, "{names:?}");
    assert_eq!(monitor.count("recovered"), 0, "{names:?}");
    let handover = monitor
        .seen
        .iter()
        .find(|e| e["event"] == "handed_over")
        .unwrap();
    assert_eq!(handover["reason"], "lifetime");
    assert!(handover["took_ms"].as_u64().is_some(), "{handover}");
    assert!(handover["client_id"].as_str().unwrap().ends_with("-h"));
    assert!(monitor.bad_lines().is_empty(), "{:?}", monitor.bad_lines());
}

/// Ten devices with a quota of five subscriptions per connection: the monitor spreads
/// them over three connections, says so in its events, and reports every device.
#[test]
fn many_devices_are_spread_over_a_pool_of_connections() {
    let sim = Simulator::start(SimConfig {
        random_draws: false,
        quotas: AwsQuotas {
            min_connect_interval_per_client_id: None,
            max_subscriptions_per_connection: Some(5),
            ..AwsQuotas::default()
        },
        ..SimConfig::with_devices(10)
    })
    .unwrap();
    let mut monitor = Monitor::start(
        &args(
            &sim,
            &["--subscriptions-per-connection", "5", "--duration", "4"],
        ),
        false,
    );
    let status = monitor.wait_exit(WAIT);
    assert_eq!(status.code(), Some(0));
    let connected: std::collections::BTreeSet<u64> = monitor
        .seen
        .iter()
        .filter(|e| e["event"] == "connected")
        .filter_map(|e| e["connection"].as_u64())
        .collect();
    assert_eq!(connected, [0, 1, 2].into_iter().collect());
    let reporting: std::collections::BTreeSet<&str> = monitor
        .seen
        .iter()
        .filter(|e| e["event"] == "status")
        .filter_map(|e| e["device"].as_str())
        .collect();
    assert_eq!(reporting.len(), 10, "{reporting:?}");
    let refused: u32 = sim
        .connection_log()
        .iter()
        .map(|r| r.subscriptions_refused)
        .sum();
    assert_eq!(refused, 0);
    assert!(monitor.bad_lines().is_empty(), "{:?}", monitor.bad_lines());
}
