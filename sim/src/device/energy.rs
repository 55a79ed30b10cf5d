//! Energy-usage answers (docs/protocol.md §10): plausible daily figures, stable across queries.

use serde_json::{json, Map, Value};
use time::{Date, Month, OffsetDateTime};

/// Daily figures for one day: `(hpUsage Wh, heUsage Wh, hpTime h, heTime h)`.
fn day_usage(mac: &str, year: i32, month: u8, day: u8) -> (u64, u64, u64, u64) {
    // A small deterministic hash so the same day always reports the same numbers.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in mac.bytes().chain(year.to_le_bytes()).chain([month, day]) {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    let hp_usage = 800 + h % 1700;
    let he_usage = if (h >> 20) % 5 == 0 {
        200 + (h >> 24) % 1300
    } else {
        0
    };
    // Heat pump ≈ 450 W, elements 3.75 kW; report whole hours, at least 1 when anything ran.
    let hp_time = (hp_usage + 225) / 450;
    let he_time = if he_usage > 0 {
        he_usage.div_ceil(3750)
    } else {
        0
    };
    (hp_usage, he_usage, hp_time.max(1), he_time)
}

fn counters(hp_usage: u64, he_usage: u64, hp_time: u64, he_time: u64) -> Value {
    json!({"hpUsage": hp_usage, "heUsage": he_usage, "hpTime": hp_time, "heTime": he_time})
}

/// The `response` body for an energy query of `months` in `year`, as of `today`.
///
/// Days after `today` are not reported (a month in the future has an empty `data` list);
/// months outside 1–12 are skipped.
pub(crate) fn answer(mac: &str, year: i64, months: &[i64], today: Date) -> Map<String, Value> {
    let mut total = (0u64, 0u64, 0u64, 0u64);
    let mut usage = Vec::new();
    for &m in months {
        let (Ok(month_num), Ok(year_i32)) = (u8::try_from(m), i32::try_from(year)) else {
            continue;
        };
        let Ok(month) = Month::try_from(month_num) else {
            continue;
        };
        let days_in_month = time::util::days_in_month(month, year_i32);
        let mut data = Vec::new();
        for day in 1..=days_in_month {
            let Ok(date) = Date::from_calendar_date(year_i32, month, day) else {
                continue;
            };
            if date > today {
                break;
            }
            let (hp, he, hpt, het) = day_usage(mac, year_i32, month_num, day);
            total = (total.0 + hp, total.1 + he, total.2 + hpt, total.3 + het);
            data.push(counters(hp, he, hpt, het));
        }
        usage.push(json!({"year": year, "month": m, "data": data}));
    }
    let mut response = Map::new();
    response.insert("typeOfUsage".into(), json!(1));
    response.insert("total".into(), counters(total.0, total.1, total.2, total.3));
    response.insert("usage".into(), Value::Array(usage));
    response
}

/// Today's date in UTC.
pub(crate) fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn past_month_has_every_day_and_totals_add_up() {
        let a = answer("aabbccddeeff", 2025, &[9], date!(2026 - 01 - 02));
        let usage = a["usage"].as_array().unwrap();
        assert_eq!(usage.len(), 1);
        let days = usage[0]["data"].as_array().unwrap();
        assert_eq!(days.len(), 30);
        let sum: u64 = days.iter().map(|d| d["hpUsage"].as_u64().unwrap()).sum();
        assert_eq!(a["total"]["hpUsage"].as_u64().unwrap(), sum);
        assert!(days
            .iter()
            .all(|d| (800..2500).contains(&d["hpUsage"].as_u64().unwrap())));
    }

    #[test]
    fn answers_are_stable_and_stop_at_today() {
        let today = date!(2025 - 09 - 10);
        let a = answer("aabbccddeeff", 2025, &[9, 10, 13], today);
        assert_eq!(a, answer("aabbccddeeff", 2025, &[9, 10, 13], today));
        let usage = a["usage"].as_array().unwrap();
        assert_eq!(usage.len(), 2, "month 13 is skipped");
        assert_eq!(usage[0]["data"].as_array().unwrap().len(), 10);
        assert!(usage[1]["data"].as_array().unwrap().is_empty());
    }
}
