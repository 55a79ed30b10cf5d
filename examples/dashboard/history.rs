//! Each device's recent values for the charts: a ring buffer per device, bounded by a
//! number of samples and by a time window, filled from status events.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

/// Most samples of one device sent to a page when it opens: a chart is narrower than
/// that in pixels, so more would only cost bandwidth. `/api/history` has them all.
pub const PAGE_SAMPLES: usize = 2_000;

/// The charted values of one status, at one time. Missing values are `null` (a gap in
/// the line, never a zero).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sample {
    /// When the status arrived, milliseconds since the Unix epoch.
    pub t: u64,
    /// Upper tank temperature (`tankUpperTemperature`), in the dashboard's unit.
    pub upper: Option<f64>,
    /// Lower tank temperature (`tankLowerTemperature`), in the dashboard's unit.
    pub lower: Option<f64>,
    /// Setpoint (`dhwTemperatureSetting`), in the dashboard's unit.
    pub setpoint: Option<f64>,
    /// Power drawn (`currentInstPower`), W.
    pub power: Option<f64>,
    /// Tank charge (`dhwChargePer`), %.
    pub charge: Option<f64>,
}

impl Sample {
    /// The charted values of `status` (a status object of `Event::Status`) at `t`.
    pub fn from_status(t: u64, status: &Value) -> Self {
        let number = |key: &str| {
            status
                .get(key)
                .and_then(Value::as_f64)
                .filter(|v| v.is_finite())
        };
        Self {
            t,
            upper: number("tankUpperTemperature"),
            lower: number("tankLowerTemperature"),
            setpoint: number("dhwTemperatureSetting"),
            power: number("currentInstPower"),
            charge: number("dhwChargePer"),
        }
    }
}

/// The samples of one device, oldest first.
#[derive(Debug, Clone)]
pub struct History {
    window_ms: u64,
    capacity: usize,
    samples: VecDeque<Sample>,
}

impl History {
    /// Keeps at most `capacity` samples (at least 1), none older than `window` before
    /// the newest one.
    pub fn new(window: Duration, capacity: usize) -> Self {
        Self {
            window_ms: millis(window),
            capacity: capacity.max(1),
            samples: VecDeque::new(),
        }
    }

    /// Adds `sample` as the newest. A sample older than the newest kept one means the
    /// wall clock went back: the old samples would then be drawn in the future, so they
    /// are forgotten.
    pub fn push(&mut self, sample: Sample) {
        if self.samples.back().is_some_and(|last| sample.t < last.t) {
            self.samples.clear();
        }
        if self.samples.len() == self.capacity {
            self.samples.pop_front();
        }
        self.samples.push_back(sample);
        self.prune(sample.t);
    }

    /// Drops the samples older than the window before `now_ms`.
    pub fn prune(&mut self, now_ms: u64) {
        let oldest = now_ms.saturating_sub(self.window_ms);
        while self.samples.front().is_some_and(|s| s.t < oldest) {
            self.samples.pop_front();
        }
    }

    /// How many samples are kept.
    #[cfg(test)]
    pub fn count(&self) -> usize {
        self.samples.len()
    }

    /// Every sample, oldest first.
    pub fn all(&self) -> Vec<Sample> {
        self.samples.iter().copied().collect()
    }

    /// At most `max` samples spread evenly over the whole buffer, the newest always
    /// included (so a page's line ends where the next appended sample continues it).
    pub fn thinned(&self, max: usize) -> Vec<Sample> {
        let n = self.samples.len();
        if n <= max || max < 2 {
            return self.all();
        }
        let step = n.div_ceil(max - 1);
        let mut out: Vec<Sample> = self.samples.iter().step_by(step).copied().collect();
        if let Some(last) = self.samples.back() {
            if out.last() != Some(last) {
                out.push(*last);
            }
        }
        out
    }
}

/// The histories of every device, by the device's key (`card::dom_key`).
#[derive(Debug, Clone)]
pub struct Histories {
    window: Duration,
    capacity: usize,
    by_device: BTreeMap<String, History>,
}

/// What a page gets of the histories: the window and each device's samples.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryView {
    /// The window, in milliseconds.
    pub window_ms: u64,
    /// Samples by device key, oldest first.
    pub devices: BTreeMap<String, Vec<Sample>>,
}

impl Histories {
    /// Histories keeping `window` and at most `capacity` samples per device.
    pub fn new(window: Duration, capacity: usize) -> Self {
        Self {
            window,
            capacity,
            by_device: BTreeMap::new(),
        }
    }

    /// The window, in milliseconds.
    pub fn window_ms(&self) -> u64 {
        millis(self.window)
    }

