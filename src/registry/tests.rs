//! Unit tests of the subscription registry.

use std::collections::BTreeSet;
use std::time::Instant;

use proptest::prelude::*;

use super::*;

const DEVICE: &str = "cmd/52/navilink-aabbccddeeff/#";

#[test]
fn only_the_first_handler_of_a_filter_needs_a_subscribe() {
    let mut r = SubscriptionRegistry::new();
    let a = r.add(DEVICE, 1).unwrap();
    let b = r.add(DEVICE, 2).unwrap();
    let c = r.add("cmd/52/navien-client-0a1b2c3d/res/#", 3).unwrap();
    assert!(a.needs_subscribe);
    assert!(!b.needs_subscribe);
    assert!(c.needs_subscribe);
    assert_ne!(a.id, b.id);
    assert_eq!(r.len(), 3);
    assert_eq!(r.filter_count(), 2);
    assert_eq!(r.handlers_of(DEVICE), &[a.id, b.id]);
    assert_eq!(r.filter_of(b.id), Some(DEVICE));
    assert_eq!(r.get(c.id), Some(&3));
}

#[test]
fn only_the_last_removal_of_a_filter_needs_an_unsubscribe() {
    let mut r = SubscriptionRegistry::new();
    let a = r.add(DEVICE, ()).unwrap();
    let b = r.add(DEVICE, ()).unwrap();
    assert_eq!(r.remove(a.id), None);
    assert_eq!(
        r.remove(a.id),
        None,
        "second removal of the same id is a no-op"
    );
    assert!(r.contains_filter(DEVICE));
    assert_eq!(r.remove(b.id).as_deref(), Some(DEVICE));
    assert!(!r.contains_filter(DEVICE));
    assert!(r.is_empty());
    assert!(r.matching("cmd/52/navilink-aabbccddeeff/st").is_empty());
    assert!(r.wildcards.is_empty(), "the trie is pruned");
    // Adding again starts over and needs a new SUBSCRIBE; ids are not reused.
    let c = r.add(DEVICE, ()).unwrap();
    assert!(c.needs_subscribe);
    assert!(c.id != a.id && c.id != b.id);
}

#[test]
fn invalid_filters_are_refused_and_leave_no_trace() {
    let mut r = SubscriptionRegistry::new();
    assert_eq!(
        r.add("cmd/52/navilink-+/st", ()).unwrap_err(),
        FilterError::PartialWildcard { level: 2 }
    );
    assert_eq!(
        r.add("cmd/#/st", ()).unwrap_err(),
        FilterError::HashNotLast { level: 1 }
    );
    assert_eq!(r.add("", ()).unwrap_err(), FilterError::Empty);
    assert!(r.is_empty());
    assert_eq!(r.filter_count(), 0);
}

#[test]
fn matching_follows_registration_order_and_overlaps_deliver_each() {
    let mut r = SubscriptionRegistry::new();
    let wide = r.add("cmd/52/+/#", "wide").unwrap();
    let exact = r.add("cmd/52/navilink-aabbccddeeff/st", "exact").unwrap();
    let device = r.add(DEVICE, "device").unwrap();
    let device2 = r.add(DEVICE, "device2").unwrap();
    r.add("evt/52/navilink-aabbccddeeff/#", "events").unwrap();
    let hits = r.matching("cmd/52/navilink-aabbccddeeff/st");
    let ids: Vec<_> = hits.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, [wide.id, exact.id, device.id, device2.id]);
    assert_eq!(
        r.matching_filters("cmd/52/navilink-aabbccddeeff/st"),
        ["cmd/52/+/#", "cmd/52/navilink-aabbccddeeff/st", DEVICE]
    );
    assert_eq!(
        r.matching_filters("evt/52/navilink-aabbccddeeff"),
        ["evt/52/navilink-aabbccddeeff/#"]
    );
    assert!(r.matching("cmd/53/x").is_empty());
    assert!(
        r.matching("cmd/52/+/st").is_empty(),
        "wildcards in a topic name"
    );
}

#[test]
fn dollar_topics_are_not_matched_by_leading_wildcards() {
    let mut r = SubscriptionRegistry::new();
    r.add("#", "all").unwrap();
    r.add("+/shadow", "plus").unwrap();
    r.add("$aws/#", "aws").unwrap();
    let names = |t| r.matching(t).iter().map(|(_, h)| **h).collect::<Vec<_>>();
    assert_eq!(names("$aws/shadow"), ["aws"]);
    assert_eq!(names("x/shadow"), ["all", "plus"]);
}

#[test]
fn replay_yields_every_filter_in_order_in_batches_of_eight() {
    let mut r = SubscriptionRegistry::new();
    let filters: Vec<String> = (0..20)
        .map(|i| format!("cmd/52/navilink-{i:012x}/#"))
        .collect();
    let mut ids = Vec::new();
    for f in &filters {
        ids.push(r.add(f, ()).unwrap().id);
        r.add(f, ()).unwrap();
    }
    let batches = r.replay_batches(MAX_FILTERS_PER_SUBSCRIBE);
    assert_eq!(batches.iter().map(Vec::len).collect::<Vec<_>>(), [8, 8, 4]);
    assert_eq!(
        batches.concat(),
        filters,
        "one entry per filter, registration order"
    );
    // Replaying consumes nothing: a thousand reconnects later it is all still there.
    for _ in 0..1000 {
        r.mark_all_pending();
        assert_eq!(r.replay_batches(8), batches);
    }
    // Only explicit removal removes.
    r.remove_filter(&filters[3]);
    let after = r.replay_batches(8).concat();
    assert_eq!(after.len(), 19);
    assert!(!after.contains(&filters[3]));
    assert_eq!(
        r.replay_batches(0).len(),
        19,
        "batch size below one counts as one"
    );
    assert!(SubscriptionRegistry::<()>::new()
        .replay_batches(8)
        .is_empty());
}

