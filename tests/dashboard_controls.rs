//! The dashboard's history charts, connection story and controls end to end: a simulator
//! in this process, the example as a child process pointed at it, and Debian's headless
//! chromium showing its page.
//!
//! Without chromium the browser tests fail with a message naming what is missing.

mod dashboard_support;

use std::time::Duration;

use nwp500::protocol::{HalfCelsius, UnitSystem};
use nwp500_sim::{DeviceHandle, SimConfig, Simulator};
use serde_json::{json, Value};

use dashboard_support::{
    fahrenheit, http_post, leading_number, require_chromium, wait_until, Browser, Dashboard,
};

const MAC: &str = "aabbccddeeff";
const POLL: Duration = Duration::from_millis(300);
const PATIENCE: Duration = Duration::from_secs(30);

/// A short window, so the charts' time axis is seconds wide and every poll shows.
const WINDOW_HOURS: &str = "0.05";

const DHW_TEMPERATURE: u64 = 33_554_464;
const DHW_MODE: u64 = 33_554_437;

fn quiet_simulator() -> Simulator {
    // No random hot-water draws: the tank changes only when the test changes it.
    Simulator::start(SimConfig {
        random_draws: false,
        ..SimConfig::default()
    })
    .expect("start the simulator")
}

fn start(sim: &Simulator) -> Dashboard {
    Dashboard::start_with(sim, POLL, &["--history-hours", WINDOW_HOURS])
}

fn id(prefix: &str) -> String {
    format!("{prefix}-{MAC}")
}

/// The raw setpoint the simulated heater holds (half degrees Celsius).
fn raw_setpoint(device: &DeviceHandle) -> Option<i64> {
    device.status()["dhwTemperatureSetting"].as_i64()
}

fn encoded_fahrenheit(value: f64) -> i64 {
    HalfCelsius::encode(value, UnitSystem::UsCustomary)
        .expect("a setpoint in range")
        .0
}

/// Waits until the page is connected and shows the device's limits (its feature report
/// arrived), so the controls are validated against them.
fn wait_for_controls(browser: &mut Browser) {
    let ready = wait_until(PATIENCE, || {
        let connected = browser.text_of("connection").ok()?? == "connected";
        let range = browser.text_of(&id("range")).ok()??;
        (connected && range.contains('–')).then_some(())
    });
    assert!(
        ready.is_some(),
        "the page never showed the setpoint range: connection {:?}, range {:?}",
        browser.text_of("connection"),
        browser.text_of(&id("range"))
    );
}

/// Waits until the outcome shown next to `control` is at `stage`; returns its text.
fn wait_for_stage(browser: &mut Browser, control: &str, stage: &str) -> String {
    let output = format!("ctl-{control}-{MAC}");
    wait_until(PATIENCE, || {
        let shown = browser
            .attribute(&format!("#{output}"), "data-stage")
            .ok()??;
        (shown == stage).then(|| browser.text_of(&output).ok().flatten())?
    })
    .unwrap_or_else(|| {
        panic!(
            "the {control} control never showed {stage}: {:?} {:?}",
            browser.attribute(&format!("#{output}"), "data-stage"),
            browser.text_of(&output)
        )
    })
}

fn drawn_points(browser: &mut Browser, selector: &str, attribute: &str) -> Option<u64> {
    browser.attribute(selector, attribute).ok()??.parse().ok()
}

