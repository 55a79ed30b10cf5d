//! The state of one simulated heater (settings, schedules, tank) and how commands change it.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value};

use super::codes;
use super::thermal::{self, Heaters, HeatingMode, Tank};
use crate::config::DeviceSpec;

/// Feature limits of the golden device (half-°C).
pub(crate) const DHW_TEMPERATURE_MIN: i64 = 81;
pub(crate) const DHW_TEMPERATURE_MAX: i64 = 131;
pub(crate) const FREEZE_TEMPERATURE_MIN: i64 = 12;
pub(crate) const FREEZE_TEMPERATURE_MAX: i64 = 20;

/// DHW operation settings (docs/protocol.md §5.4).
pub(crate) const MODE_ENERGY_SAVER: i64 = 3;
pub(crate) const MODE_VACATION: i64 = 5;
pub(crate) const MODE_POWER_OFF: i64 = 6;

/// One reservation entry `(enable, week, hour, min, mode, param)`.
pub(crate) type Reservation = [i64; 6];

/// Everything a device remembers.
#[derive(Debug, Clone)]
pub(crate) struct DeviceState {
    pub spec: DeviceSpec,
    /// `dhwOperationSetting` 1–6.
    pub mode: i64,
    /// Mode to return to after power-on or the end of a vacation.
    pub resume_mode: i64,
    /// Setpoint, half-°C.
    pub setpoint: i64,
    pub freeze_protection_temperature: i64,
    pub vacation_days: i64,
    pub vacation_elapsed_s: f64,
    pub anti_legionella: bool,
    pub anti_legionella_period: i64,
    pub tou_enabled: bool,
    pub tou_reservation_use: i64,
    pub tou_periods: Vec<Value>,
    pub demand_response: bool,
    pub intelligent: bool,
    pub reservation_use: i64,
    pub reservations: Vec<Reservation>,
    pub weekly_reservation_use: i64,
    pub weekly_reservations: Vec<Value>,
    pub recirculation_schedule: Vec<Value>,
    pub recirculation_mode: i64,
    pub error_code: i64,
    pub sub_error_code: i64,
    pub air_filter_elapsed_h: f64,
    pub fan_hours: f64,
    pub tank: Tank,
    pub heaters: Heaters,
    /// Simulated seconds left in the current hot-water draw.
    pub draw_left_s: f64,
    /// Simulated seconds the current draw has lasted.
    pub draw_elapsed_s: f64,
    pub random_draws: bool,
    rng: StdRng,
}

/// Reads `request.param[i]` as an integer (integral floats accepted).
fn param(request: &Map<String, Value>, i: usize) -> Option<i64> {
    let value = request.get("param")?.get(i)?;
    value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
            .map(|f| f as i64)
    })
}

fn int(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
            .map(|f| f as i64)
    })
}

impl DeviceState {
    pub(crate) fn new(spec: DeviceSpec, seed: u64, random_draws: bool) -> Self {
        // Mix the MAC into the seed so that several devices do not draw water in lockstep.
        let mac_hash = spec.mac.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        DeviceState {
            spec,
            mode: MODE_ENERGY_SAVER,
            resume_mode: MODE_ENERGY_SAVER,
            setpoint: 121,
            freeze_protection_temperature: 12,
            vacation_days: 0,
            vacation_elapsed_s: 0.0,
            anti_legionella: true,
            anti_legionella_period: 7,
            tou_enabled: false,
            tou_reservation_use: 1,
            tou_periods: Vec::new(),
            demand_response: false,
            intelligent: false,
            reservation_use: 1,
            reservations: Vec::new(),
            weekly_reservation_use: 1,
            weekly_reservations: Vec::new(),
            recirculation_schedule: Vec::new(),
            recirculation_mode: 0,
            error_code: 0,
            sub_error_code: 0,
            air_filter_elapsed_h: 312.0,
            fan_hours: 2045.0,
            tank: Tank::new(),
            heaters: Heaters::default(),
            draw_left_s: 0.0,
            draw_elapsed_s: 0.0,
            random_draws,
            rng: StdRng::seed_from_u64(seed ^ mac_hash),
        }
    }

    pub(crate) fn setpoint_c(&self) -> f64 {
        self.setpoint as f64 / 2.0
    }

    fn heating_mode(&self) -> HeatingMode {
        match self.mode {
            1 => HeatingMode::HeatPump,
            2 => HeatingMode::Electric,
            3 => HeatingMode::EnergySaver,
            4 => HeatingMode::HighDemand,
            MODE_VACATION => HeatingMode::Vacation,
            _ => HeatingMode::Off,
        }
    }

    /// Starts a hot-water draw of `lpm` litres per minute for `seconds` simulated seconds.
    pub(crate) fn start_draw(&mut self, lpm: f64, seconds: f64) {
        self.tank.draw_lpm = lpm.max(0.0);
        self.draw_left_s = seconds.max(0.0);
        self.draw_elapsed_s = 0.0;
    }

