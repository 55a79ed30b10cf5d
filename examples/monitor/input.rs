//! The commands typed on stdin, one per line.

use nwp500::protocol::{Command, DhwMode, UnitSystem};

/// The command list, as shown by `help` and after a bad line.
pub const COMMANDS: &str = "power on|off · mode heat-pump|electric|energy-saver|high-demand · \
                            vacation DAYS · temperature VALUE · status · help · quit";

/// A line that made sense.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Send this command to the target device.
    Send(Command),
    /// Show the command list.
    Help,
    /// Disconnect and exit.
    Quit,
}

/// Parses one line. `Ok(None)` for a blank line; `Err` holds a message for the user.
/// `unit` is the unit of the `temperature` value (the monitor's display unit).
pub fn parse_line(line: &str, unit: UnitSystem) -> Result<Option<Input>, String> {
    let lowered = line.trim().to_ascii_lowercase();
    let words: Vec<&str> = lowered.split_whitespace().collect();
    let Some((&verb, rest)) = words.split_first() else {
        return Ok(None);
    };
    let one_argument = |what: &str| -> Result<&str, String> {
        match rest {
            [value] => Ok(value),
            [] => Err(format!("`{verb}` needs {what}")),
            _ => Err(format!("`{verb}` takes only {what}")),
        }
    };
    let no_argument = || -> Result<(), String> {
        if rest.is_empty() {
            Ok(())
        } else {
            Err(format!("`{verb}` takes no argument"))
        }
    };
    let input = match verb {
        "power" => match one_argument("`on` or `off`")? {
            "on" => Input::Send(Command::SetPower { on: true }),
            "off" => Input::Send(Command::SetPower { on: false }),
            other => return Err(format!("`power {other}`: expected `on` or `off`")),
        },
        "mode" => {
            let mode = match one_argument("a mode")? {
                "heat-pump" => DhwMode::HeatPump,
                "electric" => DhwMode::Electric,
                "energy-saver" => DhwMode::EnergySaver,
                "high-demand" => DhwMode::HighDemand,
                other => {
                    return Err(format!(
                        "unknown mode `{other}`: expected heat-pump, electric, energy-saver \
                         or high-demand"
                    ))
                }
            };
            Input::Send(Command::SetDhwMode { mode })
        }
        "vacation" => {
            let text = one_argument("a number of days (1-30)")?;
            let days = text
                .parse::<u8>()
                .ok()
                .filter(|d| (1..=30).contains(d))
                .ok_or_else(|| format!("`vacation {text}`: days must be a whole number 1-30"))?;
            Input::Send(Command::SetVacation { days })
        }
        "temperature" => {
            let symbol = unit_symbol(unit);
            let text = one_argument(&format!("a setpoint in {symbol}"))?;
            let temperature = text
                .trim_end_matches(['f', 'c', '°'])
                .parse::<f64>()
                .ok()
                .filter(|t| t.is_finite())
                .ok_or_else(|| format!("`temperature {text}`: expected a number in {symbol}"))?;
            Input::Send(Command::SetDhwTemperature { temperature, unit })
        }
        "status" => {
            no_argument()?;
            Input::Send(Command::RequestStatus)
        }
        "help" | "?" => {
            no_argument()?;
            Input::Help
        }
        "quit" | "exit" => {
            no_argument()?;
            Input::Quit
        }
        other => return Err(format!("unknown command `{other}`")),
    };
    Ok(Some(input))
}

/// `°F` or `°C`.
pub fn unit_symbol(unit: UnitSystem) -> &'static str {
    match unit {
        UnitSystem::Metric => "°C",
        UnitSystem::UsCustomary => "°F",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: UnitSystem = UnitSystem::UsCustomary;

    fn ok(line: &str) -> Input {
        parse_line(line, F).unwrap().unwrap()
    }

    #[test]
    fn every_command() {
        assert_eq!(ok("power on"), Input::Send(Command::SetPower { on: true }));
        assert_eq!(
            ok("power off"),
            Input::Send(Command::SetPower { on: false })
        );
        for (word, mode) in [
            ("heat-pump", DhwMode::HeatPump),
            ("electric", DhwMode::Electric),
            ("energy-saver", DhwMode::EnergySaver),
            ("high-demand", DhwMode::HighDemand),
        ] {
            assert_eq!(
                ok(&format!("mode {word}")),
                Input::Send(Command::SetDhwMode { mode })
            );
        }
        assert_eq!(
            ok("vacation 7"),
            Input::Send(Command::SetVacation { days: 7 })
        );
        assert_eq!(
            ok("temperature 120"),
            Input::Send(Command::SetDhwTemperature {
                temperature: 120.0,
                unit: UnitSystem::UsCustomary
            })
        );
        assert_eq!(ok("status"), Input::Send(Command::RequestStatus));
        assert_eq!(ok("help"), Input::Help);
        assert_eq!(ok("quit"), Input::Quit);
    }

    #[test]
    fn case_and_spacing_do_not_matter() {
        assert_eq!(
            ok("  POWER   Off \r"),
            Input::Send(Command::SetPower { on: false })
        );
        assert_eq!(ok("Quit\n"), Input::Quit);
    }

    #[test]
    fn temperature_follows_the_display_unit() {
        assert_eq!(
            parse_line("temperature 48.5", UnitSystem::Metric),
            Ok(Some(Input::Send(Command::SetDhwTemperature {
                temperature: 48.5,
                unit: UnitSystem::Metric
            })))
        );
        assert_eq!(
            ok("temperature 125°F"),
            Input::Send(Command::SetDhwTemperature {
                temperature: 125.0,
                unit: UnitSystem::UsCustomary
            })
        );
    }

    #[test]
    fn blank_lines_are_nothing() {
        assert_eq!(parse_line("", F), Ok(None));
        assert_eq!(parse_line("   \t", F), Ok(None));
    }

    #[test]
    fn bad_lines_get_a_message_that_names_the_problem() {
        let cases = [
            ("dance", "unknown command `dance`"),
            ("power", "needs"),
            ("power maybe", "expected `on` or `off`"),
            ("power on now", "takes only"),
            ("mode turbo", "unknown mode `turbo`"),
            ("vacation 0", "1-30"),
            ("vacation 31", "1-30"),
            ("vacation two", "1-30"),
            ("temperature hot", "expected a number in °F"),
            ("temperature nan", "expected a number"),
            ("status now", "takes no argument"),
            ("quit please", "takes no argument"),
        ];
        for (line, needle) in cases {
            let message = parse_line(line, F).unwrap_err();
            assert!(message.contains(needle), "{line:?} → {message:?}");
        }
    }
}
