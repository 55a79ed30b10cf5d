//! Unit tests of the benchmark harness's pure parts (order statistics, `/proc` parsing, the
//! status payload generator, `--only` selection). The harness itself is a `harness = false`
//! bench target, whose own `#[cfg(test)]` code would never run, so its modules are included
//! here.

#[path = "../benches/harness/error.rs"]
#[allow(dead_code)]
mod error;
#[path = "../benches/harness/payload.rs"]
#[allow(dead_code)]
mod payload;
#[path = "../benches/harness/procstat.rs"]
#[allow(dead_code)]
mod procstat;
#[path = "../benches/harness/select.rs"]
mod select;
#[path = "../benches/harness/stats.rs"]
#[allow(dead_code)]
mod stats;

use std::collections::HashSet;
use std::time::Duration;

use nwp500::protocol::{classify, Incoming};
use payload::{device_filter, response_topic, StatusPool};
use stats::{fmt_duration, fmt_rate, Summary};

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

#[test]
fn summary_uses_nearest_rank_percentiles() {
    let samples: Vec<_> = (1..=20).rev().map(ms).collect();
    let s = Summary::of(&samples).unwrap();
    assert_eq!(
        (s.min, s.median, s.p95, s.max),
        (ms(1), ms(10), ms(19), ms(20))
    );
    let one = Summary::of(&[ms(7)]).unwrap();
    assert_eq!(
        (one.min, one.median, one.p95, one.max),
        (ms(7), ms(7), ms(7), ms(7))
    );
    assert!(Summary::of(&[]).is_none());
}

#[test]
fn numbers_are_formatted_for_tables() {
    assert_eq!(fmt_duration(Duration::from_micros(250)), "250 µs");
    assert_eq!(fmt_duration(ms(12)), "12.0 ms");
    assert_eq!(fmt_duration(ms(2500)), "2.50 s");
    assert_eq!(fmt_rate(1_234_567.4), "1 234 567");
    assert_eq!(fmt_rate(999.0), "999");
    assert_eq!(stats::fmt_mib(3 * 1024 * 1024 / 2), "1.5 MiB");
}

#[test]
fn proc_stat_cpu_time_survives_spaces_and_parentheses_in_the_name() {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
    let stat = "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0";
    assert_eq!(procstat::cpu_time(stat).unwrap(), Duration::from_secs(3));
    assert!(procstat::cpu_time("garbage").is_err());
}

#[test]
fn proc_status_fields_are_read() {
    let status = "Name:\tharness\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\nThreads:\t5\n\
                  voluntary_ctxt_switches:\t120\nnonvoluntary_ctxt_switches:\t7\n";
    assert_eq!(procstat::status_kib(status, "VmRSS:").unwrap(), 10240);
    assert_eq!(procstat::status_kib(status, "Threads:").unwrap(), 5);
    assert_eq!(procstat::context_switches(status), 127);
    assert!(procstat::status_kib(status, "VmSwap:").is_err());
}

#[test]
fn this_process_can_be_sampled() {
    let s = procstat::sample(std::process::id()).unwrap();
    assert!(s.rss > 0 && s.rss_peak >= s.rss && s.threads >= 1, "{s:?}");
}

#[test]
fn status_pool_messages_are_varied_g3_answers_that_decode_as_status() {
    let pool = StatusPool::new(3, 8, 42).unwrap();
    assert_eq!(pool.devices(), 3);
    let mut payloads = HashSet::new();
    for i in 0..24 {
        let (topic, payload) = pool.message(i);
        assert_eq!(topic, response_topic(i % 3));
        match classify(topic, &payload) {
            Ok(Incoming::Status(status)) => assert_eq!(status.command, 16_777_219),
            other => panic!("message {i} did not decode as a status: {other:?}"),
        }
        payloads.insert(payload);
    }
    assert_eq!(payloads.len(), 24, "every message of a round differs");
    assert!(pool.mean_payload_len() > 2_000);
    // Deterministic for a seed.
    let again = StatusPool::new(3, 8, 42).unwrap();
    assert_eq!(again.message(5).1, pool.message(5).1);
}

#[test]
fn device_filters_match_their_response_topics_only() {
    let mut registry = nwp500::registry::SubscriptionRegistry::new();
    for d in 0..50 {
        registry.add(&device_filter(d), d).unwrap();
    }
    for d in 0..50 {
        let hits = registry.matching(&response_topic(d));
        assert_eq!(hits.iter().map(|(_, h)| **h).collect::<Vec<_>>(), [d]);
    }
}

#[test]
fn only_selects_whole_segments() {
    use select::selects;
    assert!(selects("embedded/1", "embedded/1"));
    assert!(!selects("embedded/1", "embedded/100"));
    assert!(selects("embedded", "embedded/100"));
    assert!(selects("refuse/", "refuse/60s/default"));
    assert!(!selects("refuse/60s/default", "refuse/60s/default-tenth"));
    assert!(!selects("embed", "embedded/1"));
}
