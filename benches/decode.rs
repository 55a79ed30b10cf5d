//! Pure-CPU micro-benchmarks (criterion): decoding a status answer and routing a topic through
//! the subscription registry. `cargo bench --bench decode`.

#[path = "harness/payload.rs"]
#[allow(dead_code)]
mod payload;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use nwp500::protocol::{classify, Incoming};
use nwp500::registry::SubscriptionRegistry;
use payload::{device_filter, response_topic, StatusPool};

fn status_decode(c: &mut Criterion) {
    let Ok(pool) = StatusPool::new(4, 64, 7) else {
        return;
    };
    let messages: Vec<_> = (0..256).map(|i| pool.message(i)).collect();
    let mut group = c.benchmark_group("status");
    group.throughput(Throughput::Elements(1));
    let mut i = 0;
    group.bench_function("classify_g3_varied", |b| {
        b.iter(|| {
            let (topic, bytes) = &messages[i % messages.len()];
            i += 1;
            let decoded = classify(black_box(topic), black_box(bytes));
            assert!(matches!(decoded, Ok(Incoming::Status(_))));
            decoded
        })
    });
    group.bench_function("json_value_parse_only", |b| {
        b.iter_batched(
            || messages[i % messages.len()].1.clone(),
            |bytes| serde_json::from_slice::<serde_json::Value>(&bytes).is_ok(),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn registry_matching(c: &mut Criterion) {
    let mut group = c.benchmark_group("registry");
    for devices in [1usize, 100, 1_000] {
        let mut registry = SubscriptionRegistry::new();
        for d in 0..devices {
            let _ = registry.add(&device_filter(d), d);
        }
        let topics: Vec<String> = (0..devices).map(response_topic).collect();
        let mut i = 0;
        group.bench_function(format!("match_response_topic/{devices}_devices"), |b| {
            b.iter(|| {
                let hits = registry.matching(black_box(&topics[i % topics.len()]));
                i += 1;
                assert_eq!(hits.len(), 1);
                hits.len()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, status_decode, registry_matching);
criterion_main!(benches);
