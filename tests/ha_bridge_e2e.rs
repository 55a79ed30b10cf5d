//! The `ha_bridge` example as a user runs it: a child process between a simulated
//! NaviLink cloud started in this test process and a throwaway mosquitto broker, with
//! Home Assistant played by an MQTT client on that broker.
//!
//! How the example binary is found: see `support/example.rs` (it is built with
//! `cargo build --example ha_bridge` into this test's target directory).

mod ha_bridge_support;

use std::time::{Duration, Instant};

use nwp500_sim::{AwsQuotas, DeviceHandle, SimConfig, Simulator};
use serde_json::{json, Value};

use ha_bridge_support::mosquitto::Mosquitto;
use ha_bridge_support::{args, check_config, Bridge, Message, Observer};

/// Generous: the machine running the tests may be busy.
const WAIT: Duration = Duration::from_secs(30);

/// `dhw-temperature` (setpoint) command code.
const SETPOINT: u64 = 33_554_464;

/// One water heater, one sensor per value, one binary sensor per flag.
const CONFIGS: usize = 1 + 9 + 10;

const BRIDGE_AVAILABILITY: &str = "nwp500/bridge/availability";

fn simulator() -> Simulator {
    Simulator::start(SimConfig {
        random_draws: false,
        quotas: AwsQuotas {
            // The bridge reconnects 50 ms apart (FAST_LINK_FLAGS): this quota alone is lifted.
            min_connect_interval_per_client_id: None,
            ..AwsQuotas::default()
        },
        ..SimConfig::default()
    })
    .unwrap()
}

/// The topics of the simulator's (only) device.
struct Device {
    handle: DeviceHandle,
    node: String,
}

impl Device {
    fn of(sim: &Simulator) -> Device {
        let handle = sim.devices()[0].clone();
        let node = format!("nwp500_{}", handle.mac());
        Device { handle, node }
    }

    fn availability(&self) -> String {
        format!("nwp500/{}/availability", self.node)
    }

    fn state(&self) -> String {
        format!("nwp500/{}/state", self.node)
    }

    fn command(&self, control: &str) -> String {
        format!("nwp500/{}/{control}/set", self.node)
    }

    fn water_heater_config(&self) -> String {
        format!(
            "homeassistant/water_heater/{}/water_heater/config",
            self.node
        )
    }

    /// The simulated heater's setpoint (half-°C, as on the wire).
    fn setpoint(&self) -> Value {
        self.handle.status()["dhwTemperatureSetting"].clone()
    }