#[test]
fn a_chart_shows_points_from_several_polls() {
    let chromium = require_chromium();
    let mut sim = quiet_simulator();
    let dashboard = start(&sim);
    let mut browser = Browser::open(&chromium, &dashboard.url).expect("open the page");

    let chart = format!("#chart-temps-{MAC}");
    let first = wait_until(PATIENCE, || {
        drawn_points(&mut browser, &chart, "data-points").filter(|n| *n >= 4)
    })
    .unwrap_or_else(|| {
        panic!(
            "the temperature chart never drew 4 points: {:?}",
            browser.attribute(&chart, "data-points")
        )
    });
    for series in ["upper", "lower", "setpoint"] {
        let count = drawn_points(
            &mut browser,
            &format!("{chart} path.{series}"),
            "data-count",
        );
        assert!(count.is_some_and(|n| n >= 4), "{series}: {count:?}");
    }
    for (chart, series) in [("power", "power"), ("charge", "charge")] {
        let selector = format!("#chart-{chart}-{MAC} path.{series}");
        let count = drawn_points(&mut browser, &selector, "data-count");
        assert!(count.is_some_and(|n| n >= 1), "{series}: {count:?}");
    }

    // Those points are distinct polls: the dashboard kept one sample per status.
    let history = dashboard.history().expect("/api/history");
    let times: Vec<u64> = history["devices"][MAC]
        .as_array()
        .expect("a history of the device")
        .iter()
        .filter_map(|s| s["t"].as_u64())
        .collect();
    assert!(times.len() >= 4, "{history}");
    assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");

    // The chart grows with the next polls, through the event stream (no reload).
    browser.evaluate("window.sameDocument = 7").unwrap();
    let grown = wait_until(PATIENCE, || {
        drawn_points(&mut browser, &chart, "data-points").filter(|n| *n >= first + 3)
    });
    assert!(grown.is_some(), "the chart stopped at {first} points");
    assert_eq!(browser.evaluate("window.sameDocument").unwrap(), 7);

    drop(browser);
    drop(dashboard);
    sim.shutdown();
}

#[test]
fn setting_the_temperature_in_the_page_changes_the_simulated_setpoint() {
    let chromium = require_chromium();
    let mut sim = quiet_simulator();
    let device = sim.devices()[0].clone();
    let dashboard = start(&sim);
    let mut browser = Browser::open(&chromium, &dashboard.url).expect("open the page");
    wait_for_controls(&mut browser);
    let before = raw_setpoint(&device);

    // Out of the device's range: refused in the page with the library's words, not sent.
    browser
        .fill_and_click(&id("input-temperature"), "170", &id("set-temperature"))
        .unwrap();
    let refused = wait_for_stage(&mut browser, "temperature", "invalid");
    assert!(
        refused.contains("temperature must be between") && refused.contains("(got 170)"),
        "{refused}"
    );
    assert_eq!(device.command_count(DHW_TEMPERATURE), 0);
    assert_eq!(raw_setpoint(&device), before);

    // In range: sent, and the heater holds it.
    browser
        .fill_and_click(&id("input-temperature"), "125", &id("set-temperature"))
        .unwrap();
    let target = encoded_fahrenheit(125.0);
    let applied = wait_until(PATIENCE, || {
        (raw_setpoint(&device) == Some(target)).then_some(())
    });
    assert!(
        applied.is_some(),
        "the simulated setpoint is {:?}, not {target}",
        raw_setpoint(&device)
    );
    let sent = wait_for_stage(&mut browser, "temperature", "sent");
    assert!(sent.starts_with("125 °F: sent"), "{sent}");
    // The next poll shows it on the card.
    let shown = wait_until(PATIENCE, || {
        let text = browser.text_of(&id("setpoint")).ok()??;
        leading_number(&text)
            .filter(|v| (v - 125.0).abs() <= 0.6)
            .map(|_| text)
    });
    assert!(
        shown.is_some(),
        "the card shows {:?}",
        browser.text_of(&id("setpoint"))
    );

    drop(browser);
    drop(dashboard);
    sim.shutdown();
}