    /// Adds a sample of the device `key`.
    pub fn push(&mut self, key: &str, sample: Sample) {
        let (window, capacity) = (self.window, self.capacity);
        self.by_device
            .entry(key.to_owned())
            .or_insert_with(|| History::new(window, capacity))
            .push(sample);
    }

    /// Drops every sample older than the window before `now_ms`.
    pub fn prune(&mut self, now_ms: u64) {
        for history in self.by_device.values_mut() {
            history.prune(now_ms);
        }
    }

    /// The history of `key`, if it has one.
    #[cfg(test)]
    pub fn get(&self, key: &str) -> Option<&History> {
        self.by_device.get(key)
    }

    /// Every device's samples, at most `max` each ([`History::thinned`]).
    pub fn view(&self, max: usize) -> HistoryView {
        HistoryView {
            window_ms: self.window_ms(),
            devices: self
                .by_device
                .iter()
                .map(|(key, history)| (key.clone(), history.thinned(max)))
                .collect(),
        }
    }
}

/// Whole milliseconds, saturating.
pub fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn at(t: u64) -> Sample {
        Sample {
            t,
            upper: Some(t as f64),
            lower: None,
            setpoint: None,
            power: None,
            charge: None,
        }
    }

    fn times(samples: &[Sample]) -> Vec<u64> {
        samples.iter().map(|s| s.t).collect()
    }

    #[test]
    fn a_status_gives_its_charted_values_and_gaps_for_the_rest() {
        let sample = Sample::from_status(
            7,
            &json!({
                "tankUpperTemperature": 131.5, "tankLowerTemperature": 104,
                "dhwTemperatureSetting": 125, "currentInstPower": 412,
                "dhwChargePer": "87"
            }),
        );
        assert_eq!(
            sample,
            Sample {
                t: 7,
                upper: Some(131.5),
                lower: Some(104.0),
                setpoint: Some(125.0),
                power: Some(412.0),
                charge: None,
            }
        );
        assert_eq!(
            serde_json::to_value(sample).unwrap()["charge"],
            serde_json::Value::Null
        );
    }

    #[test]
    fn bounded_by_count() {
        let mut h = History::new(Duration::from_secs(3600), 3);
        for t in 1..=5 {
            h.push(at(t));
        }
        assert_eq!(times(&h.all()), [3, 4, 5]);
    }

    #[test]
    fn bounded_by_the_window_behind_the_newest_sample_and_behind_now() {
        let mut h = History::new(Duration::from_millis(1_000), 100);
        for t in [0, 400, 800, 1_200, 1_600] {
            h.push(at(t));
        }
        assert_eq!(times(&h.all()), [800, 1_200, 1_600]);
        // Nothing arrived for a while (an outage): the old samples age out anyway.
        h.prune(2_500);
        assert_eq!(times(&h.all()), [1_600]);
        h.prune(10_000);
        assert_eq!(h.count(), 0);
    }

    #[test]
    fn a_clock_that_went_back_starts_a_new_timeline() {
        let mut h = History::new(Duration::from_secs(3600), 100);
        h.push(at(5_000));
        h.push(at(6_000));
        h.push(at(1_000));
        assert_eq!(times(&h.all()), [1_000]);
        // Equal times are kept (two statuses in the same millisecond).
        h.push(at(1_000));
        assert_eq!(h.count(), 2);
    }

    #[test]
    fn thinning_spreads_evenly_and_keeps_the_newest() {
        let mut h = History::new(Duration::from_secs(3600), 1_000);
        for t in 0..1_000 {
            h.push(at(t));
        }
        let thin = h.thinned(100);
        assert!(thin.len() <= 100, "{}", thin.len());
        assert!(thin.len() >= 90, "{}", thin.len());
        assert_eq!(thin.first().map(|s| s.t), Some(0));
        assert_eq!(thin.last().map(|s| s.t), Some(999));
        assert!(times(&thin).windows(2).all(|w| w[0] < w[1]));
        assert_eq!(h.thinned(5_000).len(), 1_000);
    }

    #[test]
    fn histories_are_per_device_with_one_window() {
        let mut all = Histories::new(Duration::from_secs(10), 100);
        all.push("aa", at(1_000));
        all.push("bb", at(2_000));
        all.push("aa", at(3_000));
        let view = all.view(PAGE_SAMPLES);
        assert_eq!(view.window_ms, 10_000);
        assert_eq!(times(&view.devices["aa"]), [1_000, 3_000]);
        assert_eq!(times(&view.devices["bb"]), [2_000]);
        all.prune(12_500);
        assert_eq!(all.get("aa").map(History::count), Some(1));
        assert_eq!(all.get("bb").map(History::count), Some(0));
    }
}
