//! Where a process's wake-ups come from: context switches per thread (`/proc/<pid>/task/*`),
//! grouped by thread name, so an idle process's wake-ups can be traced to the runtime, timer
//! or I/O thread that takes them.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::procstat::status_kib;

/// Per live thread of `pid`, by thread id: name, voluntary and involuntary context switches.
pub type Threads = BTreeMap<u32, (String, u64, u64)>;

/// Every live thread of `pid`. A thread that exits while it is read is skipped.
pub fn sample(pid: u32) -> Threads {
    let mut out = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        let Some(tid) = task.file_name().to_str().and_then(|t| t.parse().ok()) else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(task.path().join("status")) else {
            continue;
        };
        let name = status
            .lines()
            .find_map(|l| l.strip_prefix("Name:"))
            .map_or_else(String::new, |n| n.trim().to_owned());
        let voluntary = status_kib(&status, "voluntary_ctxt_switches:").unwrap_or(0);
        let involuntary = status_kib(&status, "nonvoluntary_ctxt_switches:").unwrap_or(0);
        out.insert(tid, (name, voluntary, involuntary));
    }
    out
}

/// Per thread name, the wake-ups per minute between two samples (`voluntary + involuntary`),
/// busiest first, as `name ×threads: total (v + i)`. Threads born during the window count
/// from zero.
pub fn breakdown(before: &Threads, after: &Threads, window: Duration) -> String {
    let per_minute = 60.0 / window.as_secs_f64();
    let mut by_name: BTreeMap<&str, (usize, u64, u64)> = BTreeMap::new();
    for (tid, (name, v, i)) in after {
        let (v0, i0) = before.get(tid).map_or((0, 0), |(_, v, i)| (*v, *i));
        let e = by_name.entry(name.as_str()).or_default();
        e.0 += 1;
        e.1 += v.saturating_sub(v0);
        e.2 += i.saturating_sub(i0);
    }
    let mut rows: Vec<_> = by_name.into_iter().collect();
    rows.sort_by_key(|(_, (_, v, i))| std::cmp::Reverse(v + i));
    rows.iter()
        .map(|(name, (n, v, i))| {
            let threads = if *n > 1 {
                format!(" ×{n}")
            } else {
                String::new()
            };
            format!(
                "{name}{threads}: {:.0} ({:.0} + {:.0})",
                (v + i) as f64 * per_minute,
                *v as f64 * per_minute,
                *i as f64 * per_minute
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}
