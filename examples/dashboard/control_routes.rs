//! The controls' endpoints: `POST /api/devices/{mac}/temperature`, `…/mode` and
//! `…/vacation`. Each builds the library's [`Command`](nwp500::protocol::Command) and
//! sends it with [`Client::send`], which validates it against the device's own limits:
//! a value it refuses is answered 400 with its error text, a command given while
//! offline is answered as queued. The hub follows the setting from there (sent,
//! expired, refused by the heater) through the client's events.
//!
//! A control changes a real heater, so a request must be one the page could have made:
//! a JSON body (`Content-Type: application/json`, which no plain HTML form can send and
//! which a script of another site cannot send without the dashboard's consent) and, when
//! the browser names its origin, this dashboard's own.

use actix::Addr;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use bytes::Bytes;
use serde_json::json;
use tracing::{info, warn};

use nwp500::client::{Client, ClientError};
use nwp500::protocol::redact_mac;
use nwp500::PublishOutcome;

use crate::controls::{Answer, Stage};
use crate::hub::{ControlAnswered, ControlRequested, Hub};
use crate::requests::{self, Parsed};

/// Registers the control endpoints; the app data must hold the hub's address
/// (`web::Data<Addr<Hub>>`) and the client (`web::Data<Client>`).
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route(
            "/api/devices/{mac}/temperature",
            web::post().to(temperature),
        )
        .route("/api/devices/{mac}/mode", web::post().to(mode))
        .route("/api/devices/{mac}/vacation", web::post().to(vacation));
}

async fn temperature(
    request: HttpRequest,
    mac: web::Path<String>,
    body: Bytes,
    hub: web::Data<Addr<Hub>>,
    client: web::Data<Client>,
) -> HttpResponse {
    if let Some((status, why)) = not_from_the_page(&request) {
        return error(status, why);
    }
    let parsed = requests::temperature(&body, client.unit());
    control(mac.into_inner(), parsed, &hub, &client).await
}

async fn mode(
    request: HttpRequest,
    mac: web::Path<String>,
    body: Bytes,
    hub: web::Data<Addr<Hub>>,
    client: web::Data<Client>,
) -> HttpResponse {
    if let Some((status, why)) = not_from_the_page(&request) {
        return error(status, why);
    }
    control(mac.into_inner(), requests::mode(&body), &hub, &client).await
}

async fn vacation(
    request: HttpRequest,
    mac: web::Path<String>,
    body: Bytes,
    hub: web::Data<Addr<Hub>>,
    client: web::Data<Client>,
) -> HttpResponse {
    if let Some((status, why)) = not_from_the_page(&request) {
        return error(status, why);
    }
    control(mac.into_inner(), requests::vacation(&body), &hub, &client).await
}

/// Why a request is one another site could have made a browser send, if it is: a body
/// not declared as JSON (415), or an `Origin` that is not this dashboard (403).
pub fn not_from_the_page(request: &HttpRequest) -> Option<(StatusCode, &'static str)> {
    let headers = request.headers();
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Some((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body must be JSON (Content-Type: application/json)",
        ));
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default();
        let authority = origin.split_once("://").map_or("", |(_, rest)| rest);
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if authority.is_empty() || !authority.eq_ignore_ascii_case(host) {
            return Some((
                StatusCode::FORBIDDEN,
                "controls are only accepted from the dashboard's own page",
            ));
        }
    }
    None
}

/// Records the request with the hub, sends the command and reports the client's answer
/// to the hub and to the page.
async fn control(mac: String, parsed: Parsed, hub: &Addr<Hub>, client: &Client) -> HttpResponse {
    let requested = ControlRequested {
        mac: mac.clone(),
        control: parsed.control,
        value: parsed.value.clone(),
        code: parsed.code,
    };
    match hub.send(requested).await {
        Ok(true) => {}
        Ok(false) => return error(StatusCode::NOT_FOUND, "no such device on this dashboard"),
        Err(_) => return error(StatusCode::SERVICE_UNAVAILABLE, "the dashboard is stopping"),
    }
    let device = redact_mac(&mac);
    let (answer, status, body) = match parsed.command {
        Err(text) => (
            Answer::Invalid(text.clone()),
            StatusCode::BAD_REQUEST,
            json!({ "error": text }),
        ),
        Ok(command) => answer_of(client.send(&mac, command).await),
    };
    match &answer {
        Answer::Invalid(why) | Answer::Failed(why) => {
            warn!(%device, control = ?parsed.control, value = %parsed.value, %why, "control not sent");
        }
        Answer::Sent | Answer::Queued => {
            info!(%device, control = ?parsed.control, value = %parsed.value, answer = ?answer, "control sent");
        }
    }
    hub.do_send(ControlAnswered {
        mac,
        control: parsed.control,
        answer,
    });
    HttpResponse::build(status).json(body)
}

