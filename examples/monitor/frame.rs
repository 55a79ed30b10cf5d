//! The terminal view: the whole state drawn as one screen, redrawn in place.

use std::fmt::Write as _;

use crate::input::COMMANDS;
use crate::text;
use crate::view::{self, DeviceRow, Link, Progress, View};

/// ANSI: cursor home, clear screen. Used only when stdout is a terminal.
pub const CLEAR: &str = "\x1b[H\x1b[2J";

/// Draws `view` (plain text, lines ending in `\n`; times in UTC).
pub fn render(view: &View) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", view.title);
    if let Some(subtitle) = &view.subtitle {
        let _ = writeln!(out, "{subtitle}");
    }
    let _ = writeln!(out, "Connection  {}", link(&view.link));
    let outages = match (view.outages, view.last_outage) {
        (0, _) => "no outage so far".to_owned(),
        (n, Some(last)) => format!(
            "{n} outage{} recovered, the last one lasted {}",
            if n == 1 { "" } else { "s" },
            text::duration(last)
        ),
        (n, None) => format!("{n} outages recovered"),
    };
    let _ = writeln!(out, "            {outages}");
    let (connections, up) = view.pool_counts();
    if connections > 1 {
        let _ = writeln!(out, "Pool        {connections} connections, {up} up");
    }
    if view.handovers > 0 {
        let n = view.handovers;
        let _ = writeln!(
            out,
            "            {n} planned handover{} before the connection lifetime ended, no outage",
            if n == 1 { "" } else { "s" }
        );
    }
    for device in &view.devices {
        out.push('\n');
        device_panel(&mut out, view, device);
    }
    out.push('\n');
    if view.pending.is_empty() {
        let _ = writeln!(out, "Queued commands: none");
    } else {
        let list: Vec<String> = view
            .pending
            .iter()
            .map(|(mac, code)| format!("{} → {}", text::command(*code), view.device_name(mac)))
            .collect();
        let _ = writeln!(
            out,
            "Queued commands (sent after reconnection): {}",
            list.join(", ")
        );
    }
    if !view.recent.is_empty() {
        let _ = writeln!(out, "Recent (UTC):");
        for line in &view.recent {
            let _ = writeln!(out, "  {line}");
        }
    }
    let _ = writeln!(out, "Commands: {COMMANDS}");
    out
}

fn link(link: &Link) -> String {
    match link {
        Link::Starting => "starting…".to_owned(),
        Link::Connecting { attempt: 1 } => "connecting…".to_owned(),
        Link::Connecting { attempt } => format!("connecting… (attempt {attempt})"),
        Link::Online {
            since,
            client_id,
            restoring,
        } => {
            let state = if *restoring {
                "reconnected, restoring subscriptions and queued commands"
            } else {
                "connected"
            };
            format!("● {state} since {} UTC as {client_id}", text::clock(*since))
        }
        Link::Offline {
            since,
            error,
            progress,
        } => {
            let doing = match progress {
                Progress::Idle => "reconnecting".to_owned(),
                Progress::Waiting { attempt, kind, at } => format!(
                    "attempt {attempt} ({}) at {} UTC",
                    kind.as_str(),
                    text::clock(*at)
                ),
                Progress::Connecting { attempt, .. } => {
                    format!("attempt {attempt} connecting now")
                }
            };
            format!(
                "○ OFFLINE since {} UTC ({error}) · {doing}",
                text::clock(*since)
            )
        }
        Link::Failed { attempts, reason } => format!(
            "✖ gave up after {attempts} attempts: {}",
            view::failure(*reason)
        ),
        Link::Disconnected => "disconnected".to_owned(),
    }
}

