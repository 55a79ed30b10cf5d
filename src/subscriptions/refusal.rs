//! Control refusals (`…/res/controlfail` frames, docs/protocol.md §5.8) as
//! [`Event::CommandRefused`].
//!
//! A refusal frame arrives on the client response topic `cmd/{dt}/{cid}/res/controlfail`,
//! which names the client, not the device, and its body is usually only
//! `{"response": {"failCode": n}}`. So the device is the one the frame names if it names
//! one, else the only device of that type the client follows; the command code is
//! reported only when the frame carries it.

use serde::Deserialize;
use serde_json::Value;

use crate::events::Event;
use crate::protocol::{ControlRefusal, MacAddress};

/// What one refusal frame says, before the device is attributed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SeenRefusal {
    fail_code: Option<i64>,
    rate_limited: bool,
    /// `{dt}` of the topic.
    device_type: Option<u32>,
    /// `response.macAddress` or `request.macAddress`, lowercased.
    named_device: Option<MacAddress>,
    /// `response.command` or `request.command`.
    command: Option<u32>,
}

impl SeenRefusal {
    /// Reads what `topic` and `payload` tell beyond the decoded `refusal`; never fails
    /// (a field that is absent or of an unexpected type is unknown).
    pub(crate) fn read(topic: &str, payload: &[u8], refusal: ControlRefusal) -> Self {
        let peek: Peek = serde_json::from_slice(payload).unwrap_or_default();
        let parts = [
            peek.response.unwrap_or_default(),
            peek.request.unwrap_or_default(),
        ];
        let named_device = parts.iter().find_map(|p| match &p.mac {
            Some(Value::String(mac)) => MacAddress::new(mac.to_ascii_lowercase()).ok(),
            _ => None,
        });
        let command = parts.iter().find_map(|p| {
            p.command
                .as_ref()
                .and_then(Value::as_u64)
                .and_then(|c| u32::try_from(c).ok())
        });
        Self {
            fail_code: refusal.fail_code,
            rate_limited: refusal.is_rate_limited(),
            device_type: device_type_of(topic),
            named_device,
            command,
        }
    }

    /// The event, the device attributed among `followed` (MAC and device type of every
    /// device the client follows).
    pub(crate) fn into_event<'a>(
        self,
        followed: impl IntoIterator<Item = (&'a MacAddress, u32)>,
    ) -> Event {
        let device = self.named_device.clone().or_else(|| {
            let mut of_type = followed
                .into_iter()
                .filter(|(_, dt)| Some(*dt) == self.device_type)
                .map(|(mac, _)| mac.clone());
            match (of_type.next(), of_type.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            }
        });
        Event::CommandRefused {
            device,
            command: self.command,
            fail_code: self.fail_code,
            reason: self.reason(),
        }
    }

    /// The failure code in words.
    fn reason(&self) -> String {
        match self.fail_code {
            _ if self.rate_limited => "too soon after the previous control".to_owned(),
            Some(code) => format!("refused with failure code {code}"),
            None => "no failure code given".to_owned(),
        }
    }
}

/// Logs a refusal once it is attributed (never the whole MAC).
pub(crate) fn log(event: &Event) {
    if let Event::CommandRefused {
        device,
        command,
        fail_code,
        reason,
    } = event
    {
        tracing::warn!(device = ?device.as_ref().map(MacAddress::redacted), command = ?command, fail_code = ?fail_code, "a device refused a control: {reason}");
    }
}

/// `{dt}` of `cmd/{dt}/…`.
fn device_type_of(topic: &str) -> Option<u32> {
    topic.strip_prefix("cmd/")?.split('/').next()?.parse().ok()
}

#[derive(Debug, Default, Deserialize)]
struct Peek {
    #[serde(default)]
    response: Option<Part>,
    #[serde(default)]
    request: Option<Part>,
}

/// Only the fields of interest, each of any JSON type (checked when read).
#[derive(Debug, Default, Deserialize)]
struct Part {
    #[serde(rename = "macAddress", default)]
    mac: Option<Value>,
    #[serde(default)]
    command: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOPIC: &str = "cmd/52/navien-client-0a1b2c3d/res/controlfail";

    fn mac(text: &str) -> MacAddress {
        MacAddress::new(text).unwrap()
    }

    fn seen(payload: &str) -> SeenRefusal {
        let refusal = match crate::protocol::classify(TOPIC, payload.as_bytes()) {
            Ok(crate::protocol::Incoming::ControlRefused(r)) => r,
            other => panic!("not a refusal: {other:?}"),
        };
        SeenRefusal::read(TOPIC, payload.as_bytes(), refusal)
    }

