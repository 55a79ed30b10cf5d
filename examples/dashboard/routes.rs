//! The HTTP endpoints: the page and its two scripts, the JSON status and history, and
//! the server-sent events. (The controls' endpoints are in `control_routes`.)

use std::convert::Infallible;

use actix::Addr;
use actix_web::http::header::{self, ContentType};
use actix_web::{web, HttpResponse};
use bytes::Bytes;
use tokio::sync::mpsc;

use crate::hub::{GetHistory, GetSnapshot, Hub, OpenStream};

/// The page: HTML and CSS; its scripts are the two below. Nothing is fetched from
/// anywhere but this server.
pub const PAGE: &str = include_str!("page.html");

/// The page's script: the event stream, the cards, the story and the controls.
pub const APP_JS: &str = include_str!("app.js");

/// The chart renderer (SVG, written for this page).
pub const CHARTS_JS: &str = include_str!("charts.js");

/// Registers `GET /`, `/app.js`, `/charts.js`, `/api/status`, `/api/history` and
/// `/events`; the app data must hold the hub's address (`web::Data<Addr<Hub>>`).
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/", web::get().to(page))
        .route("/app.js", web::get().to(|| script(APP_JS)))
        .route("/charts.js", web::get().to(|| script(CHARTS_JS)))
        .route("/api/status", web::get().to(status))
        .route("/api/history", web::get().to(history))
        .route("/events", web::get().to(events));
}

async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(PAGE)
}

async fn script(source: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(source)
}

/// The connection state and the latest status of every device.
async fn status(hub: web::Data<Addr<Hub>>) -> HttpResponse {
    match hub.send(GetSnapshot).await {
        Ok(json) => HttpResponse::Ok()
            .content_type(ContentType::json())
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(json),
        Err(_) => unavailable("the dashboard is stopping"),
    }
}

/// Every kept sample of every device: `{"windowMs": …, "devices": {key: [sample, …]}}`.
async fn history(hub: web::Data<Addr<Hub>>) -> HttpResponse {
    match hub.send(GetHistory).await {
        Ok(json) => HttpResponse::Ok()
            .content_type(ContentType::json())
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(json),
        Err(_) => unavailable("the dashboard is stopping"),
    }
}

/// One `data:` line of JSON (the same object as `/api/status`) per change.
async fn events(hub: web::Data<Addr<Hub>>) -> HttpResponse {
    match hub.send(OpenStream).await {
        Ok(Some(frames)) => HttpResponse::Ok()
            .content_type("text/event-stream")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .streaming(frame_stream(frames)),
        Ok(None) => unavailable("too many open event streams"),
        Err(_) => unavailable("the dashboard is stopping"),
    }
}

fn frame_stream(
    frames: mpsc::Receiver<Bytes>,
) -> impl futures::Stream<Item = Result<Bytes, Infallible>> {
    futures::stream::unfold(frames, |mut frames| async move {
        frames.recv().await.map(|frame| (Ok(frame), frames))
    })
}

