//! The REST side of the simulated cloud (docs/protocol.md §2) and the control endpoint, served by
//! actix-web.

mod account;
mod control;
mod control_outages;
mod control_quotas;
mod devices;
pub(crate) mod front;
mod outage;

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};

use crate::auth_store::TokenProblem;
use crate::shared::{CounterCells, Shared};

/// Path prefix of the REST API (as on the real cloud).
pub(crate) const API_PREFIX: &str = "/api/v2.1";
/// Path prefix of the control endpoint.
pub(crate) const CONTROL_PREFIX: &str = "/_sim";

/// Builds the HTTP server on an already bound listener, which only the fronts of the REST port
/// and of the control port reach (see `front`). Must run inside an actix `System`.
pub(crate) fn server(
    shared: Arc<Shared>,
    listener: std::net::TcpListener,
) -> std::io::Result<actix_web::dev::Server> {
    let data = web::Data::from(shared);
    let server = HttpServer::new(move || {
        App::new()
            .wrap(actix_web::middleware::from_fn(outage::middleware))
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(1 << 20))
            .service(
                web::scope(API_PREFIX)
                    .configure(account::routes)
                    .configure(devices::routes),
            )
            .service(web::scope(CONTROL_PREFIX).configure(control::routes))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(0)
    .listen(listener)?
    .run();
    Ok(server)
}

/// The protocol envelope `{"code", "msg", "data"}` (`data` omitted when `None`).
pub(crate) fn envelope(
    http: StatusCode,
    code: i64,
    msg: &str,
    data: Option<Value>,
) -> HttpResponse {
    let mut body = json!({"code": code, "msg": msg});
    if let Some(data) = data {
        body["data"] = data;
    }
    HttpResponse::build(http).json(body)
}

/// A success envelope.
pub(crate) fn success(data: Value) -> HttpResponse {
    envelope(StatusCode::OK, 200, "SUCCESS", Some(data))
}

/// The 400 envelope for a body that is not the expected JSON.
pub(crate) fn bad_request() -> HttpResponse {
    envelope(
        StatusCode::BAD_REQUEST,
        400,
        "BAD_REQUEST",
        Some(Value::Null),
    )
}

/// The 500 envelope of a transient server failure.
pub(crate) fn server_error() -> HttpResponse {
    envelope(
        StatusCode::INTERNAL_SERVER_ERROR,
        500,
        "INTERNAL_SERVER_ERROR",
        Some(Value::Null),
    )
}

/// Applies the latency faults (network and REST-only) and the "fail next requests" fault to a
/// REST request.
pub(crate) async fn preamble(shared: &Shared) -> Option<HttpResponse> {
    let rest_latency = shared.faults.rest().latency;
    let latency = shared.faults.net().latency.saturating_add(rest_latency);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    shared.faults.take_fail_next().then(server_error)
}

/// Parses a JSON object body.
pub(crate) fn json_object(body: &[u8]) -> Option<serde_json::Map<String, Value>> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// A refused token: the message of the 401 envelope.
pub(crate) struct Unauthorized(&'static str);

impl Unauthorized {
    pub(crate) fn response(&self) -> HttpResponse {
        envelope(StatusCode::UNAUTHORIZED, 401, self.0, Some(Value::Null))
    }
}

/// Checks the raw `authorization` header (docs/protocol.md §2.1: the token itself, no `Bearer `).
/// Returns the user the token belongs to.
pub(crate) fn authorize(req: &HttpRequest, shared: &Shared) -> Result<String, Unauthorized> {
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    let result = match token {
        None => Err(Unauthorized("UNAUTHORIZED")),
        Some(token) => shared
            .auth()
            .user_for_access_token(token, std::time::Instant::now())
            .map_err(|problem| match problem {
                TokenProblem::Expired => Unauthorized("TOKEN_EXPIRED"),
                TokenProblem::Unknown => Unauthorized("UNAUTHORIZED"),
            }),
    };
    if result.is_err() {
        CounterCells::bump(&shared.counters.unauthorized);
    }
    result
}