/// The client's answer to a send: what the hub records, the HTTP status and the body.
pub fn answer_of(
    result: Result<PublishOutcome, ClientError>,
) -> (Answer, StatusCode, serde_json::Value) {
    match result {
        Ok(PublishOutcome::Acknowledged) => (
            Answer::Sent,
            StatusCode::OK,
            json!({ "stage": Stage::Sent }),
        ),
        // Offline, or the link ended before the acknowledgement: sent after the recovery.
        Ok(_) => (
            Answer::Queued,
            StatusCode::OK,
            json!({ "stage": Stage::Queued }),
        ),
        Err(e) => {
            let text = e.to_string();
            let (answer, status) = match e {
                ClientError::Command(_) => (Answer::Invalid(text.clone()), StatusCode::BAD_REQUEST),
                ClientError::UnknownDevice(_) => {
                    (Answer::Failed(text.clone()), StatusCode::NOT_FOUND)
                }
                ClientError::FeatureTimeout(_) => {
                    (Answer::Failed(text.clone()), StatusCode::GATEWAY_TIMEOUT)
                }
                ClientError::Request(_) => (Answer::Failed(text.clone()), StatusCode::BAD_GATEWAY),
                ClientError::Unavailable(_) => (
                    Answer::Failed(text.clone()),
                    StatusCode::SERVICE_UNAVAILABLE,
                ),
                _ => (
                    Answer::Failed(text.clone()),
                    StatusCode::INTERNAL_SERVER_ERROR,
                ),
            };
            (answer, status, json!({ "error": text }))
        }
    }
}

fn error(status: StatusCode, text: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "error": text }))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use actix_web::test::TestRequest;

    use nwp500::protocol::{CommandError, ValidationError};
    use nwp500::RequestError;

    use super::*;

    #[test]
    fn the_library_s_refusal_is_a_400_with_its_own_words() {
        let refused = ClientError::Command(CommandError::Invalid(ValidationError::OutOfRange {
            field: "temperature",
            value: 170.0,
            min: 95.0,
            max: 150.0,
        }));
        let (answer, status, body) = answer_of(Err(refused));
        let text = "temperature must be between 95 and 150 (got 170)";
        assert_eq!(answer, Answer::Invalid(text.into()));
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body, json!({ "error": text }));
    }

    #[test]
    fn only_json_from_the_dashboard_s_own_origin_is_a_control() {
        let status = |request: TestRequest| {
            not_from_the_page(&request.to_http_request()).map(|(status, _)| status)
        };
        let json = || {
            TestRequest::post()
                .insert_header((header::HOST, "127.0.0.1:8080"))
                .insert_header((header::CONTENT_TYPE, "application/json"))
        };
        assert_eq!(status(json()), None, "a script, curl: no Origin");
        assert_eq!(
            status(json().insert_header((header::ORIGIN, "http://127.0.0.1:8080"))),
            None
        );
        assert_eq!(
            status(json().insert_header((header::ORIGIN, "https://elsewhere.example"))),
            Some(StatusCode::FORBIDDEN)
        );
        assert_eq!(
            status(json().insert_header((header::ORIGIN, "null"))),
            Some(StatusCode::FORBIDDEN)
        );
        // What an HTML form of another site can send.
        let form = TestRequest::post()
            .insert_header((header::HOST, "127.0.0.1:8080"))
            .insert_header((header::CONTENT_TYPE, "text/plain"));
        assert_eq!(status(form), Some(StatusCode::UNSUPPORTED_MEDIA_TYPE));
        assert_eq!(
            status(
                TestRequest::post()
                    .insert_header((header::CONTENT_TYPE, "application/json; charset=utf-8"))
            ),
            None
        );
    }

    #[test]
    fn sent_queued_and_the_other_failures() {
        assert_eq!(
            answer_of(Ok(PublishOutcome::Acknowledged)),
            (Answer::Sent, StatusCode::OK, json!({"stage": "sent"}))
        );
        for outcome in [
            PublishOutcome::Queued { queue_len: 1 },
            PublishOutcome::Requeued { queue_len: 1 },
        ] {
            assert_eq!(
                answer_of(Ok(outcome)),
                (Answer::Queued, StatusCode::OK, json!({"stage": "queued"}))
            );
        }
        let cases = [
            (
                ClientError::UnknownDevice(crate::test_reports::mac("aabbccddeeff")),
                StatusCode::NOT_FOUND,
            ),
            (
                ClientError::FeatureTimeout(Duration::from_secs(30)),
                StatusCode::GATEWAY_TIMEOUT,
            ),
            (
                ClientError::Request(RequestError::Timeout {
                    after: Duration::from_secs(30),
                }),
                StatusCode::BAD_GATEWAY,
            ),
            (
                ClientError::Unavailable("connection"),
                StatusCode::SERVICE_UNAVAILABLE,
            ),
        ];
        for (error, expected) in cases {
            let text = error.to_string();
            let (answer, status, body) = answer_of(Err(error));
            assert_eq!(answer, Answer::Failed(text.clone()));
            assert_eq!(status, expected);
            assert_eq!(body["error"], text);
        }
    }
}
