//! Physics of a heat-pump water heater tank: two stratified layers, a heat pump, two elements,
//! standby losses and hot-water draws. Plain arithmetic over simulated seconds.

/// Heat capacity of one layer (half the tank), Wh per kelvin. Two layers give the ≈316 Wh/K that
/// makes the status field `totalEnergyCapacity` of the golden example (1580 counts at a 60.5 °C
/// setpoint) come out of the same model.
pub(crate) const LAYER_CAPACITY_WH_PER_K: f64 = 158.0;
/// Litres per layer (65-gallon tank).
const LAYER_LITRES: f64 = 123.0;
/// Thermal output of the heat pump, W (≈450 W electrical at a COP of 3.3).
pub(crate) const HEAT_PUMP_THERMAL_W: f64 = 1500.0;
/// Electrical input of the compressor, W (what `currentInstPower` reports).
pub(crate) const HEAT_PUMP_ELECTRIC_W: f64 = 450.0;
/// Power of one resistive element, W.
pub(crate) const ELEMENT_W: f64 = 3750.0;
/// Standby loss coefficient per layer, W/K.
const LOSS_W_PER_K: f64 = 1.0;
/// Conduction between the layers, W/K.
const CONDUCTION_W_PER_K: f64 = 3.0;
/// Share of the heat-pump output that goes into the lower layer (the condenser wraps the
/// lower part of the tank).
const HEAT_PUMP_LOWER_SHARE: f64 = 0.6;

/// Which heat sources run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Heaters {
    pub compressor: bool,
    pub upper_element: bool,
    pub lower_element: bool,
}

impl Heaters {
    pub(crate) fn any(self) -> bool {
        self.compressor || self.upper_element || self.lower_element
    }

    pub(crate) fn any_element(self) -> bool {
        self.upper_element || self.lower_element
    }
}

/// The tank's thermal state.
#[derive(Debug, Clone)]
pub(crate) struct Tank {
    pub upper_c: f64,
    pub lower_c: f64,
    pub ambient_c: f64,
    pub inlet_c: f64,
    /// Current hot-water draw, litres per minute (0 = none).
    pub draw_lpm: f64,
    /// Litres delivered since installation.
    pub delivered_litres: f64,
}

impl Tank {
    /// A tank part-way through heating, like the golden status example.
    pub(crate) fn new() -> Self {
        Tank {
            upper_c: 48.9,
            lower_c: 35.0,
            ambient_c: 21.5,
            inlet_c: 15.0,
            draw_lpm: 0.0,
            delivered_litres: 100.0,
        }
    }

    /// Advances the physics by `dt_s` simulated seconds with the given heaters.
    pub(crate) fn step(&mut self, dt_s: f64, heaters: Heaters) {
        // Sub-steps keep the explicit integration stable for large time-scale factors.
        let steps = (dt_s / 10.0).ceil().max(1.0);
        let h = dt_s / steps;
        for _ in 0..steps as u64 {
            self.substep(h, heaters);
        }
    }

    fn substep(&mut self, dt_s: f64, heaters: Heaters) {
        let dt_h = dt_s / 3600.0;
        let c = LAYER_CAPACITY_WH_PER_K;
        let hp = if heaters.compressor {
            HEAT_PUMP_THERMAL_W
        } else {
            0.0
        };
        let upper_in = hp * (1.0 - HEAT_PUMP_LOWER_SHARE)
            + if heaters.upper_element {
                ELEMENT_W
            } else {
                0.0
            };
        let lower_in = hp * HEAT_PUMP_LOWER_SHARE
            + if heaters.lower_element {
                ELEMENT_W
            } else {
                0.0
            };
        let upper_loss = LOSS_W_PER_K * (self.upper_c - self.ambient_c);
        let lower_loss = LOSS_W_PER_K * (self.lower_c - self.ambient_c);
        let conduction = CONDUCTION_W_PER_K * (self.upper_c - self.lower_c);
        self.upper_c += (upper_in - upper_loss - conduction) * dt_h / c;
        self.lower_c += (lower_in - lower_loss + conduction) * dt_h / c;

        if self.draw_lpm > 0.0 {
            // Hot water leaves at the top, cold water enters at the bottom.
            let litres = self.draw_lpm * dt_s / 60.0;
            let f = (litres / LAYER_LITRES).min(1.0);
            self.upper_c = self.upper_c * (1.0 - f) + self.lower_c * f;
            self.lower_c = self.lower_c * (1.0 - f) + self.inlet_c * f;
            self.delivered_litres += litres;
        }
        if self.lower_c > self.upper_c {
            // Warmer water rises: the layers mix.
            let mean = (self.upper_c + self.lower_c) / 2.0;
            self.upper_c = mean;
            self.lower_c = mean;
        }
    }

    pub(crate) fn mean_c(&self) -> f64 {
        (self.upper_c + self.lower_c) / 2.0
    }
}

/// The operating mode as far as heating decisions go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeatingMode {
    HeatPump,
    Electric,
    EnergySaver,
    HighDemand,
    /// Vacation: keep the tank from getting cold, heat pump only.
    Vacation,
    Off,
}

/// Temperature the tank is held at during vacation, °C.
const VACATION_TARGET_C: f64 = 10.0;

