//! What became of the latest setting given through each control of a device: sending,
//! queued while offline, sent, expired, dropped, refused by the heater, or refused by
//! the library before anything was sent. Changed by the control requests and by the
//! client's command events; a stage never goes back (a late `command_sent` does not
//! undo a refusal).

use serde::Serialize;

use nwp500::events::Event;

/// A control of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Control {
    /// The setpoint.
    Temperature,
    /// The DHW mode.
    Mode,
    /// Vacation days.
    Vacation,
}

/// Where a setting is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Handed to the client.
    Sending,
    /// Offline: in the client's queue, sent after the recovery.
    Queued,
    /// Acknowledged by the broker.
    Sent,
    /// Queued too long: dropped when the link came back.
    Expired,
    /// Dropped from a full offline queue.
    Dropped,
    /// The heater refused it (`command_refused`).
    Refused,
    /// The library refused the value; nothing was sent.
    Invalid,
    /// The client could not send it.
    Failed,
}

impl Stage {
    /// Order of the stages: a setting only moves to a higher one.
    fn rank(self) -> u8 {
        match self {
            Self::Sending => 0,
            Self::Queued => 1,
            Self::Sent => 2,
            _ => 3,
        }
    }

    fn is_final(self) -> bool {
        self.rank() == 3
    }
}

/// The latest setting of one control.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Setting {
    /// The value as given, for people (`125 °F`, `Energy Saver`, `7 days`).
    pub value: String,
    /// Its command code.
    pub code: u32,
    /// Where it is.
    pub stage: Stage,
    /// The stage in words (for refusals and errors, the reason).
    pub text: String,
    /// When the stage was reached (ms since the Unix epoch).
    pub at: u64,
    /// Order of the requests, to find the latest among controls sharing a code.
    #[serde(skip)]
    order: u64,
}

/// The latest refusal from the heater, whichever control (or other application) it
/// concerned.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Refusal {
    /// When (ms since the Unix epoch).
    pub at: u64,
    /// Why, as the client reported it.
    pub reason: String,
}

/// What a request for a setting came to, as the client answered it.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Acknowledged by the broker.
    Sent,
    /// Queued while offline.
    Queued,
    /// Refused by the library's validation (its error text).
    Invalid(String),
    /// Not sent for another reason (the error text).
    Failed(String),
}

/// The controls of one device.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ControlPanel {
    /// The latest setpoint given.
    pub temperature: Option<Setting>,
    /// The latest mode given.
    pub mode: Option<Setting>,
    /// The latest vacation given.
    pub vacation: Option<Setting>,
    /// The latest refusal by the heater.
    pub refusal: Option<Refusal>,
    #[serde(skip)]
    requests: u64,
}

impl ControlPanel {
    fn slot(&mut self, control: Control) -> &mut Option<Setting> {
        match control {
            Control::Temperature => &mut self.temperature,
            Control::Mode => &mut self.mode,
            Control::Vacation => &mut self.vacation,
        }
    }

    fn slots(&mut self) -> [&mut Option<Setting>; 3] {
        [&mut self.temperature, &mut self.mode, &mut self.vacation]
    }

    /// `value` (command `code`) was just given through `control`.
    pub fn requested(&mut self, control: Control, value: String, code: u32, at: u64) {
        self.requests += 1;
        let order = self.requests;
        *self.slot(control) = Some(Setting {
            value,
            code,
            stage: Stage::Sending,
            text: "sending…".to_owned(),
            at,
            order,
        });
    }

    /// The client answered the request of `control`.
    pub fn answered(&mut self, control: Control, answer: Answer, at: u64) {
        if let Some(setting) = self.slot(control) {
            let (stage, text) = match answer {
                Answer::Sent => (Stage::Sent, sent_text()),
                Answer::Queued => (Stage::Queued, queued_text()),
                Answer::Invalid(text) => (Stage::Invalid, text),
                Answer::Failed(text) => (Stage::Failed, text),
            };
            advance(setting, stage, text, at);
        }
    }

