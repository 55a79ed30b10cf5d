//! Classification and decoding of incoming messages (docs/protocol.md §4.4, §5.5, §5.8).
//!
//! Status and feature answers are recognised by payload key wherever they arrive
//! (`response.status`, `response.st`, top-level `status`, `st`; likewise `feature`/`did`).
//! Reservation, TOU, energy and schedule answers are recognised by their client response
//! topic and decode the whole `response` object. Messages carrying a `request` and no
//! `response` are requests — our own echoed back by the broker, or another client's — and
//! are reported as [`Incoming::Echo`] so that nobody mistakes them for answers.
//!
//! Everything is decoded in one pass straight from the bytes; a payload that is not JSON
//! or does not match the protocol is a [`DecodeError`], never a panic.

use serde::Deserialize;

use super::energy::EnergyUsage;
use super::error::DecodeError;
use super::feature::Feature;
use super::lenient::{tolerant_int, tolerant_string};
use super::recirculation::RecirculationSchedule;
use super::reservation::ReservationSchedule;
use super::status::Status;
use super::topics::{response_suffix_of, ResponseSuffix};
use super::tou::TouSchedule;

/// `failCode` meaning "too soon": controls are locked for a while (§5.8).
pub const FAIL_CODE_TOO_SOON: i64 = 2;

/// A decoded incoming message.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Incoming {
    /// A status (answer to a poll, or a control acknowledgement: see `Status::command`).
    Status(Box<Status>),
    /// A feature (device info) payload.
    Feature(Box<Feature>),
    /// A reservation read answer or write echo (`…/res/rsv/rd`).
    Reservation(ReservationSchedule),
    /// A weekly reservation answer (`…/res/rsv-weekly/rd`).
    WeeklyReservation(ReservationSchedule),
    /// A TOU read answer or write echo (`…/res/tou/rd`).
    Tou(TouSchedule),
    /// An energy usage answer.
    Energy(EnergyUsage),
    /// A recirculation schedule answer (`…/res/recirc-rsv/rd`).
    RecirculationSchedule(RecirculationSchedule),
    /// A request seen on a subscribed topic (ours or another client's): not an answer.
    Echo(RequestEcho),
    /// The device refused a control (`…/res/controlfail`, §5.8).
    ControlRefused(ControlRefusal),
    /// Valid JSON that is none of the above; ignore it.
    Unknown,
}

/// What is known about an echoed request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestEcho {
    /// `request.command`, if it is a number.
    pub command: Option<i64>,
    /// The envelope's `clientID`, if present (compare with our own to tell our echoes).
    pub client_id: Option<String>,
}

/// A control refusal frame (`{"response": {"failCode": n}}`). It names no command, so it
/// cannot be matched to a request; hold further controls for the device briefly instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub struct ControlRefusal {
    /// `failCode`, if it is a number.
    #[serde(rename = "failCode", default, deserialize_with = "tolerant_int")]
    pub fail_code: Option<i64>,
}

impl ControlRefusal {
    /// Whether the refusal means "too soon" (rate limited).
    pub fn is_rate_limited(&self) -> bool {
        self.fail_code == Some(FAIL_CODE_TOO_SOON)
    }
}

/// The `request` member: only its command is of interest.
#[derive(Debug, Default, Deserialize)]
struct RequestPeek {
    #[serde(default, deserialize_with = "tolerant_int")]
    command: Option<i64>,
}

/// `response` of a status/feature message.
#[derive(Debug, Default, Deserialize)]
struct StatusOrFeature {
    #[serde(default)]
    status: Option<Status>,
    #[serde(default)]
    st: Option<Status>,
    #[serde(default)]
    feature: Option<Feature>,
    #[serde(default)]
    did: Option<Feature>,
}

/// Envelope of anything arriving through the device wildcard (or any unrecognised topic).
#[derive(Debug, Deserialize)]
struct DeviceEnvelope {
    #[serde(default)]
    request: Option<RequestPeek>,
    #[serde(rename = "clientID", default, deserialize_with = "tolerant_string")]
    client_id: Option<String>,
    #[serde(default)]
    response: Option<StatusOrFeature>,
    #[serde(default)]
    status: Option<Status>,
    #[serde(default)]
    st: Option<Status>,
    #[serde(default)]
    feature: Option<Feature>,
    #[serde(default)]
    did: Option<Feature>,
}

/// Envelope of a client-addressed answer whose `response` decodes as `R`.
#[derive(Debug, Deserialize)]
#[serde(bound = "R: Deserialize<'de>")]
struct ClientEnvelope<R> {
    #[serde(default)]
    request: Option<RequestPeek>,
    #[serde(rename = "clientID", default, deserialize_with = "tolerant_string")]
    client_id: Option<String>,
    #[serde(default)]
    response: Option<R>,
}

fn echo(request: Option<RequestPeek>, client_id: Option<String>) -> Incoming {
    match request {
        Some(r) => Incoming::Echo(RequestEcho {
            command: r.command,
            client_id,
        }),
        None => Incoming::Unknown,
    }
}

fn client_answer<'a, R: Deserialize<'a>>(
    payload: &'a [u8],
    wrap: impl FnOnce(R) -> Incoming,
) -> Result<Incoming, DecodeError> {
    let env: ClientEnvelope<R> = serde_json::from_slice(payload)?;
    Ok(match env.response {
        Some(r) => wrap(r),
        None => echo(env.request, env.client_id),
    })
}

/// Classifies and decodes one incoming MQTT message.
pub fn classify(topic: &str, payload: &[u8]) -> Result<Incoming, DecodeError> {
    match response_suffix_of(topic) {
        Some(ResponseSuffix::RsvRd) => client_answer(payload, Incoming::Reservation),
        Some(ResponseSuffix::RsvWeeklyRd) => client_answer(payload, Incoming::WeeklyReservation),
        Some(ResponseSuffix::TouRd) => client_answer(payload, Incoming::Tou),
        Some(ResponseSuffix::EnergyUsageDailyQueryRd) => client_answer(payload, Incoming::Energy),
        Some(ResponseSuffix::RecircRsvRd) => {
            client_answer(payload, Incoming::RecirculationSchedule)
        }
        Some(ResponseSuffix::ControlFail) => client_answer(payload, Incoming::ControlRefused),
        None => classify_device_message(payload),
    }
}

fn classify_device_message(payload: &[u8]) -> Result<Incoming, DecodeError> {
    let env: DeviceEnvelope = serde_json::from_slice(payload)?;
    let had_response = env.response.is_some();
    let mut response = env.response.unwrap_or_default();
    // Lookup precedence of §5.5: response.status, response.st, status, st.
    if let Some(s) = response
        .status
        .take()
        .or(response.st.take())
        .or(env.status)
        .or(env.st)
    {
        return Ok(Incoming::Status(Box::new(s)));
    }
    if let Some(f) = response
        .feature
        .take()
        .or(response.did.take())
        .or(env.feature)
        .or(env.did)
    {
        return Ok(Incoming::Feature(Box::new(f)));
    }
    if had_response {
        // An answer of a kind this layer does not know (or an empty one).
        return Ok(Incoming::Unknown);
    }
    Ok(echo(env.request, env.client_id))
}
