//! Text formatting shared by the human views.

use std::time::{Duration, SystemTime};

use nwp500::protocol::CommandCode;

/// Time of day in UTC, `12:03:04`.
pub fn clock(t: SystemTime) -> String {
    const FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
        time::macros::format_description!("[hour]:[minute]:[second]");
    time::OffsetDateTime::from(t)
        .format(FORMAT)
        .unwrap_or_else(|_| "--:--:--".to_owned())
}

/// A duration for people: `850 ms`, `4.2 s`, `3 min 5 s`, `2 h 10 min`.
pub fn duration(d: Duration) -> String {
    let secs = d.as_secs();
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else if secs < 60 {
        format!("{:.1} s", d.as_secs_f64())
    } else if secs < 3600 {
        format!("{} min {} s", secs / 60, secs % 60)
    } else {
        format!("{} h {} min", secs / 3600, (secs % 3600) / 60)
    }
}

/// A command code in words (`Power off`), or the number when unknown.
pub fn command(code: u32) -> String {
    let code = CommandCode::from_raw(i64::from(code));
    match code.label() {
        Some(label) => label.to_owned(),
        None => format!("command {}", code.raw()),
    }
}

/// The last four hex digits of a MAC, `…eeff` (never the full address on screen).
pub fn short_mac(mac: &str) -> String {
    let tail: String = mac
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("…{tail}")
}

/// A number with at most one decimal, without a trailing `.0`.
pub fn number(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(3 * 3600 + 4 * 60 + 5);
        assert_eq!(clock(t), "03:04:05");
        assert_eq!(duration(Duration::from_millis(850)), "850 ms");
        assert_eq!(duration(Duration::from_millis(4_250)), "4.2 s");
        assert_eq!(duration(Duration::from_secs(185)), "3 min 5 s");
        assert_eq!(duration(Duration::from_secs(7_800)), "2 h 10 min");
        assert_eq!(command(33_554_433), "Power off");
        assert_eq!(command(7), "command 7");
        assert_eq!(short_mac("aabbccddeeff"), "…eeff");
        assert_eq!(number(120.0), "120");
        assert_eq!(number(118.46), "118.5");
    }
}