    /// Advances time by `dt_s` simulated seconds.
    pub(crate) fn advance(&mut self, dt_s: f64) {
        if dt_s <= 0.0 {
            return;
        }
        if self.random_draws && self.draw_left_s <= 0.0 {
            // On average one draw every 45 minutes, 3–9 L/min for 1–6 minutes.
            let p = (dt_s / 2700.0).min(1.0);
            if self.rng.random_bool(p) {
                let lpm = self.rng.random_range(3.0..9.0);
                let seconds = self.rng.random_range(60.0..360.0);
                self.start_draw(lpm, seconds);
            }
        }
        self.update_heaters();
        self.tank.step(dt_s, self.heaters);
        if self.draw_left_s > 0.0 {
            self.draw_left_s -= dt_s;
            self.draw_elapsed_s += dt_s;
            if self.draw_left_s <= 0.0 {
                self.tank.draw_lpm = 0.0;
                self.draw_left_s = 0.0;
                self.draw_elapsed_s = 0.0;
            }
        }
        if self.heaters.compressor {
            self.fan_hours += dt_s / 3600.0;
            self.air_filter_elapsed_h += dt_s / 3600.0;
        }
        if self.mode == MODE_VACATION {
            self.vacation_elapsed_s += dt_s;
            if self.vacation_elapsed_s >= self.vacation_days as f64 * 86400.0 {
                self.mode = self.resume_mode;
                self.vacation_days = 0;
                self.vacation_elapsed_s = 0.0;
            }
        }
    }

    fn update_heaters(&mut self) {
        self.heaters = thermal::decide(
            self.heating_mode(),
            self.setpoint_c(),
            &self.tank,
            self.heaters,
        );
    }

    /// Applies a control command (`request` is the command's `request` object). Values out of
    /// range are ignored, as a device would; the acknowledgement is sent either way and already
    /// shows the heat sources the new settings select.
    pub(crate) fn apply_control(&mut self, code: u64, request: &Map<String, Value>) {
        self.apply_setting(code, request);
        self.update_heaters();
    }

    fn apply_setting(&mut self, code: u64, request: &Map<String, Value>) {
        match code {
            codes::POWER_OFF if self.mode != MODE_POWER_OFF => {
                if self.mode != MODE_VACATION {
                    self.resume_mode = self.mode;
                }
                self.mode = MODE_POWER_OFF;
            }
            codes::POWER_ON if self.mode == MODE_POWER_OFF => self.mode = self.resume_mode,
            codes::DHW_MODE => match (param(request, 0), param(request, 1)) {
                (Some(m @ 1..=4), _) => {
                    self.mode = m;
                    self.resume_mode = m;
                }
                (Some(MODE_VACATION), Some(days @ 1..=30)) => {
                    if self.mode != MODE_VACATION && self.mode != MODE_POWER_OFF {
                        self.resume_mode = self.mode;
                    }
                    self.mode = MODE_VACATION;
                    self.vacation_days = days;
                    self.vacation_elapsed_s = 0.0;
                }
                _ => {}
            },
            codes::DHW_TEMPERATURE => {
                if let Some(t @ DHW_TEMPERATURE_MIN..=DHW_TEMPERATURE_MAX) = param(request, 0) {
                    self.setpoint = t;
                }
            }
            codes::FREEZE_PROTECTION_TEMPERATURE => {
                if let Some(t @ FREEZE_TEMPERATURE_MIN..=FREEZE_TEMPERATURE_MAX) = param(request, 0)
                {
                    self.freeze_protection_temperature = t;
                }
            }
            codes::ANTI_LEGIONELLA_ON => {
                if let Some(days @ 1..=30) = param(request, 0) {
                    self.anti_legionella = true;
                    self.anti_legionella_period = days;
                }
            }
            codes::ANTI_LEGIONELLA_OFF => self.anti_legionella = false,
            codes::TOU_ON => self.tou_enabled = true,
            codes::TOU_OFF => self.tou_enabled = false,
            codes::DR_ON => self.demand_response = true,
            codes::DR_OFF => self.demand_response = false,
            codes::INTELLIGENT_ON => self.intelligent = true,
            codes::INTELLIGENT_OFF => self.intelligent = false,
            codes::RESERVATION_MODE => self.reservation_use = 2,
            codes::AIR_FILTER_RESET => self.air_filter_elapsed_h = 0.0,
            codes::RECIRCULATION_MODE => {
                if let Some(m @ 1..=4) = param(request, 0) {
                    self.recirculation_mode = m;
                }
            }
            codes::WEEKLY_RESERVATION => {
                if let Some(use_) = request.get("reservationUse").and_then(int) {
                    self.weekly_reservation_use = use_;
                }
                if let Some(entries) = request.get("reservation").and_then(Value::as_array) {
                    self.weekly_reservations = entries.clone();
                }
            }
            codes::RECIRCULATION_SCHEDULE => {
                if let Some(entries) = request.get("schedule").and_then(Value::as_array) {
                    self.recirculation_schedule = entries.clone();
                }
            }
            _ => {}
        }
    }

