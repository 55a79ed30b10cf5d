//! Property tests: decoding arbitrary bytes and arbitrary JSON never panics (it returns a
//! value or an error), and the encodings round-trip (temperatures, reservation hex, week
//! and season bitfields, prices).

mod protocol_support;

use nwp500::protocol::{
    classify, decode_price, decode_reservation_hex, encode_price, encode_reservation_hex, Feature,
    HalfCelsius, ReservationEntry, SeasonMonths, Status, UnitSystem, WeekDays,
};
use proptest::prelude::*;
use protocol_support::fixtures;
use serde_json::Value;

const TOPICS: [&str; 8] = [
    "cmd/52/navilink-aabbccddeeff/navien-client-0a1b2c3d/res",
    "cmd/52/navilink-aabbccddeeff/st",
    "cmd/52/navien-client-0a1b2c3d/res/rsv/rd",
    "cmd/52/navien-client-0a1b2c3d/res/rsv-weekly/rd",
    "cmd/52/navien-client-0a1b2c3d/res/tou/rd",
    "cmd/52/navien-client-0a1b2c3d/res/energy-usage-daily-query/rd",
    "cmd/52/navien-client-0a1b2c3d/res/recirc-rsv/rd",
    "cmd/52/navien-client-0a1b2c3d/res/controlfail",
];