fn device_panel(out: &mut String, view: &View, device: &DeviceRow) {
    let updated = match device.updated {
        Some(t) => format!("last report {} UTC", text::clock(t)),
        None => "waiting for the first report".to_owned(),
    };
    let _ = writeln!(
        out,
        "{} ({}) · {updated}",
        view.device_name(&device.mac),
        text::short_mac(&device.mac)
    );
    let Some(s) = &device.status else {
        return;
    };
    let charge = s
        .charge_percent
        .map_or_else(|| "?".to_owned(), text::number);
    let _ = writeln!(
        out,
        "  Water     {}   setpoint {}   tank charge {charge}%",
        view::temperature(s.water, view.unit),
        view::temperature(s.setpoint, view.unit)
    );
    let mode = if s.powered_off {
        "switched off".to_owned()
    } else {
        format!("{} (now: {})", s.mode, s.activity)
    };
    let _ = writeln!(out, "  Mode      {mode}");
    let power = s
        .power_w
        .map_or_else(String::new, |w| format!(" · {} W", text::number(w)));
    let _ = writeln!(out, "  Heating   {}{power}", s.heating);
    if let Some(flow) = s.draw {
        let _ = writeln!(out, "  Water use {}", view::draw(flow, view.unit));
    }
    if let Some((days, elapsed)) = s.vacation {
        let _ = writeln!(out, "  Vacation  day {elapsed} of {days}");
    }
    let _ = writeln!(
        out,
        "  Errors    {}",
        s.error
            .as_deref()
            .map_or("none".to_owned(), |e| format!("⚠ {e}"))
    );
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use nwp500::events::{Event, FailureReason};
    use nwp500::AttemptKind;
    use nwp500::UnitSystem;
    use serde_json::json;

    use super::*;

    fn at(ms: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
    }

    #[test]
    fn a_connected_device_with_a_report() {
        let mut v = View::new(
            "nwp500 monitor".into(),
            UnitSystem::Metric,
            vec![("aabbccddeeff".into(), "Garage".into())],
        );
        let before = render(&v);
        assert!(before.starts_with("nwp500 monitor\n"));
        assert!(before.contains("Garage (…eeff) · waiting for the first report"));
        v.apply(
            &Event::Connected {
                client_id: "c1".into(),
                session_present: false,
                attempt: 1,
            }
            .at(at(0)),
        );
        v.apply(
            &Event::Status {
                device: nwp500::MacAddress::new("aabbccddeeff").unwrap(),
                // 48.5 °C, setpoint 50 °C, Energy Saver, standing by, charged.
                status: crate::test_reports::status(
                    json!({"dhwTemperature": 97, "dhwTemperatureSetting": 100,
                           "dhwOperationSetting": 3, "dhwChargePer": 100}),
                    UnitSystem::Metric,
                ),
            }
            .at(at(1_000)),
        );
        let screen = render(&v);
        assert!(
            screen.contains("● connected since 00:00:00 UTC as c1"),
            "{screen}"
        );
        assert!(
            screen.contains("Water     48.5 °C   setpoint 50 °C   tank charge 100%"),
            "{screen}"
        );
        assert!(
            screen.contains("Mode      Energy Saver (now: Standby)"),
            "{screen}"
        );
        assert!(screen.contains("Heating   idle · 0 W"), "{screen}");
        assert!(screen.contains("Errors    none"), "{screen}");
        assert!(!screen.contains("aabbccddeeff"), "no full MAC on screen");
    }

    #[test]
    fn an_outage_with_reconnect_progress_and_a_queued_command() {
        let mut v = View::new(
            "t".into(),
            UnitSystem::UsCustomary,
            vec![("aabbccddeeff".into(), "Garage".into())],
        );
        v.apply(
            &Event::Interrupted {
                error: "connection reset".into(),
            }
            .at(at(60_000)),
        );
        v.apply(
            &Event::ReconnectScheduled {
                attempt: 2,
                kind: AttemptKind::Deep,
                delay: Duration::from_secs(4),
                class: nwp500::FailureKind::Unreachable,
                reason: "connect: network error: connection refused".into(),
            }
            .at(at(61_000)),
        );
        v.apply(
            &Event::CommandQueued {
                device: nwp500::MacAddress::new("aabbccddeeff").unwrap(),
                command: 33_554_433,
                queue_len: 1,
            }
            .at(at(61_500)),
        );
        let screen = render(&v);
        assert!(
            screen.contains("○ OFFLINE since 00:01:00 UTC (connection reset) · attempt 2 (deep) at 00:01:05 UTC"),
            "{screen}"
        );
        assert!(
            screen.contains("Queued commands (sent after reconnection): Power off → Garage"),
            "{screen}"
        );
        assert!(
            screen.contains("00:01:00 connection lost: connection reset"),
            "{screen}"
        );
        v.apply(
            &Event::ReconnectionFailed {
                attempts: 5,
                reason: FailureReason::InvalidCredentials,
            }
            .at(at(70_000)),
        );
        assert!(render(&v)
            .contains("✖ gave up after 5 attempts: the account e-mail or password was refused"));
    }
}