#[test]
fn an_outage_shows_as_a_band_and_its_recovery_as_its_end() {
    let chromium = require_chromium();
    let mut sim = quiet_simulator();
    let device = sim.devices()[0].clone();
    device.set_tank_temperature(35.0);
    let dashboard = start(&sim);
    let mut browser = Browser::open(&chromium, &dashboard.url).expect("open the page");
    wait_for_controls(&mut browser);
    let chart = format!("#chart-temps-{MAC}");
    assert_eq!(browser.count(&format!("{chart} rect.band")).unwrap(), 0);

    sim.set_refuse_connections(true);
    sim.drop_all_connections();
    let ongoing = format!("{chart} rect.band.outage.ongoing");
    let start = wait_until(PATIENCE, || {
        (browser.count(&ongoing).ok()? == 1)
            .then(|| browser.attribute(&ongoing, "data-start").ok().flatten())?
    })
    .expect("the outage never showed as a band");
    assert_eq!(
        browser.attribute(&ongoing, "data-end").unwrap().as_deref(),
        Some("")
    );
    assert_eq!(
        browser
            .count("#episodes li[data-outcome='ongoing']")
            .unwrap(),
        1
    );
    // The values shown are the last known ones, marked stale.
    let stale = wait_until(PATIENCE, || {
        browser
            .text_of(&id("stale"))
            .ok()?
            .filter(|t| !t.is_empty())
    });
    assert!(stale.is_some(), "the card is not marked stale");

    // A control given now is queued.
    browser
        .fill_and_click(&id("input-mode"), "electric", &id("set-mode"))
        .unwrap();
    let queued = wait_for_stage(&mut browser, "mode", "queued");
    assert!(queued.starts_with("Electric: queued"), "{queued}");

    // A page opened during the outage: the last values, stale, the outage in progress.
    let mut late = Browser::open(&chromium, &dashboard.url).expect("open a second page");
    let late_view = wait_until(PATIENCE, || {
        let temperature = late.text_of(&id("temp")).ok()??;
        let stale = late.text_of(&id("stale")).ok()??;
        let bands = late.count(&ongoing).ok()?;
        let water = leading_number(&temperature)?;
        (!stale.is_empty() && bands == 1).then_some(water)
    })
    .expect("a page opened during the outage shows no stale values with the outage");
    assert!(
        (late_view - fahrenheit(35.0)).abs() < 3.0,
        "{late_view} °F shown"
    );
    assert_eq!(
        late.attribute(&ongoing, "data-start").unwrap().as_deref(),
        Some(start.as_str())
    );
    drop(late);

    sim.set_refuse_connections(false);
    let ended = format!("{chart} rect.band.outage.ended[data-start='{start}']");
    let end = wait_until(PATIENCE, || browser.attribute(&ended, "data-end").ok()?)
        .expect("the recovery never ended the band");
    let (start_ms, end_ms): (u64, u64) = (start.parse().unwrap(), end.parse().unwrap());
    assert!(end_ms > start_ms, "{start_ms} → {end_ms}");
    assert_eq!(browser.count(&ongoing).unwrap(), 0);
    assert_eq!(
        browser
            .count("#episodes li[data-outcome='recovered']")
            .unwrap(),
        1
    );
    let item = browser
        .evaluate("document.querySelector(\"#episodes li[data-outcome='recovered']\").textContent")
        .unwrap();
    assert!(item.as_str().is_some_and(|t| t.contains("Down ")), "{item}");

    // The queued control was sent after the recovery, and the heater took it.
    wait_for_stage(&mut browser, "mode", "sent");
    let param = wait_until(PATIENCE, || {
        device
            .commands_with_code(DHW_MODE)
            .last()
            .and_then(|c| c.param().cloned())
    });
    assert_eq!(param, Some(vec![json!(2)]), "electric is mode 2");
    let fresh = wait_until(PATIENCE, || {
        browser.text_of(&id("stale")).ok()?.filter(String::is_empty)
    });
    assert!(fresh.is_some(), "still marked stale after the recovery");

    drop(browser);
    drop(dashboard);
    sim.shutdown();
}

