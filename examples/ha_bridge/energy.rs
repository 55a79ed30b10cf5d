//! The cumulative energy sensor: the device's own daily counters for the current month
//! (an energy-usage request), summed to kWh.
//!
//! The status carries no energy counter, and integrating the power figure would lose
//! whatever happened while the bridge was not running; the device's counters do not.
//! The month's sum only grows until the month ends and then starts again from zero,
//! which Home Assistant's `total_increasing` state class reads as a meter reset.

use nwp500::client::{Client, DeviceSummary};
use nwp500::protocol::{Command, EnergyUsage};
use nwp500::subscriptions::{AddHandler, EnergyUpdate, HandlerSink};
use tokio::sync::mpsc;

/// The request for the current month (UTC: the device's time zone is not known here).
pub fn request_now() -> Command {
    let today = time::OffsetDateTime::now_utc().date();
    Command::RequestEnergyUsage {
        year: u16::try_from(today.year()).unwrap_or(u16::MAX),
        months: vec![u8::from(today.month())],
    }
}

/// The latest month of an energy answer, summed (heat pump and elements), in kWh;
/// `None` when the answer holds no month.
pub fn latest_month_kwh(usage: &EnergyUsage) -> Option<f64> {
    let month = usage.months.iter().max_by_key(|m| (m.year, m.month))?;
    let wh: i64 = month.days.iter().map(|d| d.total_usage()).sum();
    Some(wh as f64 / 1000.0)
}

/// Sends the device's energy answers to `sink`. Registered once per device; the
/// library keeps the registration across reconnections.
pub async fn follow(
    client: &Client,
    summary: &DeviceSummary,
    sink: mpsc::Sender<EnergyUpdate>,
) -> Result<(), String> {
    let device = summary.device_ref().map_err(|e| e.to_string())?;
    client
        .actors()
        .add_handler
        .send(AddHandler::energy(device, HandlerSink::Channel(sink)))
        .await
        .map_err(|_| "the subscriptions actor is gone".to_owned())?
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_month_is_summed_in_kwh() {
        let answer = serde_json::json!({
            "total": {"hpUsage": 9999, "heUsage": 0, "hpTime": 1, "heTime": 0},
            "usage": [
                {"year": 2026, "month": 2, "data": [
                    {"hpUsage": 1000, "heUsage": 500, "hpTime": 2, "heTime": 1},
                    {"hpUsage": 800, "heUsage": 0, "hpTime": 2, "heTime": 0}
                ]},
                {"year": 2026, "month": 1, "data": [
                    {"hpUsage": 5000, "heUsage": 0, "hpTime": 9, "heTime": 0}
                ]}
            ]
        });
        let usage = EnergyUsage::from_json(answer.to_string().as_bytes()).unwrap();
        assert_eq!(latest_month_kwh(&usage), Some(2.3));
        let empty = EnergyUsage::from_json(br#"{"total": {}, "usage": []}"#).unwrap();
        assert_eq!(latest_month_kwh(&empty), None);
    }

    #[test]
    fn the_request_names_this_month() {
        match request_now() {
            Command::RequestEnergyUsage { year, months } => {
                assert!(year >= 2024);
                assert_eq!(months.len(), 1);
                assert!((1..=12).contains(&months[0]));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