    /// Waits until the simulated heater's setpoint is `raw`.
    fn wait_setpoint(&self, raw: i64) {
        let deadline = Instant::now() + WAIT;
        while self.setpoint() != json!(raw) {
            assert!(
                Instant::now() < deadline,
                "setpoint still {} instead of {raw}",
                self.setpoint()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn is_config(m: &Message) -> bool {
    m.topic.starts_with("homeassistant/") && m.topic.ends_with("/config")
}

/// Discovery, retained configs, live states and commands (valid, invalid, mode).
#[test]
fn publishes_discovery_and_states_and_turns_commands_into_device_commands() {
    let broker = Mosquitto::start();
    let sim = simulator();
    let device = Device::of(&sim);
    let ha = Observer::start(broker.tcp_port, "ha-e2e-discovery", "#");
    let bridge = Bridge::start(&args(&sim, &broker.tcp_url(), "ha-e2e-discovery-bridge"));

    ha.wait_payload(0, BRIDGE_AVAILABILITY, "online", WAIT);
    ha.wait_payload(0, &device.availability(), "online", WAIT);

    // Every config carries what Home Assistant requires; the water heater's gets the
    // feature report's limits once it arrived.
    let configs = ha.wait_distinct(0, CONFIGS, WAIT, is_config);
    for config in &configs {
        check_config(&config.topic, &config.json());
    }
    let count = |component: &str| {
        configs
            .iter()
            .filter(|c| c.topic.split('/').nth(1) == Some(component))
            .count()
    };
    assert_eq!(
        (
            count("water_heater"),
            count("sensor"),
            count("binary_sensor")
        ),
        (1, 9, 10)
    );
    let heater = ha.wait_for(0, WAIT, "a water heater config with limits", |m| {
        m.topic == device.water_heater_config() && m.json()["min_temp"].is_number()
    });
    let heater = heater.json();
    assert_eq!(heater["temperature_unit"], "F");
    assert_eq!(heater["device"]["manufacturer"], "Navien");
    assert!(heater["device"]["sw_version"].is_string(), "{heater}");
    assert!(heater["max_temp"].as_f64() > heater["min_temp"].as_f64());
    for mode in ["eco", "heat_pump", "high_demand", "electric", "off"] {
        assert!(
            heater["modes"].as_array().unwrap().contains(&json!(mode)),
            "{mode}"
        );
    }

    // Retained: Home Assistant starting later gets every config from the broker.
    let late = Observer::start(broker.tcp_port, "ha-e2e-late", "homeassistant/#");
    late.wait_distinct(0, CONFIGS, WAIT, |m| m.retain && is_config(m));

    // States: the values, then an update when the device changes.
    let state = ha
        .wait_for(0, WAIT, "a state with temperatures and energy", |m| {
            let v = m.json();
            m.topic == device.state()
                && v["current_temperature"].is_number()
                && v["energy"].is_number()
        })
        .json();
    for key in [
        "target_temperature",
        "tank_charge",
        "power",
        "tank_upper_temperature",
        "tank_lower_temperature",
        "inlet_temperature",
    ] {
        assert!(state[key].is_number(), "{key}: {state}");
    }
    assert_eq!(state["mode"], "eco", "{state}");
    assert_eq!(state["error_code"], 0);
    assert!(["ON", "OFF"].contains(&state["compressor"].as_str().unwrap_or("")));
    let from = ha.count();
    device.handle.set_error(799, 0);
    ha.wait_for(from, WAIT, "the device's error in a state", |m| {
        m.topic == device.state() && m.json()["error"] == "E799 Water leak detected"
    });

    // A setpoint from Home Assistant reaches the heater (130 °F is 109 half-°C).
    let from = ha.count();
    ha.publish(&device.command("temperature"), "130", false);
    device.wait_setpoint(109);
    ha.wait_for(from, WAIT, "the new setpoint in a state", |m| {
        m.topic == device.state() && m.json()["target_temperature"] == json!(130.1)
    });

    // An out-of-range setpoint is refused with a log line and never sent.
    let sent = device.handle.command_count(SETPOINT);
    ha.publish(&device.command("temperature"), "200", false);
    bridge.wait_log(&["command refused", "temperature"], WAIT);
    assert_eq!(device.handle.command_count(SETPOINT), sent);
    assert_eq!(device.setpoint(), json!(109));
    // So is a payload that is no mode.
    ha.publish(&device.command("mode"), "turbo", false);
    bridge.wait_log(&["command refused", "turbo"], WAIT);

    // A mode.
    let from = ha.count();
    ha.publish(&device.command("mode"), "electric", false);
    ha.wait_for(from, WAIT, "electric mode in a state", |m| {
        m.topic == device.state() && m.json()["mode"] == "electric"
    });

    // No full MAC in the logs.
    let leaks: Vec<String> = bridge
        .stderr()
        .into_iter()
        .filter(|l| l.contains(device.handle.mac()) && l.contains("ha_bridge"))
        .collect();
    assert!(
        leaks.is_empty(),
        "full MAC in the bridge's logs: {leaks:#?}"
    );
}

/// A cloud outage: the devices go offline (the bridge stays online), a command given
/// meanwhile is queued and reaches the heater once after recovery, and the devices come
/// back online. Then the bridge dies and the broker publishes its last will.
#[test]
fn availability_follows_the_cloud_link_and_the_bridges_own_life() {
    let broker = Mosquitto::start();
    let sim = simulator();
    let device = Device::of(&sim);
    let ha = Observer::start(broker.tcp_port, "ha-e2e-outage", "#");
    let mut bridge = Bridge::start(&args(&sim, &broker.tcp_url(), "ha-e2e-outage-bridge"));

    ha.wait_payload(0, &device.availability(), "online", WAIT);
    ha.wait_for(0, WAIT, "a water heater config with limits", |m| {
        m.topic == device.water_heater_config() && m.json()["min_temp"].is_number()
    });

    let outage = ha.count();
    sim.set_refuse_connections(true);
    assert!(sim.drop_all_connections() >= 1);
    ha.wait_payload(outage, &device.availability(), "offline", WAIT);

    let sent = device.handle.command_count(SETPOINT);
    let before = device.setpoint();
    ha.publish(&device.command("temperature"), "125", false);
    bridge.wait_log(&["queued", "temperature"], WAIT);
    assert_eq!(
        device.handle.command_count(SETPOINT),
        sent,
        "sent while offline"
    );
    assert_eq!(device.setpoint(), before);

    let back = ha.count();
    sim.set_refuse_connections(false);
    ha.wait_payload(back, &device.availability(), "online", WAIT);
    // 125 °F is 103 half-°C.
    device.wait_setpoint(103);
    assert_eq!(device.handle.command_count(SETPOINT), sent + 1, "sent once");
    let bridge_offline = ha.count_matching(outage, |m| {
        m.topic == BRIDGE_AVAILABILITY && m.payload == "offline"
    });
    assert_eq!(bridge_offline, 0, "the bridge itself stayed online");

    let death = ha.count();
    bridge.kill();
    ha.wait_payload(death, BRIDGE_AVAILABILITY, "offline", WAIT);
}

/// The local broker restarts (losing every retained message): the bridge reconnects and
/// publishes everything again; Home Assistant announcing itself gets every config again;
/// SIGTERM stops the bridge cleanly, saying `offline` itself.
#[test]
fn survives_a_broker_restart_and_republishes_when_home_assistant_starts() {
    let mut broker = Mosquitto::start();
    let sim = simulator();
    let device = Device::of(&sim);
    let before = Observer::start(broker.tcp_port, "ha-e2e-restart-1", "#");
    let mut bridge = Bridge::start(&args(&sim, &broker.tcp_url(), "ha-e2e-restart-bridge"));
    before.wait_distinct(0, CONFIGS, WAIT, is_config);
    drop(before);

    broker.restart();
    let ha = Observer::start(broker.tcp_port, "ha-e2e-restart-2", "#");
    ha.wait_payload(0, BRIDGE_AVAILABILITY, "online", WAIT);
    ha.wait_payload(0, &device.availability(), "online", WAIT);
    for config in ha.wait_distinct(0, CONFIGS, WAIT, is_config) {
        check_config(&config.topic, &config.json());
    }

    let announced = ha.count();
    ha.publish("homeassistant/status", "online", false);
    ha.wait_distinct(announced, CONFIGS, WAIT, |m| is_config(m) && !m.retain);
    bridge.wait_log(&["Home Assistant is online"], WAIT);

    let stop = ha.count();
    bridge.terminate();
    assert!(bridge.wait_exit(WAIT).success(), "exit code after SIGTERM");
    ha.wait_payload(stop, BRIDGE_AVAILABILITY, "offline", WAIT);
    ha.wait_payload(stop, &device.availability(), "offline", WAIT);
}
