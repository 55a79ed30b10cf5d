//! Standalone simulator: `cargo run -p nwp500-sim -- --help`.

use std::process::ExitCode;

use nwp500_sim::{SimConfig, Simulator};

const USAGE: &str = "\
Usage: nwp500-sim [OPTIONS]

Starts a simulated NaviLink cloud on 127.0.0.1 and runs until interrupted.

Options:
  --devices N        number of simulated water heaters (default 1)
  --rest-port P      port of the REST server (default: ephemeral)
  --control-port P   port of the control API, /_sim/... (default: ephemeral)
  --ws-port P        port of the signing WebSocket gateway (default: ephemeral)
  --tcp-port P       port of the plain MQTT/TCP listener (default: ephemeral)
  --time-scale X     simulated seconds per real second for the heater physics (default 1)
  --no-draws         no random hot-water draws
  --connection-lifetime SECS
                     cut every MQTT connection after this long, fractions allowed
                     (default 86400: AWS IoT's 24 h)
  -h, --help         this text";

fn parse(args: &[String]) -> Result<Option<SimConfig>, String> {
    let mut config = SimConfig::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--devices" => {
                let n: usize = value(arg)?
                    .parse()
                    .map_err(|_| "--devices needs a number".to_string())?;
                config.devices = SimConfig::with_devices(n).devices;
            }
            "--rest-port" => config.rest_port = port(&value(arg)?)?,
            "--control-port" => config.control_port = port(&value(arg)?)?,
            "--ws-port" => config.ws_port = port(&value(arg)?)?,
            "--tcp-port" => config.tcp_port = port(&value(arg)?)?,
            "--time-scale" => {
                config.time_scale = value(arg)?
                    .parse()
                    .map_err(|_| "--time-scale needs a number".to_string())?;
            }
            "--no-draws" => config.random_draws = false,
            "--connection-lifetime" => {
                let secs: f64 = value(arg)?
                    .parse()
                    .map_err(|_| "--connection-lifetime needs a number of seconds".to_string())?;
                config.max_connection_lifetime = std::time::Duration::try_from_secs_f64(secs)
                    .ok()
                    .filter(|d| !d.is_zero())
                    .ok_or_else(|| {
                        "--connection-lifetime needs a positive number of seconds".to_string()
                    })?;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Some(config))
}

fn port(s: &str) -> Result<u16, String> {
    s.parse().map_err(|_| format!("{s} is not a port number"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse(&args) {
        Ok(Some(config)) => config,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let sim = match Simulator::start(config) {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let account = &sim.config().account;
    println!("NaviLink simulator running");
    println!("  REST URL:     {}", sim.rest_url());
    println!("  MQTT (ws):    {}", sim.mqtt_ws_url());
    println!("  MQTT (tcp):   {}", sim.mqtt_tcp_url());
    println!(
        "  Control URL:  {}  (GET {}/state)",
        sim.control_url(),
        sim.control_url()
    );
    println!(
        "  Faults:       POST {}/<action>, e.g. upgrade-status, connack-refusal, rest-outage",
        sim.control_url()
    );
    println!("                (every action: cargo doc -p nwp500-sim, section Faults)");
    println!("  Account:      {} / {}", account.email, account.password);
    for d in sim.devices() {
        println!(
            "  Device:       {} (additionalValue {}, serial {})",
            d.mac(),
            d.additional_value(),
            d.spec().serial_number
        );
    }
    println!("Press Ctrl-C to stop.");
    loop {
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::parse;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_connection_lifetime_is_configurable_in_seconds() {
        let config = parse(&args(&["--connection-lifetime", "2.5"]))
            .unwrap()
            .unwrap();
        assert_eq!(config.max_connection_lifetime, Duration::from_millis(2_500));
        let config = parse(&args(&[])).unwrap().unwrap();
        assert_eq!(config.max_connection_lifetime, Duration::from_secs(86_400));
        for bad in ["0", "-1", "soon"] {
            assert!(
                parse(&args(&["--connection-lifetime", bad])).is_err(),
                "{bad}"
            );
        }
    }
}