    /// Applies a command event of this device; `true` when something changed.
    pub fn apply(&mut self, at: u64, event: &Event) -> bool {
        let (code, stage, text) = match event {
            Event::CommandQueued { command, .. } => (Some(*command), Stage::Queued, queued_text()),
            Event::CommandSent { command, .. } => (Some(*command), Stage::Sent, sent_text()),
            Event::CommandExpired { command, age, .. } => (
                Some(*command),
                Stage::Expired,
                format!(
                    "not sent: it waited {} s in the offline queue, longer than allowed",
                    age.as_secs()
                ),
            ),
            Event::CommandDropped { command, .. } => (
                Some(*command),
                Stage::Dropped,
                "not sent: the offline queue was full".to_owned(),
            ),
            Event::CommandRefused {
                command, reason, ..
            } => {
                self.refusal = Some(Refusal {
                    at,
                    reason: reason.clone(),
                });
                // A refusal usually names no command: it is the latest one sent.
                if let Some(setting) = self.latest_open(*command) {
                    advance(
                        setting,
                        Stage::Refused,
                        format!("refused by the heater: {reason}"),
                        at,
                    );
                }
                return true;
            }
            _ => return false,
        };
        match self.latest_open(code) {
            Some(setting) => advance(setting, stage, text, at),
            None => false,
        }
    }

    /// The most recently requested setting not in a final stage, with `code` if given.
    fn latest_open(&mut self, code: Option<u32>) -> Option<&mut Setting> {
        self.slots()
            .into_iter()
            .filter_map(Option::as_mut)
            .filter(|s| !s.stage.is_final() && code.is_none_or(|c| c == s.code))
            .max_by_key(|s| s.order)
    }
}

/// Moves `setting` to `stage` unless it is there or further already.
fn advance(setting: &mut Setting, stage: Stage, text: String, at: u64) -> bool {
    if stage.rank() <= setting.stage.rank() {
        return false;
    }
    setting.stage = stage;
    setting.text = text;
    setting.at = at;
    true
}

fn sent_text() -> String {
    "sent".to_owned()
}