fn arb_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        "[0-9a-fA-F]{0,24}".prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    arb_leaf().prop_recursive(4, 64, 8, |inner| {
        let key = prop_oneof![
            Just("response".to_owned()),
            Just("request".to_owned()),
            Just("status".to_owned()),
            Just("feature".to_owned()),
            Just("reservation".to_owned()),
            Just("reservationUse".to_owned()),
            Just("total".to_owned()),
            Just("usage".to_owned()),
            Just("schedule".to_owned()),
            Just("failCode".to_owned()),
            ".{0,8}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// G3 with one key replaced by an arbitrary value or removed.
fn mutated_status() -> impl Strategy<Value = Value> {
    let base = fixtures()["G3_status"].clone();
    let n = base.as_object().map_or(1, |o| o.len());
    (0..n, prop::option::of(arb_leaf())).prop_map(move |(i, v)| {
        let mut st = base.clone();
        let obj = st.as_object_mut().expect("object");
        let key = obj.keys().nth(i).cloned().unwrap_or_default();
        match v {
            Some(v) => {
                obj.insert(key, v);
            }
            None => {
                obj.remove(&key);
            }
        }
        st
    })
}

/// G5 with one key replaced by an arbitrary value or removed.
fn mutated_feature() -> impl Strategy<Value = Value> {
    let base = fixtures()["G5_feature"].clone();
    let n = base.as_object().map_or(1, |o| o.len());
    (0..n, prop::option::of(arb_leaf())).prop_map(move |(i, v)| {
        let mut f = base.clone();
        let obj = f.as_object_mut().expect("object");
        let key = obj.keys().nth(i).cloned().unwrap_or_default();
        match v {
            Some(v) => {
                obj.insert(key, v);
            }
            None => {
                obj.remove(&key);
            }
        }
        f
    })
}

fn arb_entry() -> impl Strategy<Value = ReservationEntry> {
    any::<[u8; 6]>().prop_map(|b| ReservationEntry {
        enable: b[0],
        week: b[1],
        hour: b[2],
        min: b[3],
        mode: b[4],
        param: b[5],
    })
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(topic in 0usize..TOPICS.len(), bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = classify(TOPICS[topic], &bytes);
    }

    #[test]
    fn arbitrary_json_never_panics(topic in 0usize..TOPICS.len(), v in arb_json()) {
        let bytes = serde_json::to_vec(&v).unwrap();
        let _ = classify(TOPICS[topic], &bytes);
        let _ = serde_json::from_value::<Status>(v.clone());
        let _ = serde_json::from_value::<Feature>(v.clone());
        let _ = serde_json::from_value::<nwp500::protocol::ReservationSchedule>(v.clone());
        let _ = serde_json::from_value::<nwp500::protocol::TouSchedule>(v.clone());
        let _ = serde_json::from_value::<nwp500::protocol::EnergyUsage>(v.clone());
        let _ = nwp500::protocol::TouInfo::from_value(v);
    }

    #[test]
    fn mutated_status_decodes_or_errors_and_serialises(st in mutated_status()) {
        let env = serde_json::json!({"response": {"status": st}});
        if let Ok(nwp500::protocol::Incoming::Status(s)) = classify(TOPICS[0], &serde_json::to_vec(&env).unwrap()) {
            for unit in [UnitSystem::Metric, UnitSystem::UsCustomary] {
                prop_assert!(serde_json::to_string(&s.view(unit)).is_ok());
            }
        }
    }

    #[test]
    fn mutated_feature_decodes_or_errors_and_serialises(f in mutated_feature()) {
        if let Ok(f) = serde_json::from_value::<Feature>(f) {
            for unit in [UnitSystem::Metric, UnitSystem::UsCustomary] {
                prop_assert!(serde_json::to_string(&f.view(unit)).is_ok());
            }
        }
    }

    #[test]
    fn half_celsius_round_trips_through_both_units(raw in -2000i64..2000) {
        let t = HalfCelsius(raw);
        for unit in [UnitSystem::Metric, UnitSystem::UsCustomary] {
            prop_assert_eq!(HalfCelsius::encode(t.in_unit(unit), unit).ok(), Some(t));
        }
    }

    #[test]
    fn encoding_any_finite_temperature_never_panics(v in any::<f64>()) {
        let _ = HalfCelsius::encode(v, UnitSystem::Metric);
        let _ = HalfCelsius::encode(v, UnitSystem::UsCustomary);
    }

    #[test]
    fn reservation_hex_round_trips(entries in prop::collection::vec(arb_entry(), 0..12)) {
        let kept: Vec<ReservationEntry> = entries
            .iter()
            .copied()
            .filter(|e| e.as_tuple() != [0; 6])
            .collect();
        let hex = encode_reservation_hex(&entries);
        prop_assert_eq!(decode_reservation_hex(&hex).ok(), Some(kept.clone()));
        prop_assert_eq!(decode_reservation_hex(&hex.to_uppercase()).ok(), Some(kept));
    }

    #[test]
    fn reservation_entries_round_trip_through_json(entries in prop::collection::vec(arb_entry(), 0..12)) {
        let v = serde_json::to_value(&entries).unwrap();
        let back: Vec<ReservationEntry> = serde_json::from_value(v).unwrap();
        prop_assert_eq!(back, entries);
    }

    #[test]
    fn wire_objects_match_their_serde_form(
        e in arb_entry(),
        r in any::<[u8; 7]>(),
        season in any::<u16>(),
        prices in any::<(i64, i64)>(),
        dp in prop::option::of(any::<u8>()),
    ) {
        prop_assert_eq!(e.to_json(), serde_json::to_value(e).unwrap());
        let rec = nwp500::protocol::RecirculationEntry {
            enable: r[0], week: r[1], start_hour: r[2], start_min: r[3],
            end_hour: r[4], end_min: r[5], mode: r[6],
        };
        prop_assert_eq!(rec.to_json(), serde_json::to_value(rec).unwrap());
        let p = nwp500::protocol::TouPeriod {
            season, week: r[0], start_hour: r[1], start_minute: r[2], end_hour: r[3],
            end_minute: r[4], price_min: prices.0, price_max: prices.1, decimal_point: dp,
        };
        prop_assert_eq!(p.to_json(), serde_json::to_value(p).unwrap());
        // And they decode back to the same values.
        prop_assert_eq!(serde_json::from_value::<nwp500::protocol::TouPeriod>(p.to_json()).unwrap(), p);
        prop_assert_eq!(serde_json::from_value::<nwp500::protocol::RecirculationEntry>(rec.to_json()).unwrap(), rec);
    }

    #[test]
    fn week_bitfield_round_trips(bits in any::<u8>()) {
        let w = WeekDays(bits);
        prop_assert_eq!(WeekDays::from_days(&w.days()).0, bits & 0xFE);
    }

    #[test]
    fn season_bitfield_round_trips(bits in any::<u16>()) {
        let s = SeasonMonths(bits);
        let months: Vec<i64> = s.months().into_iter().map(i64::from).collect();
        prop_assert_eq!(SeasonMonths::from_months(&months).ok(), Some(SeasonMonths(bits & 0x0FFF)));
    }

    #[test]
    fn prices_round_trip(v in -999_999_999_999_999i64..999_999_999_999_999, dp in 0u8..=10) {
        let price = decode_price(v, dp).unwrap();
        prop_assert_eq!(encode_price(price, dp).ok(), Some(v));
    }
}