    /// Stores a reservation write (16777226). Entries that are not complete objects are skipped.
    pub(crate) fn write_reservations(&mut self, request: &Map<String, Value>) {
        if let Some(use_) = request.get("reservationUse").and_then(int) {
            self.reservation_use = use_;
        }
        if let Some(entries) = request.get("reservation").and_then(Value::as_array) {
            self.reservations = entries
                .iter()
                .filter_map(|e| {
                    let field = |k: &str| e.get(k).and_then(int);
                    Some([
                        field("enable")?,
                        field("week")?,
                        field("hour")?,
                        field("min")?,
                        field("mode")?,
                        field("param")?,
                    ])
                })
                .collect();
        }
    }

    /// Stores a TOU write (33554439 with periods); a read leaves everything unchanged.
    pub(crate) fn tou_request(&mut self, request: &Map<String, Value>) {
        if let Some(periods) = request.get("reservation").and_then(Value::as_array) {
            self.tou_periods = periods.clone();
            if let Some(use_) = request.get("reservationUse").and_then(int) {
                self.tou_reservation_use = use_;
            }
        }
    }

    /// Reservations as the hex string a read answer carries (6 bytes per entry).
    pub(crate) fn reservation_hex(&self) -> String {
        self.reservations
            .iter()
            .flat_map(|entry| entry.iter().map(|v| format!("{:02x}", (*v).clamp(0, 255))))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn device() -> DeviceState {
        DeviceState::new(DeviceSpec::numbered(0), 1, false)
    }

    fn req(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn power_off_and_on_restore_the_mode() {
        let mut d = device();
        d.apply_control(codes::DHW_MODE, &req(json!({"param": [4]})));
        d.apply_control(codes::POWER_OFF, &req(json!({"param": []})));
        assert_eq!(d.mode, MODE_POWER_OFF);
        d.apply_control(codes::POWER_ON, &req(json!({"param": []})));
        assert_eq!(d.mode, 4);
    }

    #[test]
    fn vacation_needs_days_and_ends_by_itself() {
        let mut d = device();
        d.apply_control(codes::DHW_MODE, &req(json!({"param": [5]})));
        assert_eq!(
            d.mode, MODE_ENERGY_SAVER,
            "vacation without days is ignored"
        );
        d.apply_control(codes::DHW_MODE, &req(json!({"param": [5, 31]})));
        assert_eq!(d.mode, MODE_ENERGY_SAVER, "31 days is out of range");
        d.apply_control(codes::DHW_MODE, &req(json!({"param": [5, 2]})));
        assert_eq!((d.mode, d.vacation_days), (MODE_VACATION, 2));
        d.advance(86400.0);
        assert_eq!(d.mode, MODE_VACATION);
        d.advance(86400.0);
        assert_eq!(d.mode, MODE_ENERGY_SAVER);
    }

    #[test]
    fn setpoint_is_range_checked_and_floats_are_accepted() {
        let mut d = device();
        d.apply_control(codes::DHW_TEMPERATURE, &req(json!({"param": [120]})));
        assert_eq!(d.setpoint, 120);
        d.apply_control(codes::DHW_TEMPERATURE, &req(json!({"param": [132]})));
        assert_eq!(d.setpoint, 120);
        d.apply_control(codes::DHW_TEMPERATURE, &req(json!({"param": [100.0]})));
        assert_eq!(d.setpoint, 100);
        d.apply_control(codes::DHW_TEMPERATURE, &req(json!({"param": ["x"]})));
        assert_eq!(d.setpoint, 100);
    }

    #[test]
    fn anti_legionella_tou_and_reservations_are_stored() {
        let mut d = device();
        d.apply_control(codes::ANTI_LEGIONELLA_ON, &req(json!({"param": [14]})));
        assert!(d.anti_legionella);
        assert_eq!(d.anti_legionella_period, 14);
        d.apply_control(codes::ANTI_LEGIONELLA_OFF, &req(json!({"param": []})));
        assert!(!d.anti_legionella);
        d.apply_control(codes::TOU_ON, &req(json!({})));
        assert!(d.tou_enabled);
        d.write_reservations(&req(json!({
            "reservationUse": 2,
            "reservation": [
                {"enable": 2, "week": 62, "hour": 6, "min": 30, "mode": 4, "param": 120},
                {"enable": 1, "week": 84, "hour": 8, "min": 0, "mode": 3, "param": 110}
            ]
        })));
        assert_eq!(d.reservation_use, 2);
        assert_eq!(d.reservation_hex(), "023e061e047801540800036e");
    }

    #[test]
    fn advancing_time_heats_an_energy_saver_tank() {
        let mut d = device();
        let before = d.tank.mean_c();
        for _ in 0..360 {
            d.advance(10.0);
        }
        assert!(d.heaters.compressor);
        assert!(d.tank.mean_c() > before + 2.0);
    }
}
