//! Topic strings (docs/protocol.md §4.1). Only builders: matching topic filters is the
//! subscription registry's job.
//!
//! AWS IoT does not accept wildcards inside a level, so device wildcards use `#` as a
//! whole level after `navilink-{mac}`.

use super::ids::{ClientId, DeviceRef};

/// Suffixes requests are published under, below `cmd/{dt}/navilink-{mac}/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestSuffix {
    /// `ctrl`: every mode/param control, weekly reservation, recirculation schedule, OTA.
    Ctrl,
    /// `st`: status request.
    St,
    /// `st/did`: feature (device info) request.
    StDid,
    /// `st/rsv/rd`: reservation read.
    StRsvRd,
    /// `ctrl/rsv/rd`: reservation write.
    CtrlRsvRd,
    /// `ctrl/tou/rd`: TOU read / write.
    CtrlTouRd,
    /// `st/energy-usage-daily-query/rd`: energy usage query.
    StEnergyUsageDailyQueryRd,
}

impl RequestSuffix {
    /// The suffix text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ctrl => "ctrl",
            Self::St => "st",
            Self::StDid => "st/did",
            Self::StRsvRd => "st/rsv/rd",
            Self::CtrlRsvRd => "ctrl/rsv/rd",
            Self::CtrlTouRd => "ctrl/tou/rd",
            Self::StEnergyUsageDailyQueryRd => "st/energy-usage-daily-query/rd",
        }
    }
}

/// Suffixes of client-addressed answers, below `cmd/{dt}/{cid}/res/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponseSuffix {
    /// `rsv/rd`: reservation read/write echoes.
    RsvRd,
    /// `tou/rd`: TOU read/write echoes.
    TouRd,
    /// `energy-usage-daily-query/rd`: energy usage answers.
    EnergyUsageDailyQueryRd,
    /// `rsv-weekly/rd`: weekly reservation answers (parser only; no request produces them).
    RsvWeeklyRd,
    /// `recirc-rsv/rd`: recirculation schedule answers (parser only).
    RecircRsvRd,
    /// `controlfail`: control refusals seen on other NaviLink families (§5.8).
    ControlFail,
}

impl ResponseSuffix {
    /// Every suffix, for classification.
    pub const ALL: [ResponseSuffix; 6] = [
        Self::RsvRd,
        Self::TouRd,
        Self::EnergyUsageDailyQueryRd,
        Self::RsvWeeklyRd,
        Self::RecircRsvRd,
        Self::ControlFail,
    ];

    /// The suffix text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RsvRd => "rsv/rd",
            Self::TouRd => "tou/rd",
            Self::EnergyUsageDailyQueryRd => "energy-usage-daily-query/rd",
            Self::RsvWeeklyRd => "rsv-weekly/rd",
            Self::RecircRsvRd => "recirc-rsv/rd",
            Self::ControlFail => "controlfail",
        }
    }
}

/// Suffixes of device event topics, below `evt/{dt}/navilink-{mac}/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventSuffix {
    /// `app-connection` (§5.7).
    AppConnection,
}

impl EventSuffix {
    /// The suffix text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AppConnection => "app-connection",
        }
    }
}

/// `navilink-{mac}`: the device path segment.
pub fn device_segment(device: &DeviceRef) -> String {
    format!("navilink-{}", device.mac.as_str())
}

/// `cmd/{dt}/navilink-{mac}/{suffix}`: where a request is published.
pub fn command_topic(device: &DeviceRef, suffix: RequestSuffix) -> String {
    format!(
        "cmd/{}/navilink-{}/{}",
        device.device_type,
        device.mac.as_str(),
        suffix.as_str()
    )
}

/// `cmd/{dt}/navilink-{mac}/#`: status, feature and control acknowledgements (and echoes of
/// every request published under the device, ours included).
pub fn device_wildcard(device: &DeviceRef) -> String {
    format!(
        "cmd/{}/navilink-{}/#",
        device.device_type,
        device.mac.as_str()
    )
}

/// `cmd/{dt}/navilink-{mac}/{cid}/res`: the default `responseTopic` of status, feature and
/// control requests; answers arrive through [`device_wildcard`].
pub fn default_response_topic(device: &DeviceRef, client_id: &ClientId) -> String {
    format!(
        "cmd/{}/navilink-{}/{}/res",
        device.device_type,
        device.mac.as_str(),
        client_id.as_str()
    )
}

/// `cmd/{dt}/{cid}/res/{suffix}`: a client-addressed answer topic.
pub fn client_response_topic(
    device_type: u32,
    client_id: &ClientId,
    suffix: ResponseSuffix,
) -> String {
    format!(
        "cmd/{}/{}/res/{}",
        device_type,
        client_id.as_str(),
        suffix.as_str()
    )
}

/// `cmd/{dt}/{cid}/res/#`: everything addressed to this client (a superset of the
/// [`client_response_topic`]s, and the only filter that sees `controlfail` frames).
pub fn client_response_wildcard(device_type: u32, client_id: &ClientId) -> String {
    format!("cmd/{}/{}/res/#", device_type, client_id.as_str())
}

/// `evt/{dt}/navilink-{mac}/{suffix}`: a device event topic.
pub fn event_topic(device: &DeviceRef, suffix: EventSuffix) -> String {
    format!(
        "evt/{}/navilink-{}/{}",
        device.device_type,
        device.mac.as_str(),
        suffix.as_str()
    )
}

/// `evt/{dt}/navilink-{mac}/#`: every event of a device.
pub fn event_wildcard(device: &DeviceRef) -> String {
    format!(
        "evt/{}/navilink-{}/#",
        device.device_type,
        device.mac.as_str()
    )
}

/// Which client-response suffix a topic ends with, if it is of the form
/// `cmd/{dt}/{cid}/res/{suffix}` (device topics such as `…/ctrl/rsv/rd` do not match).
pub fn response_suffix_of(topic: &str) -> Option<ResponseSuffix> {
    let rest = topic.strip_prefix("cmd/")?;
    ResponseSuffix::ALL.into_iter().find(|s| {
        rest.strip_suffix(s.as_str())
            .and_then(|head| head.strip_suffix("/res/"))
            // `{dt}/{cid}`: exactly two levels before `res`.
            .is_some_and(|head| head.split('/').count() == 2)
    })
}
