//! The WebSocket upgrade as AWS IoT performs it: check the presigned query, answer 403 or switch
//! protocols (answering the `mqtt` subprotocol the client offers).

use std::time::{Instant, SystemTime};

use http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};

use crate::shared::Shared;
use crate::sigv4::{verify_presigned, PresignedRequest};

/// The only path the gateway serves.
pub(crate) const MQTT_PATH: &str = "/mqtt";

/// Decides whether an upgrade request may proceed; `Err` carries the reason for the log.
pub(crate) fn check(shared: &Shared, request: &Request) -> Result<(), String> {
    if shared.faults.net().reject_upgrades {
        return Err("upgrade rejected by fault injection".into());
    }
    let uri = request.uri();
    if uri.path() != MQTT_PATH {
        return Err(format!("path {} is not {MQTT_PATH}", uri.path()));
    }
    let headers: Vec<(&str, &str)> = request
        .headers()
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
        .collect();
    let presigned = PresignedRequest {
        method: request.method().as_str(),
        path: uri.path(),
        query: uri.query().unwrap_or(""),
        headers: &headers,
    };
    let auth = shared.auth();
    let verified = verify_presigned(
        &presigned,
        &shared.config.region,
        "iotdevicegateway",
        SystemTime::now(),
        shared.config.signature_max_skew,
        |key| auth.aws_secret(key),
    )
    .map_err(|e| e.to_string())?;
    auth.check_aws(
        &verified.access_key_id,
        verified.session_token.as_deref(),
        Instant::now(),
    )
    .map_err(|e| e.to_string())
}

/// Adds `Sec-WebSocket-Protocol: mqtt` when the client offered it.
pub(crate) fn accept_subprotocol(request: &Request, mut response: Response) -> Response {
    let offered = request
        .headers()
        .get_all("Sec-WebSocket-Protocol")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim().eq_ignore_ascii_case("mqtt"));
    if offered {
        response
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("mqtt"));
    }
    response
}

/// The answer of a failing front end: `status` (400–599) with its reason phrase as body.
pub(crate) fn error_status(status: u16) -> ErrorResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let body = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    let mut response = ErrorResponse::new(None);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert("Content-Type", HeaderValue::from_static("text/plain"));
    headers.insert("Content-Length", HeaderValue::from(body.len()));
    *response.body_mut() = Some(body);
    response
}

/// The 403 answer.
pub(crate) fn forbidden(reason: &str) -> ErrorResponse {
    let mut response = ErrorResponse::new(Some(format!("Forbidden: {reason}")));
    *response.status_mut() = StatusCode::FORBIDDEN;
    response
}
