//! The dashboard example end to end: a simulator in this process, the example as a child
//! process pointed at it, and Debian's headless chromium showing its page.
//!
//! Without chromium the browser test fails with a message naming what is missing.

mod dashboard_support;

use std::time::Duration;

use nwp500_sim::{SimConfig, Simulator};
use serde_json::Value;

use dashboard_support::{
    fahrenheit, leading_number, next_data, open_event_stream, require_chromium, wait_until,
    Browser, Dashboard,
};

const MAC: &str = "aabbccddeeff";

/// Distinctive tank temperatures, far from the simulator's default and from each other.
const FIRST_C: f64 = 30.0;
const SECOND_C: f64 = 41.5;

/// The tank warms or cools a little while the test runs; a shown value within this
/// of the expected one is that value (the two above are 20 °F apart).
const TOLERANCE_F: f64 = 2.0;

const POLL: Duration = Duration::from_millis(300);
const PATIENCE: Duration = Duration::from_secs(20);

fn quiet_simulator() -> Simulator {
    // No random hot-water draws: the tank changes only when the test changes it.
    Simulator::start(SimConfig {
        random_draws: false,
        ..SimConfig::default()
    })
    .expect("start the simulator")
}

fn near(value: Option<f64>, celsius: f64) -> bool {
    value.is_some_and(|v| (v - fahrenheit(celsius)).abs() <= TOLERANCE_F)
}

fn shown_temperature(status: &Value) -> Option<f64> {
    status["devices"]
        .as_array()?
        .iter()
        .find(|d| d["mac"] == MAC)?["waterTemperature"]
        .as_f64()
}

#[test]
fn the_page_shows_the_simulated_temperature_and_follows_its_changes() {
    let chromium = require_chromium();
    let mut sim = quiet_simulator();
    let device = sim.devices()[0].clone();
    device.set_tank_temperature(FIRST_C);
    let dashboard = Dashboard::start(&sim, POLL);

    let mut browser = Browser::open(&chromium, &dashboard.url).expect("open the page");
    let temp_id = format!("temp-{MAC}");
    let first = wait_until(PATIENCE, || {
        let text = browser.text_of(&temp_id).ok()??;
        near(leading_number(&text), FIRST_C).then_some(text)
    });
    let first = first.unwrap_or_else(|| {
        panic!(
            "the page never showed ≈{:.1} °F; it shows {:?}",
            fahrenheit(FIRST_C),
            browser.text_of(&temp_id)
        )
    });
    assert!(first.ends_with("°F"), "{first:?}");
    let connection = browser.text_of("connection").unwrap();
    assert_eq!(connection.as_deref(), Some("connected"));
    let name = browser
        .evaluate(&format!(
            "document.querySelector('#device-{MAC} .name').textContent"
        ))
        .unwrap();
    assert_eq!(name, "Garage Water Heater");

    // Marks this document: if the page were reloaded, the mark would be gone.
    browser.evaluate("window.sameDocument = 42").unwrap();
    device.set_tank_temperature(SECOND_C);
    let second = wait_until(PATIENCE, || {
        let text = browser.text_of(&temp_id).ok()??;
        near(leading_number(&text), SECOND_C).then_some(text)
    });
    assert!(
        second.is_some(),
        "the page did not follow the change to ≈{:.1} °F; it shows {:?}",
        fahrenheit(SECOND_C),
        browser.text_of(&temp_id)
    );
    assert_eq!(
        browser.evaluate("window.sameDocument").unwrap(),
        42,
        "the page was reloaded: the update did not come through the event stream"
    );

    drop(browser);
    drop(dashboard);
    sim.shutdown();
}

#[test]
fn the_json_endpoint_and_the_event_stream_follow_the_device_and_the_connection() {
    let mut sim = quiet_simulator();
    let device = sim.devices()[0].clone();
    device.set_tank_temperature(FIRST_C);
    let dashboard = Dashboard::start(&sim, POLL);

    let status = wait_until(PATIENCE, || {
        let status = dashboard.status().ok()?;
        (status["connection"]["state"] == "connected" && near(shown_temperature(&status), FIRST_C))
            .then_some(status)
    })
    .unwrap_or_else(|| {
        panic!(
            "never connected with ≈{FIRST_C} °C: {:?}",
            dashboard.status()
        )
    });
    assert_eq!(status["unit"], "°F");
    let card = &status["devices"][0];
    assert_eq!(card["name"], "Garage Water Heater");
    assert_eq!(card["macTail"], "…eeff");
    // The whole status is there too, in the dashboard's unit.
    let raw = card["status"]["dhwTemperature"].as_f64();
    assert!(near(raw, FIRST_C), "{raw:?}");
    for field in [
        "setpoint",
        "mode",
        "heating",
        "powerWatts",
        "tankChargePercent",
    ] {
        assert!(!card[field].is_null(), "{field} missing: {card}");
    }

    // The event stream starts with the current state, then follows the device.
    let (head, mut events) = open_event_stream(&dashboard.url);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/event-stream"),
        "{head}"
    );
    assert!(near(shown_temperature(&next_data(&mut events)), FIRST_C));
    device.set_tank_temperature(SECOND_C);
    let followed = wait_until(PATIENCE, || {
        near(shown_temperature(&next_data(&mut events)), SECOND_C).then_some(())
    });
    assert!(
        followed.is_some(),
        "the event stream never showed the change"
    );

    // An outage shows as reconnecting, and the recovery as connected again.
    sim.set_refuse_connections(true);
    sim.drop_all_connections();
    let outage = wait_until(PATIENCE, || {
        let state = next_data(&mut events)["connection"].clone();
        (state["state"] == "reconnecting").then_some(state)
    })
    .expect("the outage never showed");
    assert!(
        outage["label"]
            .as_str()
            .unwrap()
            .starts_with("reconnecting"),
        "{outage}"
    );
    sim.set_refuse_connections(false);
    let recovered = wait_until(PATIENCE, || {
        (next_data(&mut events)["connection"]["state"] == "connected").then_some(())
    });
    assert!(recovered.is_some(), "the recovery never showed");
    assert_eq!(
        dashboard.status().unwrap()["connection"]["state"],
        "connected"
    );

    drop(events);
    drop(dashboard);
    sim.shutdown();
}