fn unavailable(why: &'static str) -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header((header::RETRY_AFTER, "2"))
        .body(why)
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::time::{Duration, SystemTime};

    use actix::Actor;
    use actix_web::body::MessageBody;
    use actix_web::{test, App};
    use nwp500::client::DeviceSummary;
    use nwp500::events::{Event, TimestampedEvent};
    use nwp500::protocol::UnitSystem;
    use serde_json::{json, Value};
    use tokio::sync::broadcast;

    use super::*;
    use crate::state::DashboardState;

    fn hub() -> (broadcast::Sender<TimestampedEvent>, Addr<Hub>) {
        let (sender, receiver) = broadcast::channel(16);
        let state = DashboardState::new(
            &[DeviceSummary::from_mac("aabbccddeeff")],
            UnitSystem::UsCustomary,
            Duration::from_secs(3600),
            100,
        );
        (sender, Hub::new(state, receiver).start())
    }

    async fn next_chunk<B: MessageBody>(body: &mut Pin<Box<B>>) -> String {
        let chunk = tokio::time::timeout(
            Duration::from_secs(5),
            std::future::poll_fn(|cx| body.as_mut().poll_next(cx)),
        )
        .await
        .expect("no chunk within 5 s");
        match chunk {
            Some(Ok(bytes)) => String::from_utf8(bytes.to_vec()).unwrap(),
            Some(Err(_)) => panic!("body error"),
            None => panic!("body ended"),
        }
    }

    #[actix_web::test]
    async fn the_page_is_self_contained_html_with_stable_ids() {
        let (_events, hub) = hub();
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(hub))
                .configure(configure),
        )
        .await;
        let response =
            test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
        assert!(response.status().is_success());
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE).unwrap(),
            "text/html; charset=utf-8"
        );
        let body = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
        for needle in [
            "<script src=\"/charts.js\">",
            "<script src=\"/app.js\">",
            "id=\"connection\"",
            "data-field=\"temp\"",
            "id=\"episodes\"",
        ] {
            assert!(body.contains(needle), "page lacks {needle}");
        }
        for (path, needle) in [
            ("/app.js", "new EventSource(\"/events\")"),
            ("/charts.js", "createElementNS"),
        ] {
            let response =
                test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;
            assert_eq!(
                response.headers().get(header::CONTENT_TYPE).unwrap(),
                "text/javascript; charset=utf-8"
            );
            let script = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
            assert!(script.contains(needle), "{path} lacks {needle}");
        }
        // No external assets: nothing is fetched from anywhere but this server (the SVG
        // namespace is a name, never fetched).
        for source in [PAGE, APP_JS, CHARTS_JS] {
            let without_namespace = source.replace("http://www.w3.org/2000/svg", "");
            for external in ["http://", "https://", "src=\"//", "url(", "@import"] {
                assert!(
                    !without_namespace.contains(external),
                    "the page refers to {external}"
                );
            }
        }
    }

    #[actix_web::test]
    async fn the_json_endpoint_has_the_connection_and_the_latest_status() {
        let (events, hub) = hub();
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(hub))
                .configure(configure),
        )
        .await;
        events
            .send(TimestampedEvent::new(
                SystemTime::now(),
                Event::Status {
                    device: crate::test_reports::mac("aabbccddeeff"),
                    status: crate::test_reports::status(
                        json!({"dhwTemperature": 237}),
                        nwp500::UnitSystem::Metric,
                    ),
                },
            ))
            .unwrap();
        let mut seen = Value::Null;
        for _ in 0..500 {
            let request = test::TestRequest::get().uri("/api/status").to_request();
            let response = test::call_service(&app, request).await;
            assert_eq!(
                response.headers().get(header::CONTENT_TYPE).unwrap(),
                "application/json"
            );
            seen = test::read_body_json(response).await;
            if seen["devices"][0]["waterTemperature"] == 118.5 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(seen["devices"][0]["waterTemperature"], 118.5);
        assert_eq!(seen["devices"][0]["status"]["dhwTemperature"], 118.5);
        assert_eq!(seen["connection"]["state"], "connecting");

        let response = test::call_service(
            &app,
            test::TestRequest::get().uri("/api/history").to_request(),
        )
        .await;
        let history: Value = test::read_body_json(response).await;
        assert_eq!(history["windowMs"], 3_600_000);
        assert_eq!(
            history["devices"]["aabbccddeeff"].as_array().map(Vec::len),
            Some(1)
        );
    }

    #[actix_web::test]
    async fn the_event_stream_is_sse_starting_with_the_snapshot() {
        let (events, hub) = hub();
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(hub))
                .configure(configure),
        )
        .await;
        let response =
            test::call_service(&app, test::TestRequest::get().uri("/events").to_request()).await;
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE).unwrap(),
            "text/event-stream"
        );
        let mut body = Box::pin(response.into_body());
        let first = next_chunk(&mut body).await;
        assert!(first.starts_with("retry: 2000\ndata: {"), "{first:?}");
        events
            .send(TimestampedEvent::new(
                SystemTime::now(),
                Event::Disconnected,
            ))
            .unwrap();
        let second = next_chunk(&mut body).await;
        let json = second
            .strip_prefix("data: ")
            .and_then(|rest| rest.strip_suffix("\n\n"))
            .unwrap_or_else(|| panic!("not one data line: {second:?}"));
        let value: Value = serde_json::from_str(json).unwrap();
        assert_eq!(value["connection"]["state"], "disconnected");
    }
}
