//! The control endpoint (`/_sim/…`): drive faults and read state of a running simulator over HTTP.
//!
//! The endpoints are listed in the crate documentation.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use super::{control_outages, control_quotas, json_object};
use crate::config::InvalidCredentialsForm;
use crate::conn_log;
use crate::faults::SignInFault;
use crate::shared::Shared;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/state", web::get().to(state))
        .route("/connections", web::get().to(connections))
        .route("/quotas", web::get().to(quotas))
        .route("/clients/{client_id}", web::get().to(client))
        .route("/devices/{mac}/commands", web::get().to(device_commands))
        .route("/devices/{mac}/status", web::get().to(device_status))
        .route(
            "/devices/{mac}/responsive",
            web::post().to(device_responsive),
        )
        .route("/{action}", web::post().to(action));
}

fn error(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({"error": message}))
}

async fn state(shared: web::Data<Shared>) -> HttpResponse {
    let log = shared.log.snapshot();
    let live: Vec<_> = log.iter().filter(|r| r.is_open()).collect();
    let devices: Vec<Value> = shared
        .devices
        .iter()
        .map(|d| {
            json!({
                "mac": d.mac(),
                "additionalValue": d.additional_value(),
                "commandsReceived": d.commands().len(),
            })
        })
        .collect();
    HttpResponse::Ok().json(json!({
        "urls": shared.urls,
        "account": shared.config.account.email,
        "counters": shared.counters(),
        "faults": shared.faults.snapshot(),
        "quotas": control_quotas::get(&shared),
        "liveConnections": live,
        "devices": devices,
    }))
}

async fn quotas(shared: web::Data<Shared>) -> HttpResponse {
    HttpResponse::Ok().json(control_quotas::get(&shared))
}

async fn connections(shared: web::Data<Shared>) -> HttpResponse {
    HttpResponse::Ok().json(shared.log.snapshot())
}

/// What the log says about one client id: its CONNECT times as the gateway saw them (in
/// milliseconds after the first), the shortest gap, and the most connections live at once.
async fn client(shared: web::Data<Shared>, client_id: web::Path<String>) -> HttpResponse {
    let log = shared.log.snapshot();
    let times = conn_log::connect_times(&log, &client_id);
    let offsets: Vec<u128> = times
        .first()
        .map(|first| {
            times
                .iter()
                .map(|t| t.saturating_duration_since(*first).as_millis())
                .collect()
        })
        .unwrap_or_default();
    HttpResponse::Ok().json(json!({
        "clientId": client_id.as_str(),
        "connectOffsetsMs": offsets,
        "minConnectGapMs": conn_log::min_connect_gap(&log, &client_id).map(|g| g.as_millis()),
        "maxConcurrentConnections": conn_log::max_concurrent_connections(&log, &client_id),
    }))
}

async fn device_commands(shared: web::Data<Shared>, mac: web::Path<String>) -> HttpResponse {
    match shared.device(&mac) {
        Some(d) => HttpResponse::Ok().json(d.commands()),
        None => error(StatusCode::NOT_FOUND, "no such device"),
    }
}

async fn device_status(shared: web::Data<Shared>, mac: web::Path<String>) -> HttpResponse {
    match shared.device(&mac) {
        Some(d) => HttpResponse::Ok().json(d.status()),
        None => error(StatusCode::NOT_FOUND, "no such device"),
    }
}

async fn device_responsive(
    shared: web::Data<Shared>,
    mac: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let Some(on) = json_object(&body).and_then(|b| b.get("on").and_then(Value::as_bool)) else {
        return error(StatusCode::BAD_REQUEST, "expected {\"on\": bool}");
    };
    match shared.device(&mac) {
        Some(d) => {
            d.set_responsive(on);
            HttpResponse::Ok().json(json!({"ok": true}))
        }
        None => error(StatusCode::NOT_FOUND, "no such device"),
    }
}

async fn action(
    shared: web::Data<Shared>,
    action: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let body = json_object(&body).unwrap_or_default();
    if let Some(result) = control_outages::action(&shared, action.as_str(), &body) {
        return answer(result);
    }
    let flag = || body.get("on").and_then(Value::as_bool);
    let result: Result<Value, &str> = match action.as_str() {
        "drop-connections" => Ok(json!({"dropped": shared.drop_all_connections()})),
        "refuse-connections" => flag()
            .map(|on| shared.set_refuse_connections(on))
            .map(|()| json!({"ok": true}))
            .ok_or("expected {\"on\": bool}"),
        "blackhole" => flag()
            .map(|on| shared.set_blackhole(on))
            .map(|()| json!({"ok": true}))
            .ok_or("expected {\"on\": bool}"),
        "reject-upgrades" => flag()
            .map(|on| shared.set_reject_upgrades(on))
            .map(|()| json!({"ok": true}))
            .ok_or("expected {\"on\": bool}"),
        "reject-refresh" => flag()
            .map(|on| shared.set_reject_refresh(on))
            .map(|()| json!({"ok": true}))
            .ok_or("expected {\"on\": bool}"),
        "latency" => body
            .get("ms")
            .and_then(Value::as_u64)
            .map(|ms| shared.set_latency(Duration::from_millis(ms)))
            .map(|()| json!({"ok": true}))
            .ok_or("expected {\"ms\": integer}"),
        "expire-credentials" => {
            shared.expire_credentials();
            Ok(json!({"ok": true}))
        }
        "expire-tokens" => {
            shared.expire_access_tokens();
            Ok(json!({"ok": true}))
        }
        "sign-in" => {
            let fault = match body.get("fault").and_then(Value::as_str) {
                Some("none") => Some(SignInFault::None),
                Some("invalid_401") => Some(SignInFault::InvalidCredentials(
                    InvalidCredentialsForm::Http401,
                )),
                Some("invalid_password") => Some(SignInFault::InvalidCredentials(
                    InvalidCredentialsForm::Http200InvalidPassword,
                )),
                Some("user_not_found") => Some(SignInFault::InvalidCredentials(
                    InvalidCredentialsForm::Http200UserNotFound,
                )),
                Some("server_error") => Some(SignInFault::ServerError),
                _ => None,
            };
            fault
                .map(|f| shared.set_sign_in_fault(f))
                .map(|()| json!({"ok": true}))
                .ok_or("expected {\"fault\": none|invalid_401|invalid_password|user_not_found|server_error}")
        }
        "fail-next" => body
            .get("count")
            .and_then(Value::as_u64)
            .map(|n| shared.fail_next_rest_requests(u32::try_from(n).unwrap_or(u32::MAX)))
            .map(|()| json!({"ok": true}))
            .ok_or("expected {\"count\": integer}"),
        "quotas" => control_quotas::update(&shared, &body),
        "restart-broker" => Ok(json!({"dropped": shared.restart_broker()})),
        "kick" => body
            .get("client_id")
            .and_then(Value::as_str)
            .map(|id| json!({"kicked": shared.kick(id)}))
            .ok_or("expected {\"client_id\": string}"),
        "clear-faults" => {
            shared.clear_faults();
            Ok(json!({"ok": true}))
        }
        _ => return error(StatusCode::NOT_FOUND, "unknown action"),
    };
    answer(result)
}

fn answer(result: Result<Value, &str>) -> HttpResponse {
    match result {
        Ok(v) => HttpResponse::Ok().json(v),
        Err(message) => error(StatusCode::BAD_REQUEST, message),
    }
}