fn queued_text() -> String {
    "queued while offline; sent when the link is back".to_owned()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const MAC: &str = "aabbccddeeff";
    const TEMPERATURE: u32 = 33_554_464;
    const DHW_MODE: u32 = 33_554_437;

    fn stage(setting: &Option<Setting>) -> Option<Stage> {
        setting.as_ref().map(|s| s.stage)
    }

    #[test]
    fn queued_then_sent_after_the_recovery() {
        let mut p = ControlPanel::default();
        p.requested(Control::Temperature, "125 °F".into(), TEMPERATURE, 1);
        assert_eq!(stage(&p.temperature), Some(Stage::Sending));
        // The event may come before the client's answer: both orders end the same.
        assert!(p.apply(
            2,
            &Event::CommandQueued {
                device: crate::test_reports::mac(MAC),
                command: TEMPERATURE,
                queue_len: 1
            }
        ));
        p.answered(Control::Temperature, Answer::Queued, 3);
        assert_eq!(stage(&p.temperature), Some(Stage::Queued));
        assert!(p.apply(
            9,
            &Event::CommandSent {
                device: crate::test_reports::mac(MAC),
                command: TEMPERATURE
            }
        ));
        let setting = p.temperature.as_ref().unwrap();
        assert_eq!((setting.stage, setting.at), (Stage::Sent, 9));
        assert_eq!(setting.value, "125 °F");
    }

    #[test]
    fn expired_and_dropped_are_final() {
        let mut p = ControlPanel::default();
        p.requested(Control::Mode, "Electric".into(), DHW_MODE, 1);
        p.answered(Control::Mode, Answer::Queued, 2);
        assert!(p.apply(
            3,
            &Event::CommandExpired {
                device: crate::test_reports::mac(MAC),
                command: DHW_MODE,
                age: Duration::from_secs(301)
            }
        ));
        let setting = p.mode.as_ref().unwrap();
        assert_eq!(setting.stage, Stage::Expired);
        assert!(setting.text.contains("301 s"), "{}", setting.text);
        assert!(!p.apply(
            4,
            &Event::CommandSent {
                device: crate::test_reports::mac(MAC),
                command: DHW_MODE
            }
        ));

        p.requested(Control::Vacation, "7 days".into(), DHW_MODE, 5);
        assert!(p.apply(
            6,
            &Event::CommandDropped {
                device: crate::test_reports::mac(MAC),
                command: DHW_MODE
            }
        ));
        assert_eq!(stage(&p.vacation), Some(Stage::Dropped));
    }

    #[test]
    fn a_shared_code_goes_to_the_latest_request() {
        let mut p = ControlPanel::default();
        p.requested(Control::Mode, "Electric".into(), DHW_MODE, 1);
        p.requested(Control::Vacation, "7 days".into(), DHW_MODE, 2);
        p.apply(
            3,
            &Event::CommandQueued {
                device: crate::test_reports::mac(MAC),
                command: DHW_MODE,
                queue_len: 2,
            },
        );
        assert_eq!(stage(&p.vacation), Some(Stage::Queued));
        assert_eq!(stage(&p.mode), Some(Stage::Sending));
    }

    #[test]
    fn a_refusal_marks_the_latest_setting_and_stays() {
        let mut p = ControlPanel::default();
        p.requested(Control::Mode, "Electric".into(), DHW_MODE, 1);
        p.answered(Control::Mode, Answer::Sent, 2);
        p.requested(Control::Temperature, "130 °F".into(), TEMPERATURE, 3);
        assert!(p.apply(
            4,
            &Event::CommandRefused {
                device: Some(crate::test_reports::mac(MAC)),
                command: None,
                fail_code: Some(2),
                reason: "too soon after the previous control".into(),
            }
        ));
        let setting = p.temperature.as_ref().unwrap();
        assert_eq!(setting.stage, Stage::Refused);
        assert_eq!(
            setting.text,
            "refused by the heater: too soon after the previous control"
        );
        assert_eq!(
            stage(&p.mode),
            Some(Stage::Sent),
            "an earlier setting is not touched"
        );
        // The client's answer arriving after the refusal does not undo it.
        p.answered(Control::Temperature, Answer::Sent, 5);
        assert_eq!(stage(&p.temperature), Some(Stage::Refused));
        assert_eq!(p.refusal.as_ref().map(|r| r.at), Some(4));
    }

    #[test]
    fn a_refusal_of_no_setting_given_here_is_still_shown() {
        let mut p = ControlPanel::default();
        assert!(p.apply(
            1,
            &Event::CommandRefused {
                device: Some(crate::test_reports::mac(MAC)),
                command: None,
                fail_code: Some(2),
                reason: "too soon after the previous control".into(),
            }
        ));
        assert!(p.temperature.is_none());
        assert_eq!(
            serde_json::to_value(&p).unwrap()["refusal"]["reason"],
            "too soon after the previous control"
        );
    }

    #[test]
    fn the_library_s_refusal_text_is_kept() {
        let mut p = ControlPanel::default();
        p.requested(Control::Vacation, "45 days".into(), DHW_MODE, 1);
        let text = "vacation_days must be between 1 and 30 (got 45)".to_owned();
        p.answered(Control::Vacation, Answer::Invalid(text.clone()), 2);
        let setting = p.vacation.as_ref().unwrap();
        assert_eq!((setting.stage, &setting.text), (Stage::Invalid, &text));
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["vacation"]["stage"], "invalid");
        assert!(v["vacation"].get("order").is_none());
    }

    #[test]
    fn other_events_and_codes_change_nothing() {
        let mut p = ControlPanel::default();
        p.requested(Control::Temperature, "125 °F".into(), TEMPERATURE, 1);
        let before = p.clone();
        assert!(!p.apply(
            2,
            &Event::CommandSent {
                device: crate::test_reports::mac(MAC),
                command: 16_777_219
            }
        ));
        assert!(!p.apply(2, &Event::Disconnected));
        assert_eq!(p, before);
    }
}