#[test]
fn a_refusal_by_the_heater_shows_next_to_the_control() {
    let chromium = require_chromium();
    let mut sim = quiet_simulator();
    let device = sim.devices()[0].clone();
    let dashboard = start(&sim);
    let mut browser = Browser::open(&chromium, &dashboard.url).expect("open the page");
    wait_for_controls(&mut browser);
    let before = raw_setpoint(&device);

    device.refuse_next_controls(1);
    browser
        .fill_and_click(&id("input-temperature"), "130", &id("set-temperature"))
        .unwrap();
    let refused = wait_for_stage(&mut browser, "temperature", "refused");
    assert!(
        refused.contains("refused by the heater: too soon after the previous control"),
        "{refused}"
    );
    let note = browser.text_of(&id("refusal")).unwrap().unwrap_or_default();
    assert!(note.contains("too soon"), "{note}");
    assert_eq!(
        raw_setpoint(&device),
        before,
        "a refused control is not applied"
    );
    let snapshot = dashboard.status().unwrap();
    assert_eq!(
        snapshot["devices"][0]["controls"]["refusal"]["reason"],
        "too soon after the previous control"
    );

    // Given again, it goes through.
    browser
        .fill_and_click(&id("input-temperature"), "130", &id("set-temperature"))
        .unwrap();
    let target = encoded_fahrenheit(130.0);
    let applied = wait_until(PATIENCE, || {
        (raw_setpoint(&device) == Some(target)).then_some(())
    });
    assert!(applied.is_some(), "{:?}", raw_setpoint(&device));
    wait_for_stage(&mut browser, "temperature", "sent");

    drop(browser);
    drop(dashboard);
    sim.shutdown();
}

#[test]
fn the_control_endpoints_answer_with_the_library_s_words() {
    let mut sim = quiet_simulator();
    let device = sim.devices()[0].clone();
    let dashboard = start(&sim);
    let ready = wait_until(PATIENCE, || {
        let status = dashboard.status().ok()?;
        (status["connection"]["state"] == "connected"
            && status["devices"][0]["limits"]["known"] == true)
            .then_some(())
    });
    assert!(ready.is_some(), "{:?}", dashboard.status());
    let path = |control: &str| format!("/api/devices/{MAC}/{control}");

    let (code, answer) = dashboard
        .post(&path("temperature"), &json!({"temperature": 170}))
        .unwrap();
    assert_eq!(code, 400);
    let error = answer["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with("temperature must be between") && error.ends_with("(got 170)"),
        "{error}"
    );
    let (code, answer) = dashboard
        .post(&path("vacation"), &json!({"days": 45}))
        .unwrap();
    assert_eq!(
        (code, answer),
        (
            400,
            json!({"error": "vacation_days must be between 1 and 30 (got 45)"})
        )
    );
    let (code, answer) = dashboard
        .post(&path("mode"), &json!({"mode": "turbo"}))
        .unwrap();
    assert_eq!(code, 400);
    assert!(answer["error"]
        .as_str()
        .is_some_and(|e| e.contains("energy_saver")));
    let (code, _) = dashboard
        .post(
            "/api/devices/020000000001/mode",
            &json!({"mode": "electric"}),
        )
        .unwrap();
    assert_eq!(code, 404);
    // What a form of another site could make a browser send is not a control.
    let (code, _) = http_post(
        &dashboard.url,
        &path("mode"),
        "text/plain",
        r#"{"mode": "electric"}"#,
    )
    .unwrap();
    assert_eq!(code, 415);
    assert_eq!(
        device.command_count(DHW_MODE),
        0,
        "nothing invalid was sent"
    );

    let (code, answer) = dashboard
        .post(&path("vacation"), &json!({"days": 7}))
        .unwrap();
    assert_eq!((code, answer), (200, json!({"stage": "sent"})));
    let param = wait_until(PATIENCE, || {
        device
            .commands_with_code(DHW_MODE)
            .last()
            .and_then(|c| c.param().cloned())
    });
    assert_eq!(param, Some(vec![json!(5), json!(7)]));
    let status: Value = dashboard.status().unwrap();
    let controls = &status["devices"][0]["controls"];
    assert_eq!(controls["vacation"]["stage"], "sent");
    assert_eq!(controls["vacation"]["value"], "7 days");
    assert_eq!(controls["temperature"]["stage"], "invalid");

    drop(dashboard);
    sim.shutdown();
}