    #[test]
    fn a_bare_frame_goes_to_the_only_device_of_its_type() {
        let only = mac("aabbccddeeff");
        let other_type = mac("001122334455");
        let event =
            seen(r#"{"response":{"failCode":2}}"#).into_event([(&only, 52), (&other_type, 1)]);
        assert_eq!(
            event,
            Event::CommandRefused {
                device: Some(MacAddress::new("aabbccddeeff").unwrap()),
                command: None,
                fail_code: Some(2),
                reason: "too soon after the previous control".into(),
            }
        );
    }

    #[test]
    fn a_bare_frame_with_several_candidates_names_no_device() {
        let (a, b) = (mac("aabbccddeeff"), mac("001122334455"));
        let event = seen(r#"{"response":{"failCode":7}}"#).into_event([(&a, 52), (&b, 52)]);
        assert_eq!(
            event,
            Event::CommandRefused {
                device: None,
                command: None,
                fail_code: Some(7),
                reason: "refused with failure code 7".into(),
            }
        );
        let none = seen(r#"{"response":{}}"#).into_event([]);
        assert!(matches!(
            none,
            Event::CommandRefused { device: None, fail_code: None, ref reason, .. }
                if reason.contains("no failure code")
        ));
    }

    #[test]
    fn what_the_frame_names_wins() {
        let (a, b) = (mac("aabbccddeeff"), mac("001122334455"));
        let event = seen(
            r#"{"request":{"command":33554464,"macAddress":"AABBCCDDEEFF"},
                "response":{"failCode":"2"}}"#,
        )
        .into_event([(&a, 52), (&b, 52)]);
        assert_eq!(
            event,
            Event::CommandRefused {
                device: Some(MacAddress::new("aabbccddeeff").unwrap()),
                command: Some(33_554_464),
                fail_code: Some(2),
                reason: "too soon after the previous control".into(),
            }
        );
    }

    #[test]
    fn odd_fields_are_unknown_not_errors() {
        let a = mac("aabbccddeeff");
        let event = seen(r#"{"response":{"failCode":2,"macAddress":5,"command":-1}}"#)
            .into_event([(&a, 1)]);
        assert!(matches!(
            event,
            Event::CommandRefused {
                device: None,
                command: None,
                fail_code: Some(2),
                ..
            }
        ));
        assert_eq!(device_type_of("cmd/x/y"), None);
        assert_eq!(device_type_of("evt/52/y"), None);
    }

    /// The whole path: a frame on the client response wildcard becomes one event on the
    /// bus, with only the anchor handler (no typed handler) registered.
    mod through_the_actor {
        use std::sync::Arc;
        use std::time::Duration;

        use actix::prelude::*;
        use bytes::Bytes;

        use crate::bus::EventBus;
        use crate::clock::TokioClock;
        use crate::connection::{
            FilterOutcome, IncomingPublish, RequestError, Subscribe, Unsubscribe,
        };
        use crate::events::Event;
        use crate::protocol::{ClientId, DeviceRef, MacAddress};
        use crate::subscriptions::{SubscribeDevice, SubscriptionSettings, Subscriptions};

        struct Broker;
        impl Actor for Broker {
            type Context = Context<Self>;
        }
        impl Handler<Subscribe> for Broker {
            type Result = Result<Vec<FilterOutcome>, RequestError>;
            fn handle(&mut self, msg: Subscribe, _: &mut Context<Self>) -> Self::Result {
                Ok(msg
                    .filters
                    .into_iter()
                    .map(|filter| FilterOutcome {
                        filter,
                        result: Ok(()),
                    })
                    .collect())
            }
        }
        impl Handler<Unsubscribe> for Broker {
            type Result = Result<Vec<FilterOutcome>, RequestError>;
            fn handle(&mut self, msg: Unsubscribe, _: &mut Context<Self>) -> Self::Result {
                Ok(msg
                    .filters
                    .into_iter()
                    .map(|filter| FilterOutcome {
                        filter,
                        result: Ok(()),
                    })
                    .collect())
            }
        }

        #[actix::test]
        async fn one_frame_is_one_event() {
            let broker = Broker.start();
            let bus = EventBus::new(64, Arc::new(TokioClock));
            let mut events = bus.subscribe();
            let settings =
                SubscriptionSettings::new(ClientId::new("navien-client-0a1b2c3d").unwrap());
            let subs = Subscriptions::new(
                settings,
                broker.clone().recipient(),
                broker.recipient(),
                bus,
            )
            .start();
            let device = DeviceRef::nwp500(MacAddress::new("aabbccddeeff").unwrap(), "1234");
            subs.send(SubscribeDevice { device })
                .await
                .unwrap()
                .unwrap();

            for _ in 0..2 {
                subs.send(IncomingPublish {
                    generation: 1,
                    topic: super::TOPIC.into(),
                    payload: Bytes::from_static(br#"{"response":{"failCode":2}}"#),
                })
                .await
                .unwrap();
            }
            for _ in 0..2 {
                let stamped = tokio::time::timeout(Duration::from_secs(5), events.recv())
                    .await
                    .expect("no event within 5 s")
                    .unwrap();
                assert_eq!(
                    stamped.event,
                    Event::CommandRefused {
                        device: Some(MacAddress::new("aabbccddeeff").unwrap()),
                        command: None,
                        fail_code: Some(2),
                        reason: "too soon after the previous control".into(),
                    }
                );
            }
            assert!(events.try_recv().is_err(), "one event per frame");
        }
    }
}
