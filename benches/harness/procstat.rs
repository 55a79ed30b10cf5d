//! Process measurements from `/proc` (Linux): resident memory, CPU time, context switches.

use std::time::Duration;

use crate::error::{BenchError, BenchResult};

/// Linux reports CPU times in clock ticks of `USER_HZ`, which is 100 on every mainstream
/// architecture (the kernel's ABI; not the scheduler's HZ).
const USER_HZ: u64 = 100;

/// One look at a process.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcSample {
    /// Resident set size (`VmRSS`), bytes.
    pub rss: u64,
    /// Peak resident set size (`VmHWM`), bytes.
    pub rss_peak: u64,
    /// User + system CPU time of all threads, dead ones included.
    pub cpu: Duration,
    /// Voluntary + involuntary context switches summed over the live threads: each is one
    /// time a thread stopped running, i.e. roughly one wake-up.
    pub context_switches: u64,
    /// Live threads.
    pub threads: u64,
}

/// Samples process `pid`.
pub fn sample(pid: u32) -> BenchResult<ProcSample> {
    let status = read(&format!("/proc/{pid}/status"))?;
    let stat = read(&format!("/proc/{pid}/stat"))?;
    let mut out = ProcSample {
        rss: status_kib(&status, "VmRSS:")? * 1024,
        rss_peak: status_kib(&status, "VmHWM:")? * 1024,
        cpu: cpu_time(&stat)?,
        threads: status_kib(&status, "Threads:")?,
        context_switches: 0,
    };
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task"))?;
    for task in tasks.flatten() {
        // A thread may exit between listing and reading: skip it.
        if let Ok(s) = std::fs::read_to_string(task.path().join("status")) {
            out.context_switches += context_switches(&s);
        }
    }
    Ok(out)
}

fn read(path: &str) -> BenchResult<String> {
    std::fs::read_to_string(path).map_err(|e| BenchError::Child(format!("{path}: {e}")))
}

/// The number in a `/proc/*/status` line such as `VmRSS:  1234 kB` (or `Threads: 5`).
pub fn status_kib(status: &str, key: &str) -> BenchResult<u64> {
    status
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| BenchError::Child(format!("no {key} in /proc status")))
}

/// `voluntary_ctxt_switches` + `nonvoluntary_ctxt_switches` of one `/proc/*/status` text.
pub fn context_switches(status: &str) -> u64 {
    ["voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:"]
        .iter()
        .filter_map(|k| status_kib(status, k).ok())
        .sum()
}

/// `utime + stime` of a `/proc/*/stat` line. The command name (field 2) may contain spaces
/// and parentheses, so fields are counted from the last `)`.
pub fn cpu_time(stat: &str) -> BenchResult<Duration> {
    let rest = stat
        .rfind(')')
        .map(|i| &stat[i + 1..])
        .ok_or_else(|| BenchError::Child("malformed /proc stat".into()))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, utime field 14, stime field 15.
    let ticks = |i: usize| -> BenchResult<u64> {
        fields
            .get(i)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| BenchError::Child("malformed /proc stat".into()))
    };
    let total = ticks(11)? + ticks(12)?;
    Ok(Duration::from_millis(total * 1000 / USER_HZ))
}
