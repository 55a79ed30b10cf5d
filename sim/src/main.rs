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
