//! The control actions of the handshake, session and REST outages (`/_sim/upgrade-status`,
//! `/_sim/rest-outage`, …). Kept apart from `control.rs` so each file stays about one thing;
//! the endpoints are listed in the crate documentation.

use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::faults::{is_connack_refusal, is_error_status, RestOutage};
use crate::shared::Shared;

type Body = Map<String, Value>;

/// Runs `action` if it is one of these; `None` when it is not.
pub(super) fn action(
    shared: &Shared,
    action: &str,
    body: &Body,
) -> Option<Result<Value, &'static str>> {
    let done = |()| json!({"ok": true});
    let result = match action {
        "upgrade-status" => optional(body, "status", |v| {
            v.as_u64()
                .and_then(|s| u16::try_from(s).ok())
                .filter(|s| is_error_status(*s))
        })
        .map(|status| shared.set_upgrade_status(status))
        .map(done)
        .ok_or("expected {\"status\": 400..599 | null}"),
        "close-during-handshake" => flag(body)
            .map(|on| shared.set_close_during_handshake(on))
            .map(done)
            .ok_or("expected {\"on\": bool}"),
        "connack-refusal" => optional(body, "code", |v| {
            v.as_u64()
                .and_then(|c| u8::try_from(c).ok())
                .filter(|c| is_connack_refusal(*c))
        })
        .map(|code| shared.set_connack_refusal(code))
        .map(done)
        .ok_or("expected {\"code\": 1..5 | null}"),
        "withhold-suback" => flag(body)
            .map(|on| shared.set_withhold_suback(on))
            .map(done)
            .ok_or("expected {\"on\": bool}"),
        "kick-after-connack" => optional(body, "ms", |v| v.as_u64().map(Duration::from_millis))
            .map(|after| shared.set_kick_after_connack(after))
            .map(done)
            .ok_or("expected {\"ms\": integer | null}"),
        "rest-outage" => rest_outage(body)
            .map(|outage| shared.set_rest_outage(outage))
            .map(done)
            .ok_or("expected {\"outage\": none|refuse|blackhole} or {\"outage\": \"status\", \"status\": 400..599}"),
        "rest-latency" => body
            .get("ms")
            .and_then(Value::as_u64)
            .map(|ms| shared.set_rest_latency(Duration::from_millis(ms)))
            .map(done)
            .ok_or("expected {\"ms\": integer}"),
        _ => return None,
    };
    Some(result)
}

fn flag(body: &Body) -> Option<bool> {
    body.get("on").and_then(Value::as_bool)
}

/// `key` present: `null` = `Some(None)` (switch off), a valid value = `Some(Some(v))`; anything
/// else (key missing, invalid value) = `None`.
fn optional<T>(
    body: &Body,
    key: &str,
    parse: impl FnOnce(&Value) -> Option<T>,
) -> Option<Option<T>> {
    match body.get(key)? {
        Value::Null => Some(None),
        value => parse(value).map(Some),
    }
}

fn rest_outage(body: &Body) -> Option<Option<RestOutage>> {
    match body.get("outage").and_then(Value::as_str)? {
        "none" => Some(None),
        "refuse" => Some(Some(RestOutage::Refuse)),
        "blackhole" => Some(Some(RestOutage::Blackhole)),
        "status" => body
            .get("status")
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok())
            .filter(|s| is_error_status(*s))
            .map(|s| Some(RestOutage::Status(s))),
        _ => None,
    }
}