#[test]
fn pending_batches_skip_acknowledged_filters() {
    let mut r = SubscriptionRegistry::new();
    for f in ["a/#", "b/#", "c/#"] {
        r.add(f, ()).unwrap();
    }
    assert_eq!(r.state("a/#"), Some(SubscriptionState::Pending));
    assert!(r.set_state("a/#", SubscriptionState::Acked));
    assert!(r.set_state("b/#", SubscriptionState::Failed));
    assert!(!r.set_state("zzz", SubscriptionState::Acked));
    assert_eq!(
        r.pending_batches(8),
        [vec!["b/#".to_owned(), "c/#".to_owned()]]
    );
    r.mark_all_pending();
    assert_eq!(r.pending_batches(8).concat().len(), 3);
}

#[test]
fn remove_filter_drops_all_its_handlers() {
    let mut r = SubscriptionRegistry::new();
    let a = r.add(DEVICE, ()).unwrap();
    let b = r.add(DEVICE, ()).unwrap();
    let other = r.add("x/y", ()).unwrap();
    assert_eq!(r.remove_filter(DEVICE), [a.id, b.id]);
    assert!(r.remove_filter(DEVICE).is_empty());
    assert_eq!(r.get(a.id), None);
    assert_eq!(r.remove(b.id), None);
    assert_eq!(r.len(), 1);
    assert_eq!(r.get(other.id), Some(&()));
}

/// Prints the dispatch rate with hundreds of filters; correctness is asserted, the
/// rate only reported (timings do not belong in assertions).
#[test]
fn dispatch_rate_with_hundreds_of_filters() {
    let mut r = SubscriptionRegistry::new();
    for i in 0..300 {
        r.add(&format!("cmd/52/navilink-{i:012x}/#"), i).unwrap();
        r.add(&format!("cmd/52/navien-client-{i:08x}/res/rsv/rd"), i)
            .unwrap();
    }
    r.add("cmd/52/+/res/#", -1).unwrap();
    let topics: Vec<String> = (0..300)
        .map(|i| format!("cmd/52/navilink-{i:012x}/navien-client-0a1b2c3d/res"))
        .collect();
    let started = Instant::now();
    let mut delivered = 0usize;
    for n in 0..50_000 {
        delivered += r.matching(&topics[n % topics.len()]).len();
    }
    let elapsed = started.elapsed();
    assert_eq!(delivered, 50_000);
    eprintln!(
        "50000 dispatches over {} filters in {elapsed:?} ({:.0}/s)",
        r.filter_count(),
        50_000.0 / elapsed.as_secs_f64().max(1e-9)
    );
}

fn level() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("a"),
        Just("b"),
        Just(""),
        Just("$s"),
        Just("navilink-1")
    ]
}

fn filter_strategy() -> impl Strategy<Value = String> {
    let levels = (
        prop::collection::vec(prop_oneof![4 => level(), 2 => Just("+")], 1..5),
        any::<bool>(),
    )
        .prop_map(|(levels, hash)| {
            let mut f = levels.join("/");
            if hash {
                f.push_str("/#");
            }
            f
        });
    prop_oneof![9 => levels, 1 => Just("#".to_owned())]
}

fn topic_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(level(), 1..6).prop_map(|levels| levels.join("/"))
}

#[derive(Debug, Clone)]
enum Op {
    Add(String),
    Remove(usize),
}

proptest! {
    #[test]
    fn index_agrees_with_the_reference_matcher(
        ops in prop::collection::vec(
            prop_oneof![3 => filter_strategy().prop_map(Op::Add), 1 => any::<usize>().prop_map(Op::Remove)],
            1..60,
        ),
        topics in prop::collection::vec(topic_strategy(), 1..30),
    ) {
        let mut r = SubscriptionRegistry::new();
        let mut live: Vec<(HandlerId, String)> = Vec::new();
        for op in ops {
            match op {
                Op::Add(f) if TopicFilter::new(&f).is_err() => {
                    prop_assert!(r.add(&f, ()).is_err());
                }
                Op::Add(f) => {
                    let added = r.add(&f, ()).unwrap();
                    let existed = live.iter().any(|(_, g)| *g == f);
                    prop_assert_eq!(added.needs_subscribe, !existed);
                    live.push((added.id, f));
                }
                Op::Remove(i) if !live.is_empty() => {
                    let (id, f) = live.remove(i % live.len());
                    let still_used = live.iter().any(|(_, g)| *g == f);
                    prop_assert_eq!(r.remove(id), (!still_used).then_some(f));
                }
                Op::Remove(_) => {}
            }
        }
        for topic in &topics {
            let expected: BTreeSet<HandlerId> = live
                .iter()
                .filter(|(_, f)| TopicFilter::new(f).unwrap().matches(topic))
                .map(|(id, _)| *id)
                .collect();
            let got: Vec<HandlerId> = r.matching(topic).into_iter().map(|(id, _)| id).collect();
            prop_assert_eq!(got.len(), expected.len());
            prop_assert_eq!(got.into_iter().collect::<BTreeSet<_>>(), expected);
        }
    }
}