/// Chooses the heat sources, with hysteresis: a source that runs keeps running until its
/// layer reaches the setpoint; one that is off starts only below its start threshold. The
/// start thresholds mirror the status fields (heat pump 3 °C / 5.5 °C below the setpoint,
/// elements 8 °C / 10.5 °C below).
pub(crate) fn decide(mode: HeatingMode, setpoint_c: f64, tank: &Tank, prev: Heaters) -> Heaters {
    let (upper, lower) = (tank.upper_c, tank.lower_c);
    let hysteresis = |running: bool, below: bool, reached: bool| {
        if running {
            !reached
        } else {
            below
        }
    };
    let heat_pump = |target: f64| {
        hysteresis(
            prev.compressor,
            upper < target - 3.0 || lower < target - 5.5,
            upper >= target && lower >= target - 0.5,
        )
    };
    match mode {
        HeatingMode::Off => Heaters::default(),
        HeatingMode::Vacation => Heaters {
            compressor: heat_pump(VACATION_TARGET_C),
            ..Heaters::default()
        },
        HeatingMode::HeatPump => Heaters {
            compressor: heat_pump(setpoint_c),
            ..Heaters::default()
        },
        HeatingMode::EnergySaver => Heaters {
            compressor: heat_pump(setpoint_c),
            upper_element: hysteresis(
                prev.upper_element,
                upper < setpoint_c - 8.0,
                upper >= setpoint_c - 3.0,
            ),
            lower_element: false,
        },
        HeatingMode::HighDemand => Heaters {
            compressor: heat_pump(setpoint_c),
            upper_element: hysteresis(
                prev.upper_element,
                upper < setpoint_c - 3.0,
                upper >= setpoint_c,
            ),
            lower_element: hysteresis(
                prev.lower_element,
                lower < setpoint_c - 10.5,
                lower >= setpoint_c - 3.0,
            ),
        },
        HeatingMode::Electric => {
            // One element at a time, the upper one first.
            let upper_element = hysteresis(
                prev.upper_element,
                upper < setpoint_c - 3.0,
                upper >= setpoint_c,
            );
            let lower_element = !upper_element
                && hysteresis(
                    prev.lower_element,
                    lower < setpoint_c - 5.5,
                    lower >= setpoint_c,
                );
            Heaters {
                compressor: false,
                upper_element,
                lower_element,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(mode: HeatingMode, setpoint: f64, tank: &mut Tank, seconds: u64) -> Heaters {
        let mut heaters = Heaters::default();
        for _ in 0..seconds / 10 {
            heaters = decide(mode, setpoint, tank, heaters);
            tank.step(10.0, heaters);
        }
        heaters
    }

    #[test]
    fn heat_pump_heats_the_tank_up_to_the_setpoint_and_stops() {
        let mut tank = Tank::new();
        let start = tank.mean_c();
        let heaters = decide(HeatingMode::HeatPump, 60.5, &tank, Heaters::default());
        assert!(heaters.compressor && !heaters.any_element());
        run(HeatingMode::HeatPump, 60.5, &mut tank, 3600);
        assert!(tank.mean_c() > start + 3.0, "about 4.7 K per hour");
        run(HeatingMode::HeatPump, 60.5, &mut tank, 12 * 3600);
        assert!(tank.upper_c >= 59.5 && tank.upper_c < 62.0, "{tank:?}");
        assert!(!decide(HeatingMode::HeatPump, 60.5, &tank, Heaters::default()).any());
    }

    #[test]
    fn an_idle_tank_cools_slowly_towards_ambient() {
        let mut tank = Tank::new();
        tank.upper_c = 60.0;
        tank.lower_c = 60.0;
        tank.step(3600.0, Heaters::default());
        assert!(tank.upper_c < 60.0 && tank.upper_c > 59.5, "{tank:?}");
    }

    #[test]
    fn a_draw_cools_the_bottom_first_and_counts_litres() {
        let mut tank = Tank::new();
        tank.upper_c = 60.0;
        tank.lower_c = 60.0;
        tank.draw_lpm = 8.0;
        tank.step(300.0, Heaters::default());
        assert!(tank.lower_c < 50.0);
        assert!(tank.upper_c > tank.lower_c);
        assert!((tank.delivered_litres - 140.0).abs() < 1e-6);
    }

    #[test]
    fn elements_join_in_only_when_the_mode_allows() {
        let mut tank = Tank::new();
        tank.upper_c = 40.0;
        tank.lower_c = 30.0;
        let saver = decide(HeatingMode::EnergySaver, 60.5, &tank, Heaters::default());
        assert!(saver.compressor && saver.upper_element && !saver.lower_element);
        let demand = decide(HeatingMode::HighDemand, 60.5, &tank, Heaters::default());
        assert!(demand.compressor && demand.upper_element && demand.lower_element);
        let electric = decide(HeatingMode::Electric, 60.5, &tank, Heaters::default());
        assert!(!electric.compressor && electric.upper_element && !electric.lower_element);
        assert!(!decide(HeatingMode::Off, 60.5, &tank, Heaters::default()).any());
        assert!(!decide(HeatingMode::Vacation, 60.5, &tank, Heaters::default()).any());
    }
}
