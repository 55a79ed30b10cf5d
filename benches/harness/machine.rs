//! The machine and the date, printed above the tables.

use std::fmt::Write as _;

use crate::brokers::mosquitto_version;

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn memory_total() -> String {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| format!("{:.1} GiB", kb as f64 / (1024.0 * 1024.0)))
        .unwrap_or_else(|| "unknown".into())
}

fn kernel() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| format!("Linux {}", s.trim()))
        .unwrap_or_else(|_| std::env::consts::OS.into())
}

fn rustc() -> String {
    std::process::Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "rustc (unknown)".into())
}

/// The 1-, 5- and 15-minute load averages (`/proc/loadavg`), to judge how busy the shared
/// machine was while a section ran.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

/// A markdown block naming the command, the machine and the date.
pub fn header(command: &str) -> String {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get().to_string())
        .unwrap_or_else(|_| "?".into());
    let date = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "unknown date".into());
    let mut out = String::new();
    let _ = writeln!(out, "## Run\n");
    let _ = writeln!(out, "- Command: `{command}`");
    let _ = writeln!(out, "- Date: {date}");
    let _ = writeln!(
        out,
        "- Machine: {cores} CPU cores (`nproc`), {}, {} RAM, {}",
        cpu_model(),
        memory_total(),
        kernel()
    );
    let _ = writeln!(
        out,
        "- Toolchain: {}, release profile (`cargo bench`)",
        rustc()
    );
    let _ = writeln!(
        out,
        "- Broker: {} (Debian package) and nwp500-sim's embedded broker",
        mosquitto_version()
    );
    let _ = writeln!(out, "- Load average at start: {}", load_average());
    out
}
